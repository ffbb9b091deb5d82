// Per-frame behaviour predictions per mouse and the two tables written from them
// (shared/DESIGN.md): behavior.csv `frame,time_s,id,behavior,confidence,<behavior>_p...` and
// bouts.csv `id,behavior,start_frame,end_frame,start_s,duration_s`.
//
//   bt::behavior::BehaviorPrediction p = classifier.predict(tracks, progress);
//   bt::behavior::write_behavior_csv("out/behavior.csv", p);   // atomic
//   bt::behavior::write_bouts_csv("out/bouts.csv", p);         // atomic
//
// time_s = frame / fps; confidence = the classifier's probability of the class finally
// chosen (after smoothing); duration_s = (end - start + 1) / fps. Rows sorted by frame then id
// (behavior.csv) and by id then start (bouts.csv). A frame gap in a mouse's track ends a bout.
// Thread safety: plain values and pure functions.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "behavtrack/behavior/metrics.h"
#include "behavtrack/core/types.h"

namespace bt::behavior {

struct MousePrediction {
  TrackId id;
  std::vector<FrameIndex> frames;  // increasing
  std::vector<float> proba;        // frames.size() x n_classes, row-major
  std::vector<int> classes;        // chosen class per frame (smoothed)
};

struct BehaviorPrediction {
  std::vector<std::string> behaviors;
  double fps = 0;
  std::vector<MousePrediction> mice;  // sorted by id
};

std::vector<Bout> prediction_bouts(const MousePrediction& mouse);
void write_behavior_csv(const std::filesystem::path& path, const BehaviorPrediction& prediction);
void write_bouts_csv(const std::filesystem::path& path, const BehaviorPrediction& prediction);

}  // namespace bt::behavior
