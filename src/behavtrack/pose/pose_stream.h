// Pose over a video, reusing each frame's mice to place the next frame's crops.
//
// A full detection (the detector on the letterboxed frame, then the refiner on each crop)
// costs several times what refining known boxes does, and a mouse moves a few pixels between
// frames. So, like DeepLabCut's dynamic cropping (Mathis et al. 2018, `dynamic=(True, .5,
// 10)`), the stream runs the full detection on the first frame and then at least every
// `detect_every_frames` frames; in between it refines each held mouse in a crop around where
// its last box moved to (constant velocity). It detects again at once when
//  - fewer mice are held than expected (one was lost, or the count is still unknown and none is
//    held),
//  - two held boxes overlap (touching mice: a crop could hold either one), or
//  - a refined mouse is unsure (its mean keypoint score falls below `refine_score_min`).
// detect_every_frames = 1 is the plain per-frame detection.
//
//   bt::pose::PoseStream stream = bt::pose::PoseStream::for_model(model, predict, {});
//   while (reader.read(f)) use(stream.next(f.image));   // frames in order
//   stream.reset();                                     // before the next video
//
// Output: the instances of each frame (no ids), as PoseModel::predict gives them.
// Thread safety: one stream per video and thread.
#pragma once

#include <cstdint>
#include <functional>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::pose {

class PoseModel;
struct PredictOptions;

struct PoseStreamOptions {
  int detect_every_frames = 5;     // full detection at least this often; 1 = every frame
  int expected_animals = 0;        // fewer held mice than this: detect; 0 = unknown
  float refine_score_min = 0.5f;   // mean keypoint score below which a refined mouse is doubted
  double overlap_iou_max = 0.0;    // held boxes overlapping more than this (IoU): detect
  void validate() const;
};

class PoseStream {
 public:
  using Detect = std::function<std::vector<Instance>(const cv::Mat&)>;
  // Replaces the keypoints (and their scores) of each instance from its box; keeps the boxes.
  using Refine = std::function<void(const cv::Mat&, std::vector<Instance>&)>;

  // `refine` may be empty: then every frame is a full detection.
  PoseStream(Detect detect, Refine refine, PoseStreamOptions options);
  // The model's predict() and refine(); a model without a refiner detects every frame.
  // `model` must outlive the stream.
  static PoseStream for_model(const PoseModel& model, const PredictOptions& predict,
                              PoseStreamOptions options);

  std::vector<Instance> next(const cv::Mat& bgr);
  void reset();

  struct Stats {
    std::int64_t frames = 0;
    std::int64_t detections = 0;  // frames that ran the full detection
  };
  const Stats& stats() const { return stats_; }

 private:
  bool must_detect() const;
  std::vector<Instance> moved_guesses() const;
  bool confident(const std::vector<Instance>& refined) const;
  void hold_refined(std::vector<Instance>& refined);

  Detect detect_;
  Refine refine_;
  PoseStreamOptions options_;
  std::vector<Instance> held_;           // last frame's mice
  std::vector<cv::Point2d> velocity_px_;  // per held mouse, pixels per frame
  int frames_since_detection_ = 0;
  Stats stats_;
};

}  // namespace bt::pose
