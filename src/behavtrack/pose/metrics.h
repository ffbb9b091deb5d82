// Accuracy of predicted instances against labelled ones, over a set of images.
//
//   bt::pose::MetricsOptions o;                       // sigmas default to 1/K per keypoint
//   bt::pose::PoseMetrics m = bt::pose::evaluate_pose(truth, predictions, o);
//   m.box_ap50, m.box_ap50_95, m.oks_ap50_95, m.rmse_px, m.pck10 ...
//
// Definitions (COCO, ref: cocodataset.org/#keypoints-eval and pycocotools COCOeval):
// - Matching per image and threshold: predictions in descending score order each take the
//   unmatched ground truth of highest similarity (box IoU, or OKS) at or above the threshold.
// - AP: 101-point interpolated precision over recall (monotone precision envelope),
//   AP50-95 = mean over thresholds 0.50, 0.55, ..., 0.95.
// - OKS = mean over labelled keypoints of exp(-d^2 / (2 s^2 (2 sigma)^2)), s^2 = the ground
//   truth box area x 0.53 (the box-to-segment area ratio Ultralytics uses). Default
//   sigma = 1/K for K keypoints (Ultralytics' choice for custom skeletons); configurable.
// - Keypoint errors are measured on instances matched at box IoU >= 0.5: distance d in
//   pixels between a labelled keypoint and the predicted one. rmse_px = sqrt(mean d^2),
//   mean_error_px = mean d, PCK@T = share of labelled keypoints with a predicted keypoint
//   within T pixels (a keypoint predicted absent counts as a miss). Per keypoint too.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::pose {

struct MetricsOptions {
  std::vector<double> sigmas;  // per keypoint OKS sigma; empty = 1/K each
  double area_ratio = 0.53;    // object area = box area x this (for OKS)
  double match_iou = 0.5;      // box IoU that pairs an instance for keypoint errors
  void validate(int n_keypoints) const;
};

struct KeypointErrors {
  std::string name;
  int n_labelled = 0;   // labelled keypoints on matched instances
  int n_predicted = 0;  // of which the prediction has the keypoint
  double rmse_px = 0, mean_error_px = 0, pck5 = 0, pck10 = 0;
};

struct PoseMetrics {
  int n_images = 0, n_truth = 0, n_predicted = 0;
  int n_matched = 0;  // ground-truth instances matched at match_iou
  int n_missed = 0;   // ground-truth instances with no prediction matched
  double box_ap50 = 0, box_ap50_95 = 0, oks_ap50 = 0, oks_ap50_95 = 0;
  double rmse_px = 0, mean_error_px = 0, pck5 = 0, pck10 = 0;  // all keypoints together
  std::vector<KeypointErrors> per_keypoint;
  std::string to_json() const;  // the numbers above as a JSON object
};

// OKS between one prediction and one ground truth (labelled keypoints only); 0 when the
// ground truth has no labelled keypoint.
double oks(const Instance& prediction, const Instance& truth, const std::vector<double>& sigmas,
           double area_ratio);

// COCO 101-point AP of scored matches: `matched[i]` says whether prediction i (with
// score scores[i]) was a true positive; n_truth is the number of ground truths.
double average_precision(const std::vector<float>& scores, const std::vector<bool>& matched,
                         int n_truth);

// truth[i] and predictions[i] are the instances of image i.
PoseMetrics evaluate_pose(const std::vector<std::vector<Instance>>& truth,
                          const std::vector<std::vector<Instance>>& predictions,
                          const Skeleton& skeleton, const MetricsOptions& options);

}  // namespace bt::pose
