#include "pose_net_torch.h"

#include <fmt/format.h>
#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/init.h>

#include <algorithm>
#include <cmath>

#include "behavtrack/core/error.h"

namespace bt::pose {
namespace F = torch::nn::functional;

ConvBnImpl::ConvBnImpl(int in, int out, int k, int stride) {
  conv = register_module(
      "conv", torch::nn::Conv2d(
                  torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).bias(false)));
  bn = register_module("bn", torch::nn::BatchNorm2d(
                                 torch::nn::BatchNorm2dOptions(out).eps(1e-3).momentum(0.03)));
}

torch::Tensor ConvBnImpl::forward(const torch::Tensor& x) {
  if (fused_weight.defined()) {
    const int64_t pad = fused_weight.size(2) / 2;  // the constructor pads k / 2
    torch::Tensor y = torch::conv2d(x, fused_weight, fused_bias, conv->options.stride(), {pad, pad});
    return torch::silu_(y);
  }
  if (is_training()) return F::silu(bn(conv(x)));
  torch::Tensor y = bn(conv(x));
  return torch::silu_(y);  // in place: no graph to keep
}

void ConvBnImpl::fuse_for_inference() {
  if (fused_weight.defined()) return;
  torch::NoGradGuard no_grad;
  // y = gamma * (conv(x) - mean) / sqrt(var + eps) + beta = conv'(x) + b'
  const torch::Tensor scale = bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
  fused_weight = (conv->weight * scale.view({-1, 1, 1, 1})).contiguous();
  fused_bias = (bn->bias - bn->running_mean * scale).contiguous();
}

void fuse_conv_bn_for_inference(torch::nn::Module& module) {
  for (const auto& child : module.modules(/*include_self=*/true))
    if (auto* conv_bn = dynamic_cast<ConvBnImpl*>(child.get())) conv_bn->fuse_for_inference();
}

C2fImpl::C2fImpl(int in, int out, int n, bool shortcut_) : shortcut(shortcut_) {
  // ref: YOLOv8 C2f: split in two, chain n bottlenecks on one half, concatenate all.
  hidden = std::max(8, out / 2);
  cv1 = register_module("cv1", ConvBn(in, 2 * hidden, 1));
  cv2 = register_module("cv2", ConvBn((2 + n) * hidden, out, 1));
  for (int i = 0; i < n; ++i) {
    auto a = register_module(fmt::format("m{}a", i), ConvBn(hidden, hidden, 3));
    auto b = register_module(fmt::format("m{}b", i), ConvBn(hidden, hidden, 3));
    blocks.emplace_back(a, b);
  }
}

torch::Tensor C2fImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> parts = cv1(x).chunk(2, 1);
  for (auto& [a, b] : blocks) {
    torch::Tensor y = b(a(parts.back()));
    parts.push_back(shortcut ? parts.back() + y : y);
  }
  return cv2(torch::cat(parts, 1));
}

double YoloPoseNetOptions::width() const {
  return size == "n" ? 0.25 : size == "s" ? 0.5 : 0.75;
}
double YoloPoseNetOptions::depth() const { return size == "m" ? 0.67 : 0.33; }

std::vector<int> YoloPoseNetOptions::strides() const {
  return version == 1 ? std::vector<int>{8, 16, 32} : std::vector<int>{16, 32};
}

void validate_net_version(int version, const char* field) {
  if (version != 1 && version != 2)
    throw_invalid(fmt::format("{} = {}: must be 1 or 2", field, version));
}

void YoloPoseNetOptions::validate() const {
  if (size != "n" && size != "s" && size != "m")
    throw_invalid(fmt::format("size = {}: must be n, s or m", bt::quoted(size)));
  if (n_keypoints < 1)
    throw_invalid(fmt::format("n_keypoints = {}: must be at least 1", n_keypoints));
  validate_net_version(version, "net_version");
}

namespace {

int channels(double width, int base) { return std::max(16, int(std::lround(base * width / 8)) * 8); }
int repeats(double depth, int base) { return std::max(1, int(std::lround(base * depth))); }

torch::nn::Sequential head_branch(int in, int mid, int out, std::vector<double> biases) {
  torch::nn::Conv2d last(torch::nn::Conv2dOptions(mid, out, 1));
  torch::NoGradGuard no_grad;
  for (int c = 0; c < out; ++c) last->bias[c].fill_(biases.size() == 1 ? biases[0] : biases.at(c));
  return torch::nn::Sequential(ConvBn(in, mid, 3), ConvBn(mid, mid, 3), last);
}

const double kObjPrior = std::log(0.01 / 0.99);  // objectness starts at p = 0.01

torch::Tensor upsample2(const torch::Tensor& t) {
  return F::interpolate(
      t, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest));
}

}  // namespace

