// Private to bt_pose: the LibTorch networks behind PoseModel.
//
// YoloPoseNet: CSP backbone (C2f blocks) -> SPPF -> FPN/PAN neck -> decoupled head per
// stride (8, 16, 32) with box (l, t, r, b distances), objectness and keypoint branches.
// ref: YOLOv8 / YOLO-pose (arXiv:2204.06806), YOLOX decoupled head (arXiv:2107.08430).
// forward(x) -> raw (B, A, 5 + 3K): [l t r b] raw, obj logit, then per keypoint dx, dy raw
// and a visibility logit; decode() turns it into input pixels with anchors() and strides().
//
// RefineNet: a small encoder-decoder on a crop, output stride 4: K heatmap logits and
// 2K offsets (cells). ref: DeepLabCut (Mathis et al. 2018), SimpleBaseline (arXiv:1804.06208).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

namespace bt::pose {

struct ConvBnImpl : torch::nn::Module {
  ConvBnImpl(int in, int out, int k = 1, int stride = 1);
  torch::Tensor forward(const torch::Tensor& x);
  // For inference: folds the batch norm's running statistics into the convolution's weight
  // and a bias, saving one pass over every activation. Training afterwards is an error.
  void fuse_for_inference();
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::Tensor fused_weight, fused_bias;  // defined once fused
};
TORCH_MODULE(ConvBn);

struct C2fImpl : torch::nn::Module {
  C2fImpl(int in, int out, int n, bool shortcut);
  torch::Tensor forward(const torch::Tensor& x);
  ConvBn cv1{nullptr}, cv2{nullptr};
  std::vector<std::pair<ConvBn, ConvBn>> blocks;
  bool shortcut = true;
  int hidden = 0;
};
TORCH_MODULE(C2f);

struct YoloPoseNetOptions {
  std::string size = "n";
  int n_keypoints = 4;
  double width() const;  // channel multiplier
  double depth() const;  // block repeat multiplier
  void validate() const;
};

struct YoloPoseNetImpl : torch::nn::Module {
  explicit YoloPoseNetImpl(YoloPoseNetOptions options);
  torch::Tensor forward(const torch::Tensor& x);  // (B, A, 5 + 3K) raw
  // Anchor centres (A, 2) and strides (A, 1) for an input of side input_px, in pixels.
  static std::pair<torch::Tensor, torch::Tensor> anchors(int input_px);
  // raw -> boxes xyxy (B, A, 4), obj logit (B, A), keypoints x, y (B, A, K, 2), vis logit (B, A, K)
  struct Decoded {
    torch::Tensor boxes, obj, kpts, vis;
  };
  Decoded decode(const torch::Tensor& raw, const torch::Tensor& anchors,
                 const torch::Tensor& strides) const;

  YoloPoseNetOptions options;
  torch::nn::Sequential stem{nullptr}, stage2{nullptr}, stage3{nullptr}, stage4{nullptr},
      stage5{nullptr};
  ConvBn sppf_in{nullptr}, sppf_out{nullptr};
  C2f up4{nullptr}, up3{nullptr}, down4{nullptr}, down5{nullptr};
  ConvBn down3_conv{nullptr}, down4_conv{nullptr};
  torch::nn::ModuleList box_heads{nullptr}, obj_heads{nullptr}, kpt_heads{nullptr};
};
TORCH_MODULE(YoloPoseNet);

struct RefineNetImpl : torch::nn::Module {
  explicit RefineNetImpl(int n_keypoints);
  // x (B, 3, S, S) -> (heatmap logits (B, K, S/4, S/4), offsets (B, 2K, S/4, S/4))
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);
  int n_keypoints = 0;
  torch::nn::Sequential enc1{nullptr}, enc2{nullptr}, enc3{nullptr};
  ConvBn lat2{nullptr}, lat1{nullptr};
  torch::nn::Sequential dec{nullptr};
  torch::nn::Conv2d heat{nullptr}, offset{nullptr};
};
TORCH_MODULE(RefineNet);

constexpr int kRefineStride = 4;

// Fuses every ConvBn inside `module` (see ConvBnImpl::fuse_for_inference).
void fuse_conv_bn_for_inference(torch::nn::Module& module);

// BGR 8-bit images -> float (B, 3, H, W) in [0, 1] (the "bgr/255" normalisation).
torch::Tensor to_input_tensor(const std::vector<cv::Mat>& images);

}  // namespace bt::pose
