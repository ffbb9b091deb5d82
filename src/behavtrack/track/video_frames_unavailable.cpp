// Built when the video subsystem is not: tracking from detection files still works.
#include "behavtrack/core/error.h"
#include "behavtrack/track/video_frames.h"

namespace bt::track {

std::unique_ptr<FrameReader> open_frame_reader(const std::filesystem::path& video) {
  throw_invalid("video " + quoted(video.string()) + ": this build has no video support; rebuild with the video subsystem");
}

std::unique_ptr<FrameWriter> open_frame_writer(const std::filesystem::path& path, const VideoFacts&) {
  throw_invalid("render " + quoted(path.string()) + ": this build has no video support; rebuild with the video subsystem");
}

}  // namespace bt::track
