// Private to bt_pose: running the networks on frames, shared by PoseModel (inference) and
// training (validation). Inputs and outputs in frame pixels.
#pragma once

#include <torch/serialize/archive.h>

#include <opencv2/core/mat.hpp>
#include <vector>

#include "behavtrack/core/types.h"
#include "behavtrack/pose/postprocess.h"
#include "pose_net_torch.h"

namespace bt::pose {

// The detector and (optionally) the refiner of one model.
struct PoseNets {
  YoloPoseNet detector{nullptr};
  RefineNet refiner{nullptr};  // null when the model has no refinement stage
  int input_px = 320;
  int refine_px = 128;
  int n_keypoints = 4;
  int net_version = kNetVersionLatest;

  PoseNets(const std::string& size, int n_keypoints, int input_px, int refine_px,
           int net_version);
  void to(const torch::Device& device);
  void train(bool on);
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);
};

// Detector on a whole frame: rectangular letterbox (Letterbox::fit_rect, the longer side
// input_px), forward, decode, NMS, back to frame pixels. with_keypoints false skips the
// detector's keypoint branch (version 2 nets) when the refiner will place them.
std::vector<Instance> run_detector(YoloPoseNet& net, const cv::Mat& bgr, int input_px,
                                   const DecodeOptions& options, const torch::Device& device,
                                   bool with_keypoints = true);

// Output scale of the refiner crop around a box: native resolution unless the box does not
// fit the crop (the box's longer side x 1.05 fills it then).
double refine_scale(const Box& box, int refine_px);

// Replaces each instance's keypoints by the refiner's: heatmap argmax + offset, score =
// sigmoid of the heatmap peak (ref: DeepLabCut, Mathis et al. 2018, "locref").
void run_refiner(RefineNet& net, const cv::Mat& bgr, std::vector<Instance>& instances,
                 int refine_px, float keypoint_visible_min, const torch::Device& device);

}  // namespace bt::pose