YoloPoseNetImpl::YoloPoseNetImpl(YoloPoseNetOptions o) : options(std::move(o)) {
  options.validate();
  if (options.version == 1)
    build_version1();
  else
    build_version2();
}

void YoloPoseNetImpl::build_version1() {
  const double w = options.width(), d = options.depth();
  const int c1 = channels(w, 64), c2 = channels(w, 128), c3 = channels(w, 256),
            c4 = channels(w, 512), c5 = channels(w, 1024);
  stem = register_module("stem", torch::nn::Sequential(ConvBn(3, c1, 3, 2)));
  stage2 = register_module("stage2", torch::nn::Sequential(ConvBn(c1, c2, 3, 2),
                                                           C2f(c2, c2, repeats(d, 3), true)));
  stage3 = register_module("stage3", torch::nn::Sequential(ConvBn(c2, c3, 3, 2),
                                                           C2f(c3, c3, repeats(d, 6), true)));
  stage4 = register_module("stage4", torch::nn::Sequential(ConvBn(c3, c4, 3, 2),
                                                           C2f(c4, c4, repeats(d, 6), true)));
  stage5 = register_module("stage5", torch::nn::Sequential(ConvBn(c4, c5, 3, 2),
                                                           C2f(c5, c5, repeats(d, 3), true)));
  sppf_in = register_module("sppf_in", ConvBn(c5, c5 / 2, 1));
  sppf_out = register_module("sppf_out", ConvBn(c5 * 2, c5, 1));
  const int n = repeats(d, 3);
  up4 = register_module("up4", C2f(c5 + c4, c4, n, false));
  up3 = register_module("up3", C2f(c4 + c3, c3, n, false));
  down3_conv = register_module("down3_conv", ConvBn(c3, c3, 3, 2));
  down4 = register_module("down4", C2f(c3 + c4, c4, n, false));
  down4_conv = register_module("down4_conv", ConvBn(c4, c4, 3, 2));
  down5 = register_module("down5", C2f(c4 + c5, c5, n, false));

  const int k3 = 3 * options.n_keypoints;
  const int mid_box = std::max(16, c3 / 2), mid_kpt = std::max(c3 / 2, k3);
  box_heads = register_module("box_heads", torch::nn::ModuleList());
  obj_heads = register_module("obj_heads", torch::nn::ModuleList());
  kpt_heads = register_module("kpt_heads", torch::nn::ModuleList());
  for (int ch : {c3, c4, c5}) {
    box_heads->push_back(head_branch(ch, mid_box, 4, {1.0}));
    obj_heads->push_back(head_branch(ch, mid_box, 1, {kObjPrior}));
    kpt_heads->push_back(head_branch(ch, mid_kpt, k3, {0.0}));
  }
}

void YoloPoseNetImpl::build_version2() {
  // Multiply-adds at 320x320, size n: ~0.35 G (version 1: ~0.85 G), see the header.
  const double w = options.width();
  const int c1 = channels(w, 64), c2 = channels(w, 128), c3 = channels(w, 256),
            c4 = channels(w, 512), c5 = c4;
  const int n = options.size == "m" ? 2 : 1;
  stem = register_module("stem", torch::nn::Sequential(ConvBn(3, c1, 3, 2)));
  // No C2f block at stride 4: at 80x64 cells its small convolutions cost a quarter of the
  // whole forward pass on a CPU while adding little for animals of 25-60 px.
  stage2 = register_module("stage2", torch::nn::Sequential(ConvBn(c1, c2, 3, 2)));
  stage3 = register_module("stage3", torch::nn::Sequential(ConvBn(c2, c3, 3, 2),
                                                           C2f(c3, c3, n, true)));
  stage4 = register_module("stage4", torch::nn::Sequential(ConvBn(c3, c4, 3, 2),
                                                           C2f(c4, c4, n, true)));
  stage5 = register_module("stage5", torch::nn::Sequential(ConvBn(c4, c5, 3, 2),
                                                           C2f(c5, c5, n, true)));
  sppf_in = register_module("sppf_in", ConvBn(c5, c5 / 2, 1));
  sppf_out = register_module("sppf_out", ConvBn(c5 * 2, c5, 1));
  up4 = register_module("up4", C2f(c5 + c4, c4, n, false));
  down4_conv = register_module("down4_conv", ConvBn(c4, c4, 3, 2));
  down5 = register_module("down5", C2f(c4 + c5, c5, n, false));

  const int k3 = 3 * options.n_keypoints;
  const int mid_box = std::max(16, c3 / 2), mid_kpt = std::max(c3 / 2, k3);
  box_heads = register_module("box_heads", torch::nn::ModuleList());
  obj_heads = register_module("obj_heads", torch::nn::ModuleList());
  kpt_heads = register_module("kpt_heads", torch::nn::ModuleList());
  for (int ch : {c4, c5}) {
    box_heads->push_back(head_branch(ch, mid_box, 5, {1.0, 1.0, 1.0, 1.0, kObjPrior}));
    kpt_heads->push_back(head_branch(ch, mid_kpt, k3, {0.0}));
  }
}

