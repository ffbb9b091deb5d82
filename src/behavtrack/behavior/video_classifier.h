// Two-stream video behaviour classifier (seeds/003): the RGB clips and the optical-flow clips
// of video_clips.h each go through a 3D CNN, R(2+1)D (Tran et al. 2018, arXiv:1711.11248) or
// an I3D-style inflated-inception net (Carreira & Zisserman 2017, arXiv:1705.07750), small
// enough to train on 2 CPU cores; the streams' softmax scores are fused late:
// p = rgb_weight * p_rgb + flow_weight * p_flow (the paper's best: 0.4 / 0.6).
//
//   bt::behavior::VideoClassifierOptions o;  o.arch = bt::behavior::VideoArch::kR2Plus1D;
//   auto clf = bt::behavior::VideoClassifier::train(train_clips, o, progress);
//   bt::behavior::StreamScores s = clf.score(test_clips, progress);
//   auto p = bt::behavior::fuse_scores(s, 0.4, 0.6);                 // n x k
//   auto sweep = bt::behavior::fusion_sweep(s, test_clips.labels);   // rgb_weight 0.0 .. 1.0
//   clf.save("models/video1");  auto again = bt::behavior::VideoClassifier::load("models/video1");
//
// Training: every epoch visits the clips in a seeded random order; each clip is randomly
// cropped from stored_px to input_px and horizontally flipped half of the time (the flow's
// dx changes sign), as the paper (after I3D) does; cross-entropy with label smoothing;
// class_balance: kWeights weighs each class's loss by n / (k * count) (every class the same
// total weight), kSampling draws each epoch's clips with probability ~ count^-1/2 (square-root
// sampling: rare classes seen more often, frequent ones not starved), kNone neither. AdamW
// with a linear warm-up over warmup_epochs, then a cosine learning-rate decay from
// learning_rate to 5e-5 (the paper: momentum SGD from 1e-3 to 5e-5, fine-tuning pretrained
// nets; from scratch AdamW converges in fewer epochs); batch norm after every convolution;
// dropout before the classifier. Scoring uses the centre crop, no flip.
// fusion_from_training: after training, the fusion sweep runs on (up to 600 of) the training
// clips and the best rgb_weight / flow_weight are kept in the model, so no test data chooses
// them; the weights on training clips favour the stream that fits best, a rough guide.
// Pretrained weights: `pretrained_rgb` / `pretrained_flow` name files written by
// torch::save of the same net (this program's rgb.pt / flow.pt, e.g. trained on another
// data set); parameters are matched by name and shape (e.g. "stem.0.weight",
// "blocks.1.spatial1.weight", "head.weight"), so a head with another class count is left
// to train from scratch. A file with no matching parameter is an error.
// Sizes: the defaults follow the papers (crops 128 px, input 112, stem stride 1 in time).
// On 2 CPU cores the small recipe trains in the budget: crops 64 px / input 56 (a mouse is
// still ~30 px long in the crop), temporal_stride 2, keypoints drawn and a fixed ROI
// (ClipOptions), square-root class sampling, learning_rate 2e-3, 8 epochs,
// fusion_from_training, and a clip cache so clips and flow are cut once. Measured on 6
// synthetic 2-minute videos (4-5 mice, 8 behaviours), holding out one video and training on
// the other five: 0.92 fused accuracy (RGB alone 0.89, flow alone 0.83), 24 min of training
// on 2 cores shared with other work.
// Model folder: model.json {"format": "behavtrack.behavior-model/1", "kind": "video",
// "behaviors", "options", "clips"} + rgb.pt + flow.pt.
// Thread safety: score() may run from one thread at a time per classifier.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "behavtrack/behavior/metrics.h"
#include "behavtrack/behavior/pose_classifier.h"
#include "behavtrack/behavior/video_clips.h"
#include "behavtrack/core/progress.h"
#include "behavtrack/core/types.h"

namespace bt::behavior {

enum class VideoArch { kR2Plus1D, kI3D };
VideoArch video_arch_from_string(const std::string& name);  // "r2plus1d", "i3d"
std::string to_string(VideoArch a);

// How training evens out frequent and rare behaviours (see the header comment).
enum class ClassBalance { kNone, kWeights, kSampling };
ClassBalance class_balance_from_string(const std::string& name);  // "none", "weights", "sampling"
std::string to_string(ClassBalance b);

struct VideoClassifierOptions {
  std::vector<std::string> behaviors = default_behaviors();
  VideoArch arch = VideoArch::kR2Plus1D;
  int base_channels = 16;       // channels after the stem; later stages double them
  int epochs = 6;
  int batch_size = 8;           // clips per step
  double learning_rate = 1e-3;  // start of the cosine decay (to 5e-5)
  double dropout = 0.5;         // before the classifier
  double weight_decay = 0.01;   // AdamW's decoupled weight decay
  double warmup_epochs = 1;     // linear learning-rate warm-up, epochs (at most half the run)
  double label_smoothing = 0.1; // cross-entropy target smoothing
  ClassBalance class_balance = ClassBalance::kWeights;
  int temporal_stride = 1;      // the stem's stride in time: 1 (the papers') or 2, 4 (cheaper)
  bool fusion_from_training = false;  // set rgb/flow_weight from the training clips (below)
  double rgb_weight = 0.4, flow_weight = 0.6;  // late fusion (seeds/003's best)
  bool augment = true;          // random crop + horizontal flip in training
  std::string device = "cpu";   // "cpu", "cuda", "cuda:1"
  std::uint64_t seed = 1;
  std::filesystem::path pretrained_rgb, pretrained_flow;  // optional, see the header comment
  ClipOptions clips;

