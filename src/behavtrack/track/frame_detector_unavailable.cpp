// open_frame_detector for builds without the pose subsystem (see frame_detector.h).
#include "behavtrack/core/error.h"
#include "behavtrack/track/frame_detector.h"

namespace bt::track {

std::unique_ptr<FrameDetector> open_frame_detector(const FrameDetectorOptions& o, const std::filesystem::path&) {
  o.validate();
  throw_invalid("--model " + quoted(o.model) + ": this build has no pose subsystem; track a detections file instead");
}

}  // namespace bt::track