torch::Tensor YoloPoseNetImpl::forward(const torch::Tensor& x, bool with_keypoints) {
  const torch::Tensor p3 = stage3->forward(stage2->forward(stem->forward(x)));
  const torch::Tensor p4 = stage4->forward(p3);
  torch::Tensor p5 = stage5->forward(p4);
  // SPPF (ref: YOLOv5): three chained 5x5 max-pools, concatenated.
  {
    const torch::Tensor a = sppf_in(p5);
    const auto pool = [](const torch::Tensor& t) {
      return F::max_pool2d(t, F::MaxPool2dFuncOptions(5).stride(1).padding(2));
    };
    const torch::Tensor b = pool(a), c = pool(b), e = pool(c);
    p5 = sppf_out(torch::cat({a, b, c, e}, 1));
  }
  // FPN top-down, then PAN bottom-up.
  const torch::Tensor n4 = up4(torch::cat({upsample2(p5), p4}, 1));
  if (options.version == 1) {
    const torch::Tensor o3 = up3(torch::cat({upsample2(n4), p3}, 1));
    const torch::Tensor o4 = down4(torch::cat({down3_conv(o3), n4}, 1));
    const torch::Tensor o5 = down5(torch::cat({down4_conv(o4), p5}, 1));
    return head_outputs({o3, o4, o5}, with_keypoints);
  }
  const torch::Tensor o5 = down5(torch::cat({down4_conv(n4), p5}, 1));
  return head_outputs({n4, o5}, with_keypoints);
}

torch::Tensor YoloPoseNetImpl::head_outputs(const std::vector<torch::Tensor>& feats,
                                            bool with_keypoints) {
  const bool split_obj = !obj_heads->is_empty();
  const int64_t k3 = 3 * options.n_keypoints;
  std::vector<torch::Tensor> levels;
  for (size_t i = 0; i < feats.size(); ++i) {
    std::vector<torch::Tensor> parts{box_heads[i]->as<torch::nn::Sequential>()->forward(feats[i])};
    if (split_obj) parts.push_back(obj_heads[i]->as<torch::nn::Sequential>()->forward(feats[i]));
    if (with_keypoints || options.version == 1)
      parts.push_back(kpt_heads[i]->as<torch::nn::Sequential>()->forward(feats[i]));
    else
      parts.push_back(torch::zeros({feats[i].size(0), k3, feats[i].size(2), feats[i].size(3)},
                                   feats[i].options()));
    levels.push_back(torch::cat(parts, 1).flatten(2).transpose(1, 2));  // (B, H*W, C)
  }
  return torch::cat(levels, 1);
}

std::pair<torch::Tensor, torch::Tensor> YoloPoseNetImpl::anchors(int input_w, int input_h) const {
  std::vector<torch::Tensor> points, strides;
  for (int stride : options.strides()) {
    const int nx = input_w / stride, ny = input_h / stride;
    const torch::Tensor rx = (torch::arange(nx, torch::kFloat) + 0.5) * stride;
    const torch::Tensor ry = (torch::arange(ny, torch::kFloat) + 0.5) * stride;
    const std::vector<torch::Tensor> grid = torch::meshgrid({ry, rx}, "ij");  // (y, x)
    points.push_back(torch::stack({grid[1].flatten(), grid[0].flatten()}, 1));
    strides.push_back(torch::full({nx * ny, 1}, float(stride)));
  }
  return {torch::cat(points, 0), torch::cat(strides, 0)};
}

