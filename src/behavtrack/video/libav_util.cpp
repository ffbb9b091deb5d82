#include "behavtrack/video/libav_util.h"

extern "C" {
#include <libavutil/log.h>
}

#include <cstdarg>
#include <mutex>
#include <new>

#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"

namespace bt::video::detail {

std::string av_error_text(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof(buf));
  return buf;
}

namespace {
void libav_log_callback(void* avcl, int level, const char* fmt, va_list args) {
  if (level > AV_LOG_WARNING || log_level() > LogLevel::kDebug) return;
  char line[1024];
  int print_prefix = 1;
  av_log_format_line2(avcl, level, fmt, args, line, sizeof(line), &print_prefix);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (!text.empty()) log_debug("libav: {}", text);
}
}  // namespace

void install_libav_log_bridge() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(libav_log_callback); });
}

std::string video_subject(const std::filesystem::path& path) {
  return "video " + quoted(path.string());
}

FramePtr make_frame() {
  FramePtr f(av_frame_alloc());
  if (!f) throw std::bad_alloc();
  return f;
}

PacketPtr make_packet() {
  PacketPtr p(av_packet_alloc());
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace bt::video::detail
