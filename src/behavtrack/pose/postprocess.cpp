#include "behavtrack/pose/postprocess.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "behavtrack/core/error.h"

namespace bt::pose {

void DecodeOptions::validate() const {
  if (!(score_min >= 0 && score_min <= 1))
    throw_invalid(fmt::format("score_min = {}: must be in [0, 1]", score_min));
  if (!(iou_max > 0 && iou_max <= 1))
    throw_invalid(fmt::format("iou_max = {}: must be in (0, 1]", iou_max));
  if (max_det < 1) throw_invalid(fmt::format("max_det = {}: must be at least 1", max_det));
  if (!(keypoint_visible_min >= 0 && keypoint_visible_min <= 1))
    throw_invalid(fmt::format("keypoint_visible_min = {}: must be in [0, 1]",
                              keypoint_visible_min));
}

std::vector<int> nms(const std::vector<Box>& boxes, const std::vector<float>& scores,
                     float iou_max, int max_det) {
  std::vector<int> order(boxes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return scores[a] > scores[b]; });
  std::vector<int> kept;
  for (int i : order) {
    if (static_cast<int>(kept.size()) >= max_det) break;
    const bool suppressed = std::any_of(kept.begin(), kept.end(), [&](int k) {
      return iou(boxes[i], boxes[k]) > iou_max;
    });
    if (!suppressed) kept.push_back(i);
  }
  return kept;
}

std::vector<Instance> decode_yolo_pose(const float* data, int channels, int n_anchors,
                                       int n_keypoints, const DecodeOptions& options) {
  options.validate();
  const int n_classes = channels - 4 - 3 * n_keypoints;
  if (n_keypoints < 1 || n_classes < 1)
    throw_invalid(fmt::format(
        "pose output: {} channels cannot hold 4 box + classes + 3 x {} keypoint values",
        channels, n_keypoints));
  auto at = [&](int c, int a) { return data[static_cast<long>(c) * n_anchors + a]; };

  // Step 1: candidates above the score threshold (score = best class, as Ultralytics).
  std::vector<Box> boxes;
  std::vector<float> scores;
  std::vector<int> anchors, classes;
  for (int a = 0; a < n_anchors; ++a) {
    int best = 0;
    for (int c = 1; c < n_classes; ++c)
      if (at(4 + c, a) > at(4 + best, a)) best = c;
    const float score = at(4 + best, a);
    if (!(score > options.score_min)) continue;
    boxes.push_back(Box::from_cxcywh(at(0, a), at(1, a), at(2, a), at(3, a)));
    scores.push_back(score);
    anchors.push_back(a);
    classes.push_back(best);
  }
  // Step 2: per-class NMS: offsetting boxes by class keeps classes apart (Ultralytics'
  // max_wh trick) while one greedy pass handles all of them.
  std::vector<Box> shifted = boxes;
  constexpr double kClassOffset = 7680;
  for (size_t i = 0; i < shifted.size(); ++i) {
    const double off = classes[i] * kClassOffset;
    shifted[i] = {boxes[i].x1 + off, boxes[i].y1 + off, boxes[i].x2 + off, boxes[i].y2 + off};
  }
  const std::vector<int> kept = nms(shifted, scores, options.iou_max, options.max_det);

  // Step 3: instances with keypoints and their scores.
  std::vector<Instance> out;
  const int kp0 = 4 + n_classes;
  for (int i : kept) {
    Instance inst;
    inst.box = boxes[i];
    inst.score = scores[i];
    for (int k = 0; k < n_keypoints; ++k) {
      const int a = anchors[i];
      const float s = at(kp0 + 3 * k + 2, a);
      inst.keypoints.push_back({at(kp0 + 3 * k, a), at(kp0 + 3 * k + 1, a),
                                s >= options.keypoint_visible_min ? Visibility::kVisible
                                                                  : Visibility::kOccluded});
      inst.keypoint_scores.push_back(s);
    }
    out.push_back(std::move(inst));
  }
  return out;
}

}  // namespace bt::pose
