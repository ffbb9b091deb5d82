// Per-frame behaviour of every tracked mouse from the two-stream video classifier:
// clips are scored every `stride_frames` frames (the model's clip options by default) and each
// frame takes the fused probabilities of its mouse's nearest scored clip; the arg-max then
// goes through the minimum bout length, as the pose classifier's output does.
//
//   auto clf = bt::behavior::VideoClassifier::load("models/video1");
//   auto p = bt::behavior::predict_video(clf, "cage1.mp4", tracks, 0, 0.1, progress);
//   bt::behavior::write_behavior_csv("out/behavior.csv", p);
//
// Thread safety: as VideoClassifier::score.
#pragma once

#include <filesystem>
#include <string>

#include "behavtrack/behavior/prediction.h"
#include "behavtrack/behavior/video_classifier.h"

namespace bt::behavior {

// "pose" or "video": the `kind` in a model folder's model.json; throws bt::Error when the
// folder holds no behaviour model.
std::string behavior_model_kind(const std::filesystem::path& folder);

// stride_frames 0 = the model's clip stride; min_bout_s 0 = off.
BehaviorPrediction predict_video(const VideoClassifier& classifier, const std::filesystem::path& video,
                                 const InstancesFile& tracks, int stride_frames, double min_bout_s,
                                 const ProgressCallback& progress);

}  // namespace bt::behavior
