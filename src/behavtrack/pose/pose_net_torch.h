// Private to bt_pose: the LibTorch networks behind PoseModel.
//
// YoloPoseNet: CSP backbone (C2f blocks) -> SPPF -> FPN/PAN neck -> decoupled head per
// level with box (l, t, r, b distances), objectness and keypoint branches.
// ref: YOLOv8 / YOLO-pose (arXiv:2204.06806), YOLOX decoupled head (arXiv:2107.08430).
// forward(x) -> raw (B, A, 5 + 3K): [l t r b] raw, obj logit, then per keypoint dx, dy raw
// and a visibility logit; decode() turns it into input pixels with anchors().
// Any input whose sides are multiples of 32 (the net is fully convolutional).
//
// Two generations (model.json "net_version"; a folder without it is version 1):
//  1. heads at strides 8, 16, 32; box, objectness and keypoint branches apart; YOLOv8 widths
//     and depths (n: 16-32-64-128-256 channels, C2f repeats 1-2-2-1); refiner 24-48-96-160.
//  2. (default) for speed on 2 CPU cores: heads at strides 16 and 32 only (a mouse is 25-60
//     px at input 320: 2-4 cells of 16), one branch for box + objectness (YOLOX puts
//     objectness on the regression branch), the stride-32 stage no wider than stride 16,
//     one C2f block per stage from stride 8 on (none at stride 4), and a refiner of
//     16-32-64-128 channels with one block per stage: ~2.5x fewer multiply-adds in the
//     detector (size n at 320x320: ~0.35 G, version 1 ~0.85 G) and in the refiner (at a
//     128 px crop: ~52 M, version 1 ~128 M). Measured on 640x480 frames, 2 threads, side by
//     side: predict 2.2x faster (bench/pose BM_PoseInference n_320 vs n_320_v1).
//     At inference the keypoint branch runs only when asked (forward(x, false) leaves those
//     channels 0): the refiner replaces the detector's keypoints anyway.
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

inline constexpr int kNetVersionLatest = 2;

struct YoloPoseNetOptions {
  std::string size = "n";
  int n_keypoints = 4;
  int version = kNetVersionLatest;  // 1 or 2, see above
  double width() const;  // channel multiplier
  double depth() const;  // block repeat multiplier
  std::vector<int> strides() const;  // of the output levels, pixels
  void validate() const;
};

// Throws bt::Error unless version is 1 or 2.
void validate_net_version(int version, const char* field);

struct YoloPoseNetImpl : torch::nn::Module {
  explicit YoloPoseNetImpl(YoloPoseNetOptions options);
  // (B, A, 5 + 3K) raw; with_keypoints false (version 2) leaves the keypoint channels 0.
  torch::Tensor forward(const torch::Tensor& x, bool with_keypoints = true);
  // Anchor centres (A, 2) and strides (A, 1) for an input of input_w x input_h pixels, in
  // the order of forward()'s anchors: level by level, each row-major (y outer, x inner).
  std::pair<torch::Tensor, torch::Tensor> anchors(int input_w, int input_h) const;
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
  // Version 2: box_heads output 5 channels (box and objectness) and obj_heads is empty.
  torch::nn::ModuleList box_heads{nullptr}, obj_heads{nullptr}, kpt_heads{nullptr};

 private:
  void build_version1();
  void build_version2();
  torch::Tensor head_outputs(const std::vector<torch::Tensor>& feats, bool with_keypoints);
};
TORCH_MODULE(YoloPoseNet);

struct RefineNetImpl : torch::nn::Module {
  explicit RefineNetImpl(int n_keypoints, int version = kNetVersionLatest);
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