  void validate() const;  // throws bt::Error naming the field and value
};

// Softmax scores of each stream, n_clips x n_classes, row-major.
struct StreamScores {
  int n_classes = 0;
  std::vector<float> rgb, flow;
};

// rgb_weight * rgb + flow_weight * flow, per clip and class. Weights >= 0, not both 0.
std::vector<float> fuse_scores(const StreamScores& scores, double rgb_weight, double flow_weight);
// Accuracy of the fused arg-max against `labels` (-1 skipped).
double fused_accuracy(const StreamScores& scores, const std::vector<int>& labels, double rgb_weight, double flow_weight);
// (rgb_weight, accuracy) for rgb_weight = 0.0, 0.1, ..., 1.0 and flow_weight = 1 - rgb_weight.
std::vector<std::pair<double, double>> fusion_sweep(const StreamScores& scores, const std::vector<int>& labels);

// Frame metrics (accuracy, per-class precision/recall/F1, confusion) of the fused scores of
// labelled clips; bout metrics stay empty (clips are sparse samples, not runs of frames).
Evaluation evaluate_clips(const StreamScores& scores, const std::vector<int>& labels,
                          const std::vector<std::string>& behaviors, double rgb_weight, double flow_weight);
// The same for already fused scores (n x n_classes, row-major).
Evaluation evaluate_fused(const std::vector<float>& fused, int n_classes, const std::vector<int>& labels,
                          const std::vector<std::string>& behaviors);

class VideoClassifier {
 public:
  VideoClassifier();
  ~VideoClassifier();
  VideoClassifier(VideoClassifier&&) noexcept;
  VideoClassifier& operator=(VideoClassifier&&) noexcept;

  // Clips with label -1 are skipped. Throws when no clip is labelled.
  static VideoClassifier train(const ClipSet& clips, const VideoClassifierOptions& options,
                               const ProgressCallback& progress);
  // Trains on the clips at `use` only (no copy of the clips).
  static VideoClassifier train(const ClipSet& clips, const std::vector<std::size_t>& use,
                               const VideoClassifierOptions& options, const ProgressCallback& progress);
  static VideoClassifier load(const std::filesystem::path& folder);
  void save(const std::filesystem::path& folder) const;

  StreamScores score(const ClipSet& clips, const ProgressCallback& progress) const;
  // The options it was trained with; rgb/flow_weight as chosen by fusion_from_training.
  const VideoClassifierOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bt::behavior

namespace bt::behavior {

// One video for the video classifier: the video file and its labelled tracks.
struct LabelledVideoFile {
  std::filesystem::path video;
  LabelledVideo labelled;
};

struct VideoCrossValidation {
  StreamScores scores;              // every held-out clip, pooled over the folds
  std::vector<float> fused;         // the same, fused with each fold's model weights (n x k)
  std::vector<double> fold_rgb_weight;  // per fold: the model's rgb_weight (flow = 1 - it)
  std::vector<int> labels;          // aligned with the scores
  std::vector<int> fold;            // held-out video index per clip
  std::vector<std::string> names;   // per video
  double train_seconds = 0;         // wall time spent training, all folds
  std::vector<double> fold_train_seconds;  // per fold
  std::size_t train_clips = 0;      // clips trained on, summed over the folds (x epochs x 2 streams = visits)
  double score_seconds = 0;         // wall time spent scoring the held-out clips (both streams)
};

// Leave-one-video-out for the two-stream classifier (seeds/003's protocol): clips of every
// video are cut once (labelled mouse-frames only), then each video is scored by nets trained
// on all the others. Needs >= 2 videos. max_folds > 0 holds out only the first max_folds
// videos (each still trained on all the others): a cheaper, plainly reported protocol.
VideoCrossValidation cross_validate_video(const std::vector<LabelledVideoFile>& videos,
                                          const VideoClassifierOptions& options, const ProgressCallback& progress,
                                          int max_folds = 0);

}  // namespace bt::behavior
