// The pose detector: boxes + keypoints of every mouse in a frame.
//
// Two stages (both LibTorch, CPU or CUDA):
//  1. a one-stage, anchor-free YOLO-pose detector (CSP backbone, FPN/PAN neck, decoupled
//     box / objectness / keypoint head; sizes n, s, m) on the letterboxed frame;
//  2. a top-down refiner: a crop around each detection at (up to) native resolution into a
//     small heatmap + offset network (DeepLabCut / SimpleBaseline style) that places each
//     keypoint at its heatmap argmax plus the sub-cell offset, with a confidence.
// Ultralytics pose models exported to TorchScript load too (stage 1 only).
//
//   bt::pose::PoseModel model = bt::pose::PoseModel::load("models/cycle1", bt::Device{});
//   std::vector<bt::Instance> mice = model.predict(frame_bgr, {});  // frame pixels
//
//   bt::pose::TrainOptions o;  o.time_limit_min = 20;
//   bt::pose::train_pose_model(train, val, skeleton, o, "models/cycle1", progress);
//
// Coordinates: pixels of the given frame, origin top-left. Keypoint v: 2 when its score is
// at least PredictOptions::keypoint_visible_min, else 1; keypoint_scores hold the scores.
// Thread safety: a PoseModel may be shared for reading, but predict() is not reentrant
// (one model per thread); training uses all compute threads.
#pragma once

#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "behavtrack/core/device.h"
#include "behavtrack/core/progress.h"
#include "behavtrack/core/types.h"
#include "behavtrack/pose/augment.h"
#include "behavtrack/pose/metrics.h"
#include "behavtrack/pose/model_info.h"

namespace bt::pose {

// One labelled image: the picture (BGR) and its instances in its pixels.
struct PoseSample {
  std::string name;  // for messages and logs (file name, "video#frame")
  cv::Mat image;
  std::vector<Instance> instances;
};
using PoseDataset = std::vector<PoseSample>;

struct PredictOptions {
  float score_min = 0.25f;            // detection score threshold
  float iou_max = 0.6f;               // NMS IoU threshold; 0.6 rather than Ultralytics' 0.7:
                                      // with max_det = the animal count, a duplicate box on one
                                      // mouse of a cluster takes the slot of another (box AP50
                                      // on synthetic validation frames, two models: 0.6 >= 0.7)
  int max_det = 5;                    // most instances per frame (the animal count)
  float keypoint_visible_min = 0.5f;  // keypoint score from which v = 2
  bool refine = true;                 // run the refiner when the model has one
  void validate() const;
};

class PoseModel {
 public:
  // A model folder (model.json + weights.pt) or an Ultralytics *.torchscript file.
  // Throws bt::Error (kNotFound, kInvalidInput) naming the path.
  static PoseModel load(const std::filesystem::path& path, const Device& device);
  ~PoseModel();
  PoseModel(PoseModel&&) noexcept;
  PoseModel& operator=(PoseModel&&) noexcept;

  std::vector<Instance> predict(const cv::Mat& bgr, const PredictOptions& options) const;
  // Stage 2 alone: places the keypoints of each instance by the refiner in a crop around its
  // box (boxes and scores are kept). For video, where last frame's boxes are good guesses
  // (see pose_stream.h). Requires has_refiner().
  void refine(const cv::Mat& bgr, std::vector<Instance>& instances,
              const PredictOptions& options) const;
  bool has_refiner() const;
  const ModelInfo& info() const;
  bool is_torchscript() const;

 private:
  struct Impl;
  explicit PoseModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct TrainOptions {
  std::string size = "n";        // n | s | m
  int input_px = 320;            // detector input side, multiple of 32
  int refine_px = 96;            // refiner crop side, multiple of 32; 0 = no refiner
  int net_version = 2;           // network generation (1 = the first, slower nets); a run
                                 // with from_model takes that model's
  int epochs = 0;                // 0 = BehavTrack's table by the number of labelled images
  int steps = 0;                 // > 0: about this many batches, whatever the train-set size
                                 // (the epochs follow from it; overrides epochs)
  int batch = 0;                 // 0 = the same table
  std::string device = "cpu";    // cpu | cuda | cuda:N
  double time_limit_min = 0;     // stop (and finish the LR schedule) by then; 0 = none
  int patience_epochs = 40;      // early stop after this many epochs without a better val
  double lr = 2e-3;              // AdamW peak learning rate
  double weight_decay = 5e-4;
  double warmup_fraction = 0.05; // share of the run spent warming the LR up
  std::uint64_t seed = 0;
  std::filesystem::path from_model;  // fine-tune from this model folder (same skeleton)
  bool resume = false;           // continue from <out>/checkpoint.pt
  int refine_repeats = 4;        // refiner crops per labelled instance per epoch
  int val_every_epochs = 1;      // validate (and maybe save) every N epochs and at the end
  AugmentOptions augment;
  void validate() const;
  std::string to_json() const;
};

// BehavTrack's schedule: up to 500 labelled frames 50 epochs of batch 16, up to 1000 70/18,
// up to 1500 90/20, beyond 110/22.
void default_schedule(int n_labelled, int& epochs, int& batch);

struct TrainResult {
  std::filesystem::path model_dir;
  int epochs_run = 0;
  double seconds = 0;
  std::string stop_reason;  // "epochs", "time limit", "early stop"
  PoseMetrics val;          // of the saved (best) weights
};

// Trains on `train`, picks the weights by `val` (train is used when val is empty), writes
// the model folder `out_dir` atomically enough that an interrupted run leaves either the
// previous model or checkpoint.pt for --resume.
TrainResult train_pose_model(const PoseDataset& train, const PoseDataset& val,
                             const Skeleton& skeleton, const TrainOptions& options,
                             const std::filesystem::path& out_dir,
                             const ProgressCallback& progress);
// Throws bt::Error (kNotFound) when `out_dir` holds no checkpoint.pt to resume from (what
// train_pose_model checks first with options.resume; callers check it before other work).
void require_checkpoint(const std::filesystem::path& out_dir);

// Runs `model` over a dataset, one prediction list per sample.
std::vector<std::vector<Instance>> predict_dataset(const PoseModel& model, const PoseDataset& data,
                                                   const PredictOptions& options,
                                                   const ProgressCallback& progress);

}  // namespace bt::pose
