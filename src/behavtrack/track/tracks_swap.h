// Bulk identity correction of a finished run: "ids 2 and 4 are swapped from frame F on".
//
//   bt::track::SwapOptions o;  o.ids = {2, 4};  o.from = 1200;  o.to = -1;  // to the end
//   bt::track::SwapSummary s = bt::track::swap_ids("run1", o);
//
// Rewrites run1/tracks.json and run1/tracks.csv (both rebuilt from the JSON, each
// replaced atomically) and appends the correction to run1/run.json when present.
// Frames outside [from, to] are untouched.
// Thread safety: not safe against another process editing the same run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::track {

struct SwapOptions {
  std::vector<int> ids;  // exactly two distinct ids
  FrameIndex from = 0;
  FrameIndex to = -1;    // inclusive; -1: the last frame
  void validate() const;
};

struct SwapSummary {
  std::int64_t frames_changed = 0, instances_changed = 0;
};

SwapSummary swap_ids(const std::filesystem::path& run_dir, const SwapOptions& options);

}  // namespace bt::track
