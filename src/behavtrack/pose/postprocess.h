// Turning raw detector outputs into instances: greedy non-maximum suppression and the
// decoding of Ultralytics pose outputs (our own head uses the same layout after its
// decode step, so one code path serves both).
//
// Ultralytics layout (a pose model exported to TorchScript): a (4 + n_classes + 3K) x A
// float matrix, channel-major: rows cx, cy, w, h (input pixels), one sigmoid score per class,
// then x, y (input pixels) and a sigmoid visibility score per keypoint; A anchors (columns).
// As Ultralytics' non_max_suppression does: score = best class score, candidates under
// score_min dropped, boxes to corners, per-class greedy NMS at iou_max, at most max_det.
//
//   auto inst = bt::pose::decode_yolo_pose(out.data(), 4 + 1 + 12, n_anchors, 4, options);
//   for (auto& i : inst) i = letterbox.to_original(i);
//
// Output: instances in input pixels, best score first; keypoint v = 2 when its score is at
// least options.keypoint_visible_min, else 1. Thread safety: pure functions.
#pragma once

#include <vector>

#include "behavtrack/core/types.h"

namespace bt::pose {

struct DecodeOptions {
  float score_min = 0.25f;             // detection score threshold (Ultralytics' conf)
  float iou_max = 0.7f;                // NMS IoU threshold (Ultralytics' predict default)
  int max_det = 300;                   // at most this many instances per image
  float keypoint_visible_min = 0.5f;   // keypoint score giving v = 2 (visible)
  void validate() const;
};

// Greedy NMS: keeps the best-scoring instance and drops the others overlapping it above
// iou_max (IoU of boxes), until max_det are kept. Returns kept indices, best score first.
std::vector<int> nms(const std::vector<Box>& boxes, const std::vector<float>& scores,
                     float iou_max, int max_det);

// Decodes a channel-major (channels x n_anchors) output. Throws bt::Error when channels is
// not 4 + n_classes + 3 * n_keypoints for some n_classes >= 1.
std::vector<Instance> decode_yolo_pose(const float* data, int channels, int n_anchors,
                                       int n_keypoints, const DecodeOptions& options);

}  // namespace bt::pose