YoloPoseNetImpl::Decoded YoloPoseNetImpl::decode(const torch::Tensor& raw,
                                                  const torch::Tensor& anchor_xy,
                                                  const torch::Tensor& stride) const {
  const int k = options.n_keypoints;
  Decoded d;
  // Box: distances from the anchor centre to the four sides, in strides (softplus >= 0).
  const torch::Tensor ltrb = F::softplus(raw.slice(2, 0, 4)) * stride;
  d.boxes = torch::cat({anchor_xy - ltrb.slice(2, 0, 2), anchor_xy + ltrb.slice(2, 2, 4)}, 2);
  d.obj = raw.select(2, 4);
  // Keypoints: offsets from the anchor in units of 2 strides (ref: YOLO-pose).
  const torch::Tensor kp = raw.slice(2, 5, 5 + 3 * k).reshape({raw.size(0), raw.size(1), k, 3});
  d.kpts = anchor_xy.unsqueeze(1) + kp.slice(3, 0, 2) * 2 * stride.unsqueeze(1);
  d.vis = kp.select(3, 2);
  return d;
}

RefineNetImpl::RefineNetImpl(int k, int version) : n_keypoints(k) {
  validate_net_version(version, "net_version");
  // Channels at strides 4, 8, 16 and C2f repeats; version 2 is ~3x cheaper (see the header).
  const bool v1 = version == 1;
  const int s2 = v1 ? 24 : 16, s4 = v1 ? 48 : 32, s8 = v1 ? 96 : 64, s16 = v1 ? 160 : 128;
  const int n = v1 ? 2 : 1;
  enc1 = register_module("enc1", torch::nn::Sequential(ConvBn(3, s2, 3, 2), ConvBn(s2, s4, 3, 2),
                                                       C2f(s4, s4, 1, true)));
  enc2 = register_module("enc2", torch::nn::Sequential(ConvBn(s4, s8, 3, 2), C2f(s8, s8, n, true)));
  enc3 = register_module("enc3",
                         torch::nn::Sequential(ConvBn(s8, s16, 3, 2), C2f(s16, s16, n, true)));
  // 1x1 laterals keep the decoder cheap; one 3x3 at stride 4 mixes the fused features.
  const int d8 = v1 ? 64 : 48, d4 = v1 ? 48 : 32;
  lat2 = register_module("lat2", ConvBn(s16 + s8, d8, 1));
  lat1 = register_module("lat1", ConvBn(d8 + s4, d4, 1));
  dec = register_module("dec", torch::nn::Sequential(ConvBn(d4, d4, 3)));
  heat = register_module("heat", torch::nn::Conv2d(torch::nn::Conv2dOptions(d4, k, 1)));
  offset = register_module("offset", torch::nn::Conv2d(torch::nn::Conv2dOptions(d4, 2 * k, 1)));
  torch::nn::init::constant_(heat->bias, std::log(0.01 / 0.99));
}

std::pair<torch::Tensor, torch::Tensor> RefineNetImpl::forward(const torch::Tensor& x) {
  const torch::Tensor f1 = enc1->forward(x);   // stride 4
  const torch::Tensor f2 = enc2->forward(f1);  // stride 8
  const torch::Tensor f3 = enc3->forward(f2);  // stride 16
  const auto up = [](const torch::Tensor& t) {
    return F::interpolate(t, F::InterpolateFuncOptions()
                                 .scale_factor(std::vector<double>{2, 2})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
  };
  const torch::Tensor g2 = lat2(torch::cat({up(f3), f2}, 1));
  const torch::Tensor g1 = dec->forward(lat1(torch::cat({up(g2), f1}, 1)));
  return {heat(g1), offset(g1)};
}

torch::Tensor to_input_tensor(const std::vector<cv::Mat>& images) {
  const int h = images.at(0).rows, w = images.at(0).cols;
  torch::Tensor out = torch::empty({static_cast<long>(images.size()), h, w, 3}, torch::kUInt8);
  for (size_t i = 0; i < images.size(); ++i) {
    const cv::Mat& m = images[i];
    if (m.rows != h || m.cols != w || m.type() != CV_8UC3)
      throw_internal("to_input_tensor: images differ in size or type");
    cv::Mat dst(h, w, CV_8UC3, out[i].data_ptr<uint8_t>());
    m.copyTo(dst);
  }
  return out.permute({0, 3, 1, 2}).to(torch::kFloat).div_(255.0);
}

}  // namespace bt::pose
