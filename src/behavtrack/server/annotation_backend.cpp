#include "behavtrack/server/annotation_backend.h"

namespace bt::server {

const char* to_string(FrameState state) {
  switch (state) {
    case FrameState::kComplete: return "complete";
    case FrameState::kPredicted: return "predicted";
    case FrameState::kStarted: return "started";
    case FrameState::kEmpty: return "empty";
  }
  return "empty";
}

std::optional<FrameState> frame_state_from_string(const std::string& name) {
  for (const FrameState s : {FrameState::kComplete, FrameState::kPredicted, FrameState::kStarted, FrameState::kEmpty})
    if (name == to_string(s)) return s;
  return std::nullopt;
}

}  // namespace bt::server
