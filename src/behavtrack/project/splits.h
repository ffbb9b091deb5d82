// Splits of the sampled frames per active-learning cycle (BehavTrack steps 3 and 5,
// shared/reference/behavtrack.md).
//
//   bt::project::SplitOptions o;  o.test_fraction = 0.15;  o.seed = 42;
//   SplitSummary s = bt::project::split_frames(project, o);          // cycle 0: test + reserve
//   o.initial_cycle = true;  bt::project::split_frames(project, o);  // cycle 1: train/val/predict/reserve
//
// Test set: round(test_fraction x frames), allocated to strata in proportion (largest
// remainder) and drawn inside each by a seeded shuffle; it never changes in later cycles.
// Initial cycle: `annotate_n` frames of the pool (frames already complete first, then a
// stratified seeded draw) split train/val by `val_fraction`; a predict set of
// predict_fraction x annotate_n drawn stratified from the rest; the rest is the reserve.
// Every cycle is recorded with its seed and options, so any cycle can be reproduced.
// Thread safety: uses the Project given from the calling thread.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "behavtrack/project/project.h"

namespace bt::project {

struct SplitOptions {
  double test_fraction = 0.15;  // of all frames, held out for evaluation
  std::uint64_t seed = 42;
  bool initial_cycle = false;   // also draw the first active-learning split
  std::int64_t annotate_n = 100;    // initial cycle: frames to annotate (train + val)
  double predict_fraction = 0.3;    // initial cycle: predict set size / annotate_n
  double val_fraction = 0.15;       // initial cycle: of the annotated frames

  void validate() const;  // throws bt::Error naming the field and value
};

struct SplitSummary {
  int cycle = 0;  // the last cycle written
  std::map<Split, std::int64_t> counts;
};

SplitSummary split_frames(Project& project, const SplitOptions& options);

// Proportional counts: `n` spread over strata of the given sizes by
// largest remainder (ties to the lower stratum), never above a stratum's size.
std::vector<std::int64_t> proportional_allocation(const std::vector<std::int64_t>& sizes, std::int64_t n);

}  // namespace bt::project
