// `behavtrack demo`: the whole workflow on synthetic mice, with the synthetic truth
// standing in for the person who labels.
//
//   bt::analysis::DemoSummary s = bt::analysis::run_demo({.out_dir = "demo-out"}, progress);
//
// Steps: synthesise training videos and a held-out video; create a project; add the
// training videos, sample frames by appearance and split them; "annotate" the test and
// initial train/val frames from the truth; run active-learning cycles (train, pick the
// most uncertain frames, label them from the truth); train the behaviour classifier on the
// training videos' truth; analyse the held-out video (detect, track, behaviour, report);
// score everything against the truth. Writes DIR/demo_summary.json and returns the figures.
// Thread safety: one demo per folder.
#pragma once

#include <cstdint>
#include <filesystem>

#include "behavtrack/core/progress.h"
#include "behavtrack/pose/metrics.h"
#include "behavtrack/track/metrics.h"

namespace bt::analysis {

struct DemoOptions {
  std::filesystem::path out_dir = "demo-out";
  int mice = 4;
  int train_videos = 2;
  double train_seconds = 40;    // length of each training video, seconds
  double heldout_seconds = 20;  // length of the analysed video, seconds
  std::uint64_t seed = 7;
  int sample_frames = 160;      // frames sampled from the training videos
  int initial_frames = 40;      // first annotation round (train + val)
  int cycles = 2;               // active-learning cycles
  int per_cycle = 20;           // frames queued per cycle
  double train_minutes = 4.5;   // pose training time limit per cycle, minutes
  void validate() const;
};

struct DemoSummary {
  std::filesystem::path project_dir, report, summary_json;
  int labelled_frames = 0;
  pose::PoseMetrics pose_test;           // last cycle's model on the project's test split
  track::MotMetrics tracking;            // held-out video against the truth
  double behavior_accuracy = 0, behavior_macro_f1 = 0;  // held-out video, matched mice
  double seconds = 0;
};

DemoSummary run_demo(const DemoOptions& options, const ProgressCallback& progress);

}  // namespace bt::analysis
