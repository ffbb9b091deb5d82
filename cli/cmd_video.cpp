// `behavtrack video probe|frame|check`: what a video is, one exact frame as an image, and
// a full decode that proves the file is whole.
#include <cstdio>
#include <memory>
#include <string>

#include "behavtrack/core/error.h"
#include "behavtrack/video/image_file.h"
#include "behavtrack/video/video_check.h"
#include "behavtrack/video/video_info.h"
#include "behavtrack/video/video_reader.h"
#include "command_registry.h"

namespace {
using bt::video::VideoInfo;

std::string key_frame_list(const VideoInfo& info, std::size_t max_shown) {
  std::string text;
  for (std::size_t i = 0; i < info.key_frames.size() && i < max_shown; ++i)
    text += (i ? " " : "") + std::to_string(info.key_frames[i]);
  if (info.key_frames.size() > max_shown) text += " ...";
  return text;
}

void print_summary(const VideoInfo& info) {
  std::printf("video %s\n", info.path.string().c_str());
  std::printf("  %d x %d px, %s, %s\n", info.width, info.height, info.codec.c_str(), info.pixel_format.c_str());
  std::printf("  %lld frames at %.6g fps (%s), %.3f s, %s frame rate\n", static_cast<long long>(info.n_frames),
              info.fps.value(), info.fps.str().c_str(), info.duration_s,
              info.variable_frame_rate ? "variable" : "constant");
  std::printf("  %zu key frames: %s\n", info.key_frames.size(), key_frame_list(info, 20).c_str());
  if (!info.damage.empty()) std::printf("  damaged: %s\n", info.damage.c_str());
}

struct ProbeFlags {
  std::string video;
  bool json = false;
};

struct FrameFlags {
  std::string video, out;
  long long index = -1;
  bool gray = false;
};

struct CheckFlags {
  std::string video;
  bool gray = false;
  int threads = 0;
};

void add_probe(CLI::App& group) {
  auto flags = std::make_shared<ProbeFlags>();
  auto* cmd = group.add_subcommand("probe", "Print a video's size, frame rate, exact frame count and key frames");
  cmd->add_option("VIDEO", flags->video, "Video file (mp4, mkv, avi, ...)")->required();
  cmd->add_flag("--json", flags->json,
                "Print JSON with every field: fps as num/den/value, n_frames, duration_s, key_frames "
                "(0-based frame indices), frame_times_s (seconds from the first frame), damage");
  cmd->callback([flags] {
    const VideoInfo info = bt::video::probe(flags->video);
    if (flags->json)
      std::printf("%s\n", bt::video::to_json(info).c_str());
    else
      print_summary(info);
  });
}

void add_frame(CLI::App& group) {
  auto flags = std::make_shared<FrameFlags>();
  auto* cmd = group.add_subcommand("frame", "Write one exact frame of a video as an image");
  cmd->add_option("VIDEO", flags->video, "Video file")->required();
  cmd->add_option("--index", flags->index, "0-based frame index in presentation order")->required();
  cmd->add_option("--out", flags->out, "Image file: .png (lossless), .jpg, .bmp or .tif")->required();
  cmd->add_flag("--gray", flags->gray, "Write the gray (luma) picture instead of BGR colour");
  cmd->callback([flags] {
    if (flags->index < 0)
      bt::throw_invalid("video frame: --index = " + std::to_string(flags->index) + " must be >= 0");
    bt::video::ReaderOptions options;
    options.output = flags->gray ? bt::video::PixelFormat::kGray : bt::video::PixelFormat::kBgr;
    bt::video::VideoReader reader(flags->video, options);
    const bt::video::Frame frame = reader.read_at(flags->index);
    bt::video::write_image(flags->out, frame.image);
    std::printf("frame %lld of %s (t = %.3f s) written to %s (%d x %d px, %s)\n", flags->index,
                flags->video.c_str(), frame.time_s, flags->out.c_str(), frame.image.cols, frame.image.rows,
                flags->gray ? "gray" : "BGR");
  });
}

void add_check(CLI::App& group, bt::cli::Context& context) {
  auto flags = std::make_shared<CheckFlags>();
  auto* cmd = group.add_subcommand("check", "Decode every frame: proves the file is whole and measures decode speed");
  cmd->add_option("VIDEO", flags->video, "Video file")->required();
  cmd->add_flag("--gray", flags->gray, "Convert to gray instead of BGR colour");
  cmd->add_option("--threads", flags->threads, "Decoder threads, 0 = one per core (default 0)");
  cmd->callback([flags, &context] {
    if (flags->threads < 0 || flags->threads > bt::video::kMaxDecoderThreads)
      bt::throw_invalid("video check: --threads = " + std::to_string(flags->threads) + " must be in [0, " +
                        std::to_string(bt::video::kMaxDecoderThreads) + "]");
    bt::video::ReaderOptions options;
    options.output = flags->gray ? bt::video::PixelFormat::kGray : bt::video::PixelFormat::kBgr;
    options.decoder_threads = flags->threads;
    const bt::video::DecodeSummary s = bt::video::decode_all(flags->video, options, context.progress());
    std::printf("video %s: all %lld frames decoded in %.3f s (%.1f frames/s, %.3f s of CPU)\n",
                flags->video.c_str(), static_cast<long long>(s.n_frames), s.seconds, s.fps(), s.cpu_seconds);
  });
}

const bt::cli::CommandRegistration kRegistration(
    "video", "Probe, check and read videos frame-exactly", [](CLI::App& group, bt::cli::Context& context) {
      add_probe(group);
      add_frame(group);
      add_check(group, context);
    });

}  // namespace
