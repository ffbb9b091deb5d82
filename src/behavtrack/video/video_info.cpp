#include "behavtrack/video/video_info.h"

#include "behavtrack/video/stream_index.h"

namespace bt::video {

VideoInfo probe(const std::filesystem::path& path) {
  detail::install_libav_log_bridge();
  detail::FormatInputPtr format = detail::open_input(path);
  const int stream = detail::find_video_stream(format.get(), path);
  return detail::index_stream(format.get(), stream, path).info;
}

}  // namespace bt::video
