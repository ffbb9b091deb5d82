#include <string>

#include "behavtrack/core/error.h"
#include "behavtrack/track/frame_detector.h"

namespace bt::track {

void FrameDetectorOptions::validate() const {
  if (model.empty()) throw_invalid("--model: empty; give a model folder, a .torchscript file or classical");
  if (animals < 0) throw_invalid("--animals " + std::to_string(animals) + ": must be >= 0");
  if (!(score_min >= 0 && score_min <= 1))
    throw_invalid("--score-min " + std::to_string(score_min) + ": must be in [0, 1]");
  if (background_frames < 1)
    throw_invalid("--background-frames " + std::to_string(background_frames) + ": must be >= 1");
}

}  // namespace bt::track
