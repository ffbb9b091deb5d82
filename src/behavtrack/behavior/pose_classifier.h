// The pose-feature behaviour classifier (the fast CPU default): streaming pose features
// (pose_features.h) -> class-weighted gradient-boosted trees (gbt_classifier.h) -> HMM
// Viterbi smoothing and a minimum bout length (smoothing.h), as MARS and JABS do.
//
//   std::vector<bt::behavior::LabelledVideo> videos = ...;   // tracks + per-frame labels
//   bt::behavior::PoseClassifierOptions o;                   // default ethogram, windows...
//   auto clf = bt::behavior::PoseClassifier::train(videos, o, progress);
//   clf.save("models/pose1");                                 // model.json + pose.xgb
//   auto p = bt::behavior::PoseClassifier::load("models/pose1").predict(tracks, progress);
//   auto cv = bt::behavior::cross_validate_pose(videos, o, progress);   // leave-one-video-out
//
// Training and predicting many times on the same tracks (active-learning simulations):
// extract the features once, then train and predict on the rows.
//   auto rows = bt::behavior::extract_pose_features(tracks, o, progress);
//   auto clf = bt::behavior::PoseClassifier::train_on_features({&rows}, {&labels}, o, progress);
//   BehaviorPrediction p = clf.predict_features(rows);   // same as clf.predict(tracks)
//
// Model folder: model.json {"format": "behavtrack.behavior-model/1", "kind": "pose",
// "behaviors", "options", "features" (names, in column order), "transitions" (log A),
// "metrics"}, and pose.xgb (XGBoost JSON model).
// predict() streams: memory grows with the number of mouse-frames only by the class
// probabilities (n_classes floats each), not by the features.
// Thread safety: a trained classifier's const methods may run from several threads.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "behavtrack/behavior/gbt_classifier.h"
#include "behavtrack/behavior/labels.h"
#include "behavtrack/behavior/metrics.h"
#include "behavtrack/behavior/pose_features.h"
#include "behavtrack/behavior/prediction.h"
#include "behavtrack/core/instances_json.h"
#include "behavtrack/core/progress.h"

namespace bt::behavior {

// One video's tracks with its labels (possibly partial).
struct LabelledVideo {
  std::string name;
  InstancesFile tracks;
  LabelSet labels;
};

// Every tracked mouse-frame's pose features of one video, in the extractor's emission
// order (frame order; mice by id within a frame).
struct PoseFeatureRows {
  std::vector<std::string> names;  // feature names, in column order
  double fps = 0;                  // of the tracks
  std::vector<FrameIndex> frames;  // per row
  std::vector<TrackId> ids;        // per row
  std::vector<float> x;            // n_rows() x names.size(), row-major; NaN = missing
  std::size_t n_rows() const { return frames.size(); }
};

enum class Smoothing { kNone, kViterbi };
Smoothing smoothing_from_string(const std::string& name);  // "none", "viterbi"
std::string to_string(Smoothing s);

struct PoseClassifierOptions {
  std::vector<std::string> behaviors = default_behaviors();
  std::vector<double> windows_s = {0.2, 0.6, 2.0};  // feature windows, seconds
  std::string nose_keypoint = "nose", tail_keypoint = "tailB";
  std::vector<std::string> ear_keypoints = {"earL", "earR"};
  GbtOptions gbt;
  bool class_weighting = true;  // weight rows so that every class counts the same
  Smoothing smoothing = Smoothing::kViterbi;
  double min_bout_s = 0.1;      // bouts shorter than this are merged into a neighbour; 0 = off
  int train_stride = 1;         // train on every n-th labelled frame of each mouse (>= 1)

  void validate() const;        // throws bt::Error naming the field and value
};

class PoseClassifier {
 public:
  PoseClassifier();
  ~PoseClassifier();
  PoseClassifier(PoseClassifier&&) noexcept;
  PoseClassifier& operator=(PoseClassifier&&) noexcept;

  // Throws bt::Error when no video has labels, when labels name unknown mice or frames
  // beyond the tracks, or when a video's skeleton lacks the nose/tail keypoints.
  static PoseClassifier train(const std::vector<LabelledVideo>& videos, const PoseClassifierOptions& options,
                              const ProgressCallback& progress);
  static PoseClassifier load(const std::filesystem::path& folder);
  // Writes model.json and pose.xgb into `folder` (created); `metrics` is stored as given.
  void save(const std::filesystem::path& folder, const Evaluation* metrics = nullptr) const;

  BehaviorPrediction predict(const InstancesFile& tracks, const ProgressCallback& progress) const;

  // Trains on precomputed rows (extract_pose_features with the same options); labels[i]
  // labels rows[i], and rows without a label are skipped. Throws like train().
  static PoseClassifier train_on_features(const std::vector<const PoseFeatureRows*>& rows,
                                          const std::vector<const LabelSet*>& labels,
                                          const PoseClassifierOptions& options, const ProgressCallback& progress);
  // The prediction predict() gives for the tracks the rows came from. Throws when the
  // rows' feature names differ from the model's.
  BehaviorPrediction predict_features(const PoseFeatureRows& rows) const;

  const PoseClassifierOptions& options() const;
  const std::vector<std::string>& feature_names() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The features predict() and train() compute for `tracks` (options.validate() first).
PoseFeatureRows extract_pose_features(const InstancesFile& tracks, const PoseClassifierOptions& options,
                                      const ProgressCallback& progress);
// The same rows, one at a time into `sink` (memory bounded by the longest feature window);
// returns the feature names.
std::vector<std::string> stream_pose_features(const InstancesFile& tracks, const PoseClassifierOptions& options,
                                              const FeatureSink& sink, const ProgressCallback& progress);

struct CrossValidation {
  Evaluation overall;                                       // pooled over the held-out videos
  std::vector<std::pair<std::string, Evaluation>> folds;    // per held-out video
};

// Leave-one-video-out: each video is predicted by a classifier trained on all the others.
// Needs >= 2 videos with labels.
CrossValidation cross_validate_pose(const std::vector<LabelledVideo>& videos, const PoseClassifierOptions& options,
                                    const ProgressCallback& progress);

// Scores a prediction against labels (frames without labels are skipped).
void add_to_evaluator(Evaluator& evaluator, const BehaviorPrediction& prediction, const LabelSet& labels);

}  // namespace bt::behavior
