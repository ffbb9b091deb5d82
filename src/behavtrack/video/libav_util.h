// Private helpers shared by the libav-based units of bt::video: owning pointers for libav
// objects, libav error codes as text, and the bridge that sends libav's log lines to
// bt::log_* instead of stderr (library code never prints).
// Not a public header: it includes libav headers.
// Thread safety: the helpers are reentrant; install_libav_log_bridge() is idempotent.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <filesystem>
#include <memory>
#include <string>

namespace bt::video::detail {

struct FormatInputDeleter {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};

using FormatInputPtr = std::unique_ptr<AVFormatContext, FormatInputDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;

// av_strerror as a std::string.
std::string av_error_text(int code);
// Routes libav's log output to bt::log_debug (its warnings about damaged input would
// otherwise clutter the one clear line the CLI prints). Safe to call many times.
void install_libav_log_bridge();
// "video 'path/as/given.mp4'": the subject of every message about a video file.
std::string video_subject(const std::filesystem::path& path);

FramePtr make_frame();
PacketPtr make_packet();

}  // namespace bt::video::detail
