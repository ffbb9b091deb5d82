// The pose commands' library calls: train, predict and evaluate on a project's splits, and
// streaming prediction over a video into an Instances JSON file.
//
//   bt::pose::ProjectTrainSummary t = bt::pose::train_in_project("study/", "cycle1", opts, cb);
//   bt::pose::predict_in_project("study/", "predict", "cycle1", {}, "cpu", cb);
//   bt::pose::ProjectEvaluation e = bt::pose::evaluate_in_project("study/", "test", "", {}, "cpu", cb);
//   bt::pose::predict_video("cage.mp4", "cage.json", video_opts, cb);
//
// Models: a name in the project's models table, a model folder, an Ultralytics *.torchscript
// file, or empty for the project's latest model. A model whose skeleton differs from the
// project's is refused. Trained models go to <project>/models/<name>/ (written as
// <name>.partial and renamed when training ends; --resume continues a .partial folder).
// Predictions enter the store as unconfirmed instances (BehavTrack's rules: degenerate
// boxes dropped, keypoints outside their box absent, v = 2 when the keypoint score > 0.9).
// Thread safety: each call opens its own Project; not reentrant on one project folder for
// training (one trainer per model name).
#pragma once

#include <filesystem>
#include <string>

#include "behavtrack/pose/classical_detector.h"
#include "behavtrack/pose/pose_model.h"

namespace bt::pose {

struct ProjectTrainSummary {
  std::string model_name;
  std::filesystem::path model_dir;
  int n_train_frames = 0, n_val_frames = 0;
  TrainResult result;
};

// model_name empty: "pose-cycle<N>" for the latest cycle N. options.from_model may be a
// model name of the project.
ProjectTrainSummary train_in_project(const std::filesystem::path& project_dir,
                                     const std::string& model_name, TrainOptions options,
                                     const ProgressCallback& progress);

struct ProjectPredictSummary {
  std::string model_name;
  int n_frames = 0;            // frames predicted
  std::int64_t n_written = 0;  // frames whose predictions were stored (manual work is kept)
  int n_instances = 0;
};

// set: predict | reserve | all. options.max_det <= 0: the project's animal count.
ProjectPredictSummary predict_in_project(const std::filesystem::path& project_dir,
                                         const std::string& set, const std::string& model,
                                         PredictOptions options, const std::string& device,
                                         const ProgressCallback& progress);

struct ProjectEvaluation {
  std::string model_name, set;
  PoseMetrics metrics;
};

// Scores the model on the confirmed labels of a split (test by default) and records a run.
ProjectEvaluation evaluate_in_project(const std::filesystem::path& project_dir,
                                      const std::string& set, const std::string& model,
                                      const MetricsOptions& metrics, const std::string& device,
                                      const ProgressCallback& progress);

struct VideoPredictOptions {
  std::string model = "classical";  // a model folder, a *.torchscript file, or "classical"
  std::string device = "cpu";
  PredictOptions predict;           // max_det is also the classical detector's animal count
  int background_frames = 25;       // classical: frames sampled for the median background
  ClassicalOptions classical;
  void validate() const;
};

struct VideoPredictSummary {
  std::int64_t n_frames = 0, n_instances = 0;
  double seconds = 0;
};

// Streams the video frame by frame into out_json (Instances JSON, written atomically).
VideoPredictSummary predict_video(const std::filesystem::path& video,
                                  const std::filesystem::path& out_json,
                                  const VideoPredictOptions& options,
                                  const ProgressCallback& progress);

}  // namespace bt::pose
