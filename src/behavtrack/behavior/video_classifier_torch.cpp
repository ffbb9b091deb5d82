// The 3D CNNs of the two-stream video classifier and their training/scoring loops (LibTorch).
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "behavtrack/behavior/video_classifier.h"
#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/device.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/nn/device_torch.h"

namespace bt::behavior {
namespace {

namespace nn = torch::nn;
using nlohmann::json;
constexpr double kFinalLearningRate = 5e-5;  // seeds/003's learning-rate floor
constexpr float kFlowScalePx = 20.0f;        // flow input = px / 20

nn::Conv3dOptions conv(int in, int out, std::array<int64_t, 3> k, std::array<int64_t, 3> s = {1, 1, 1}) {
  return nn::Conv3dOptions(in, out, {k[0], k[1], k[2]})
      .stride({s[0], s[1], s[2]})
      .padding({k[0] / 2, k[1] / 2, k[2] / 2})
      .bias(false);
}

// ---- R(2+1)D (ref: arXiv:1711.11248, sec. 3.5 and fig. 2) --------------------------------
// A 3D t x d x d convolution factored into a spatial 1 x d x d convolution to M channels and
// a temporal t x 1 x 1 one, M = floor(t d^2 N_in N_out / (d^2 N_in + t N_out)) so that the
// parameter count matches the full 3D convolution.
struct Conv2Plus1DImpl : nn::Module {
  nn::Conv3d spatial{nullptr}, temporal{nullptr};
  nn::BatchNorm3d bn{nullptr};
  Conv2Plus1DImpl(int in, int out, int stride) {
    const int mid = std::max(4, (3 * 9 * in * out) / (9 * in + 3 * out));
    spatial = register_module("spatial", nn::Conv3d(conv(in, mid, {1, 3, 3}, {1, stride, stride})));
    bn = register_module("bn", nn::BatchNorm3d(mid));
    temporal = register_module("temporal", nn::Conv3d(conv(mid, out, {3, 1, 1}, {stride, 1, 1})));
  }
  torch::Tensor forward(const torch::Tensor& x) { return temporal(torch::relu(bn(spatial(x)))); }
};
TORCH_MODULE(Conv2Plus1D);

struct ResBlock2Plus1DImpl : nn::Module {
  Conv2Plus1D conv1{nullptr}, conv2{nullptr};
  nn::BatchNorm3d bn1{nullptr}, bn2{nullptr};
  nn::Sequential shortcut{nullptr};
  ResBlock2Plus1DImpl(int in, int out, int stride) {
    conv1 = register_module("spatial1", Conv2Plus1D(in, out, stride));
    bn1 = register_module("bn1", nn::BatchNorm3d(out));
    conv2 = register_module("spatial2", Conv2Plus1D(out, out, 1));
    bn2 = register_module("bn2", nn::BatchNorm3d(out));
    if (stride != 1 || in != out) {
      shortcut = register_module("shortcut", nn::Sequential(nn::Conv3d(conv(in, out, {1, 1, 1}, {stride, stride, stride})),
                                                            nn::BatchNorm3d(out)));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = bn2(conv2(torch::relu(bn1(conv1(x)))));
    return torch::relu(y + (shortcut ? shortcut->forward(x) : x));
  }
};
TORCH_MODULE(ResBlock2Plus1D);

// ---- I3D-style inflated inception (ref: arXiv:1705.07750, fig. 3) -------------------------
// Branches: 1x1x1; 1x1x1 -> 3x3x3; 1x1x1 -> 3x3x3 (the 5x5 branch, made 3x3x3 to stay
// small); 3x3x3 max-pool -> 1x1x1; concatenated on channels.
// Convolution + batch norm + ReLU.
struct UnitImpl : nn::Module {
  nn::Conv3d conv3d{nullptr};
  nn::BatchNorm3d bn{nullptr};
  UnitImpl(int in, int out, std::array<int64_t, 3> k, std::array<int64_t, 3> s) {
    conv3d = register_module("conv", nn::Conv3d(conv(in, out, k, s)));
    bn = register_module("bn", nn::BatchNorm3d(out));
  }
  torch::Tensor forward(const torch::Tensor& x) { return torch::relu(bn(conv3d(x))); }
};
TORCH_MODULE(Unit);
Unit unit(int in, int out, std::array<int64_t, 3> k, std::array<int64_t, 3> s = {1, 1, 1}) { return Unit(in, out, k, s); }

struct InceptionImpl : nn::Module {
  Unit b0{nullptr};
  nn::Sequential b1{nullptr}, b2{nullptr}, b3{nullptr};
  InceptionImpl(int in, int out) {
    const int o0 = out / 4, o1 = out / 2, o2 = out / 8, o3 = out - o0 - o1 - o2;
    b0 = register_module("b0", unit(in, o0, {1, 1, 1}));
    b1 = register_module("b1", nn::Sequential(unit(in, std::max(4, out / 4), {1, 1, 1}), unit(std::max(4, out / 4), o1, {3, 3, 3})));
    b2 = register_module("b2", nn::Sequential(unit(in, std::max(4, out / 16), {1, 1, 1}), unit(std::max(4, out / 16), o2, {3, 3, 3})));
    b3 = register_module("b3", nn::Sequential(nn::MaxPool3d(nn::MaxPool3dOptions(3).stride(1).padding(1)), unit(in, o3, {1, 1, 1})));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::cat({b0->forward(x), b1->forward(x), b2->forward(x), b3->forward(x)}, 1);
  }
};
TORCH_MODULE(Inception);

// One stream's net: input N x C x T x H x W, output N x n_classes logits.
struct StreamNetImpl : nn::Module {
  nn::Sequential stem{nullptr}, blocks{nullptr};
  nn::Dropout dropout{nullptr};
  nn::Linear head{nullptr};
  // ts: the stem's temporal stride (1 = the papers'; 2 halves the cost of every later layer,
  // neighbouring frames being near-duplicates).
  StreamNetImpl(VideoArch arch, int in_channels, int c, int n_classes, double p_drop, int ts) {
    if (arch == VideoArch::kR2Plus1D) {
      // Stem: (2+1)D with a 5x5 spatial kernel at stride 2, then 2x2 spatial max-pool.
      stem = register_module("stem", nn::Sequential(unit(in_channels, c, {1, 5, 5}, {1, 2, 2}), unit(c, c, {3, 1, 1}, {ts, 1, 1}),
                                                    nn::MaxPool3d(nn::MaxPool3dOptions({1, 2, 2}).stride({1, 2, 2}))));
      blocks = register_module("blocks", nn::Sequential(ResBlock2Plus1D(c, 2 * c, 2), ResBlock2Plus1D(2 * c, 4 * c, 2),
                                                        ResBlock2Plus1D(4 * c, 8 * c, 2)));
    } else {
      // Stem: inflated 3x5x5 convolution at spatial stride 2, 1x3x3 max-pool, 1x1x1 and 3x3x3.
      stem = register_module(
          "stem", nn::Sequential(unit(in_channels, c, {3, 5, 5}, {ts, 2, 2}),
                                 nn::MaxPool3d(nn::MaxPool3dOptions({1, 3, 3}).stride({1, 2, 2}).padding({0, 1, 1})),
                                 unit(c, c, {1, 1, 1}), unit(c, 2 * c, {3, 3, 3})));
      blocks = register_module(
          "blocks", nn::Sequential(nn::MaxPool3d(nn::MaxPool3dOptions({1, 3, 3}).stride({1, 2, 2}).padding({0, 1, 1})),
                                   Inception(2 * c, 4 * c),
                                   nn::MaxPool3d(nn::MaxPool3dOptions(3).stride(2).padding(1)), Inception(4 * c, 8 * c)));
    }
    dropout = register_module("dropout", nn::Dropout(p_drop));
    head = register_module("head", nn::Linear(8 * c, n_classes));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = blocks->forward(stem->forward(x));
    x = torch::adaptive_avg_pool3d(x, {1, 1, 1}).flatten(1);
    return head(dropout(x));
  }
};
TORCH_MODULE(StreamNet);

enum class Stream { kRgb, kFlow };

// Builds a batch N x C x T x S x S (float) from clips, with the crop at (ox, oy) and a flip.
torch::Tensor make_batch(const ClipSet& clips, const std::vector<std::size_t>& idx, Stream stream, int input_px,
                         std::mt19937_64* rng) {
  const int T = clips.n_frames, S = clips.size_px, I = input_px;
  const int C = stream == Stream::kRgb ? 3 : 2;
  torch::Tensor batch = torch::empty({static_cast<int64_t>(idx.size()), C, T, I, I});
  float* out = batch.data_ptr<float>();
  for (std::size_t b = 0; b < idx.size(); ++b) {
    int ox = (S - I) / 2, oy = (S - I) / 2;
    bool flip = false;
    if (rng) {
      ox = std::uniform_int_distribution<int>(0, S - I)(*rng);
      oy = std::uniform_int_distribution<int>(0, S - I)(*rng);
      flip = std::uniform_int_distribution<int>(0, 1)(*rng) == 1;
    }
    float* dst = out + b * static_cast<std::size_t>(C) * T * I * I;
    for (int t = 0; t < T; ++t) {
      for (int y = 0; y < I; ++y) {
        for (int x = 0; x < I; ++x) {
          const int sx = flip ? ox + I - 1 - x : ox + x;
          const std::size_t src = ((static_cast<std::size_t>(t) * S + (oy + y)) * S + sx) * C;
          for (int c = 0; c < C; ++c) {
            float v;
            if (stream == Stream::kRgb) {
              v = clips.rgb_at(idx[b])[src + c] / 127.5f - 1.0f;  // [0, 255] -> [-1, 1]
            } else {
              v = clips.flow_at(idx[b])[src + c] / 4.0f / kFlowScalePx;  // quarter px -> px / 20
              if (flip && c == 0) v = -v;  // mirrored motion
            }
            dst[((static_cast<std::size_t>(c) * T + t) * I + y) * I + x] = v;
          }
        }
      }
    }
  }
  return batch;
}

// Which labelled clips each epoch visits (ref: class-balanced sampling, e.g. Mahajan et al.
// 2018, arXiv:1805.00932, sec. 3 "square-root sampling").
//   kNone / kWeights: every labelled clip once, shuffled.
//   kSampling: as many draws with replacement, clip i drawn with probability proportional to
//              count(class_i)^-1/2, so class c gets a share proportional to sqrt(count(c)).
class EpochSampler {
 public:
  EpochSampler(std::vector<std::size_t> labelled, const std::vector<int>& labels, ClassBalance balance)
      : labelled_(std::move(labelled)), balance_(balance) {
    if (balance_ != ClassBalance::kSampling) return;
    std::map<int, double> count;
    for (std::size_t i : labelled_) ++count[labels[i]];
    std::vector<double> w;
    for (std::size_t i : labelled_) w.push_back(1.0 / std::sqrt(count[labels[i]]));
    pick_ = std::discrete_distribution<std::size_t>(w.begin(), w.end());
  }
  std::size_t epoch_size() const { return labelled_.size(); }
  std::vector<std::size_t> draw(std::mt19937_64& rng) const {
    std::vector<std::size_t> out = labelled_;
    if (balance_ == ClassBalance::kSampling) {
      auto pick = pick_;
      for (std::size_t& i : out) i = labelled_[pick(rng)];
    } else {
      std::shuffle(out.begin(), out.end(), rng);
    }
    return out;
  }

 private:
  std::vector<std::size_t> labelled_;
  ClassBalance balance_;
  std::discrete_distribution<std::size_t> pick_;
};

void load_pretrained(StreamNet& net, const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) throw_not_found("pretrained weights " + quoted(file.string()) + ": no such file");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(file.string());
  } catch (const c10::Error& e) {
    throw_invalid("pretrained weights " + quoted(file.string()) + ": " + e.what_without_backtrace());
  }
  int loaded = 0, total = 0;
  torch::NoGradGuard no_grad;
  for (auto& p : net->named_parameters(true)) {
    ++total;
    torch::Tensor t;
    if (archive.try_read(p.key(), t) && t.sizes() == p.value().sizes()) {
      p.value().copy_(t);
      ++loaded;
    }
  }
  for (auto& b : net->named_buffers(true)) {
    torch::Tensor t;
    if (archive.try_read(b.key(), t, true) && t.sizes() == b.value().sizes()) b.value().copy_(t);
  }
  if (loaded == 0)
    throw_invalid("pretrained weights " + quoted(file.string()) + ": no parameter matches this net by name and shape");
  log_info("pretrained weights {}: {} of {} parameters loaded", file.string(), loaded, total);
}

}  // namespace

VideoArch video_arch_from_string(const std::string& name) {
  if (name == "r2plus1d") return VideoArch::kR2Plus1D;
  if (name == "i3d") return VideoArch::kI3D;
  throw_invalid("architecture " + quoted(name) + " is unknown; use r2plus1d or i3d");
}

std::string to_string(VideoArch a) { return a == VideoArch::kR2Plus1D ? "r2plus1d" : "i3d"; }

ClassBalance class_balance_from_string(const std::string& name) {
  if (name == "none") return ClassBalance::kNone;
  if (name == "weights") return ClassBalance::kWeights;
  if (name == "sampling") return ClassBalance::kSampling;
  throw_invalid("class balance " + quoted(name) + " is unknown; use none, weights or sampling");
}

std::string to_string(ClassBalance b) {
  return b == ClassBalance::kNone ? "none" : b == ClassBalance::kWeights ? "weights" : "sampling";
}

struct VideoClassifier::Impl {
  VideoClassifierOptions options;
  StreamNet rgb{nullptr}, flow{nullptr};
  torch::Device device{torch::kCPU};

  void build() {
    const int k = static_cast<int>(options.behaviors.size());
    torch::manual_seed(options.seed);
    rgb = StreamNet(options.arch, 3, options.base_channels, k, options.dropout, options.temporal_stride);
    flow = StreamNet(options.arch, 2, options.base_channels, k, options.dropout, options.temporal_stride);
    device = ::bt::nn::to_torch_device(Device::parse(options.device));
    rgb->to(device);
    flow->to(device);
  }

  // Learning rate at `step` of `total`: linear warm-up over the first `warmup` steps, then
  // cosine decay to kFinalLearningRate: lr_t = lr_end + (lr_0 - lr_end) (1 + cos(pi u)) / 2.
  double learning_rate_at(double step, double warmup, double total) const {
    const double lr0 = options.learning_rate;
    if (step < warmup) return lr0 * (step + 1) / warmup;
    const double u = (step - warmup) / std::max(1.0, total - warmup);
    return kFinalLearningRate + (lr0 - kFinalLearningRate) * 0.5 * (1 + std::cos(3.14159265358979 * u));
  }

  void train_stream(StreamNet& net, Stream stream, const ClipSet& clips, const EpochSampler& sampler,
                    const torch::Tensor& class_weights, Progress& progress) {
    const VideoClassifierOptions& o = options;
    std::mt19937_64 rng(o.seed + (stream == Stream::kRgb ? 0 : 1));
    torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(o.learning_rate).weight_decay(o.weight_decay));
    const std::size_t per_epoch = sampler.epoch_size();
    const std::size_t steps_per_epoch = (per_epoch + o.batch_size - 1) / o.batch_size;
    const double total_steps = static_cast<double>(steps_per_epoch * o.epochs);
    const double warmup_steps = std::min(total_steps / 2, o.warmup_epochs * static_cast<double>(steps_per_epoch));
    auto loss_options = torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(o.label_smoothing);
    if (class_weights.defined()) loss_options.weight(class_weights);
    std::size_t step = 0;
    net->train();
    for (int epoch = 0; epoch < o.epochs; ++epoch) {
      const std::vector<std::size_t> order = sampler.draw(rng);
      double loss_sum = 0;
      for (std::size_t s = 0; s < order.size(); s += o.batch_size) {
        const double lr = learning_rate_at(static_cast<double>(step), warmup_steps, total_steps);
        for (auto& group : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
        const std::vector<std::size_t> idx(order.begin() + static_cast<long>(s),
                                           order.begin() + static_cast<long>(std::min(order.size(), s + o.batch_size)));
        std::vector<int64_t> y;
        for (std::size_t i : idx) y.push_back(clips.labels[i]);
        const torch::Tensor x = make_batch(clips, idx, stream, o.clips.input_px, o.augment ? &rng : nullptr).to(device);
        const torch::Tensor target = torch::tensor(y, torch::kLong).to(device);
        const torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(x), target, loss_options);
        opt.zero_grad();
        loss.backward();
        opt.step();
        loss_sum += loss.item<double>() * static_cast<double>(idx.size());
        ++step;
        progress.advance(static_cast<int64_t>(idx.size()));
      }
      const std::string detail = fmt::format("{} epoch {} loss {:.4f}", stream == Stream::kRgb ? "rgb" : "flow", epoch + 1,
                                             loss_sum / static_cast<double>(order.size()));
      progress.set_detail(detail);
      log_debug("video classifier: {}", detail);
    }
    net->eval();
  }

  // Late-fusion weights from the training clips alone: the fusion sweep's best rgb_weight on
  // up to kFusionClips of them, evenly spread (centre crop, as in scoring); ties go to the
  // weight nearest 0.5, so a sweep that cannot tell the streams apart leaves them equal.
  void choose_fusion_weights(const ClipSet& clips, const std::vector<std::size_t>& labelled, const ProgressCallback& cb) {
    constexpr std::size_t kFusionClips = 600;
    std::vector<std::size_t> pick;
    const std::size_t n = std::min(kFusionClips, labelled.size());
    for (std::size_t i = 0; i < n; ++i) pick.push_back(labelled[i * labelled.size() / n]);
    const ClipSet sample = clips.subset(pick);
    Progress p("fusion weights", static_cast<int64_t>(2 * sample.size()), cb);
    StreamScores s;
    s.n_classes = static_cast<int>(options.behaviors.size());
    s.rgb = score_stream(rgb, Stream::kRgb, sample, p);
    s.flow = score_stream(flow, Stream::kFlow, sample, p);
    p.finish();
    double best_w = 0.5, best_acc = -1;
    for (const auto& [w, acc] : fusion_sweep(s, sample.labels))
      if (acc > best_acc + 1e-12 || (std::abs(acc - best_acc) <= 1e-12 && std::abs(w - 0.5) < std::abs(best_w - 0.5)))
        best_w = w, best_acc = acc;
    options.rgb_weight = best_w;
    options.flow_weight = 1.0 - best_w;
    log_info("video classifier: fusion weights from {} training clips: rgb {:.1f} / flow {:.1f} (accuracy {:.4f})",
             sample.size(), options.rgb_weight, options.flow_weight, best_acc);
  }

  std::vector<float> score_stream(StreamNet& net, Stream stream, const ClipSet& clips, Progress& progress) const {
    torch::InferenceMode guard;
    net->eval();
    const int k = static_cast<int>(options.behaviors.size());
    std::vector<float> out(clips.size() * static_cast<std::size_t>(k));
    const std::size_t batch = 16;
    for (std::size_t s = 0; s < clips.size(); s += batch) {
      std::vector<std::size_t> idx;
      for (std::size_t i = s; i < std::min(clips.size(), s + batch); ++i) idx.push_back(i);
      const torch::Tensor p =
          torch::softmax(net->forward(make_batch(clips, idx, stream, options.clips.input_px, nullptr).to(device)), 1)
              .to(torch::kCPU)
              .contiguous();
      std::copy(p.data_ptr<float>(), p.data_ptr<float>() + p.numel(), out.begin() + static_cast<long>(s * k));
      progress.advance(static_cast<int64_t>(idx.size()));
    }
    return out;
  }
};

void VideoClassifierOptions::validate() const {
  if (behaviors.size() < 2) throw_invalid("video classifier: behaviors needs >= 2 classes");
  if (base_channels < 4 || base_channels > 256)
    throw_invalid("video classifier: base_channels " + std::to_string(base_channels) + " must be in 4..256");
  if (epochs < 1 || epochs > 1000) throw_invalid("video classifier: epochs " + std::to_string(epochs) + " must be in 1..1000");
  if (batch_size < 1 || batch_size > 1024) throw_invalid("video classifier: batch_size " + std::to_string(batch_size) + " must be in 1..1024");
  if (!(learning_rate > 0) || !(learning_rate < 1))
    throw_invalid("video classifier: learning_rate " + std::to_string(learning_rate) + " must be in (0, 1)");
  if (!(dropout >= 0) || !(dropout < 1)) throw_invalid("video classifier: dropout " + std::to_string(dropout) + " must be in [0, 1)");
  if (temporal_stride != 1 && temporal_stride != 2 && temporal_stride != 4)
    throw_invalid("video classifier: temporal_stride " + std::to_string(temporal_stride) + " must be 1, 2 or 4");
  if (!(weight_decay >= 0) || !(weight_decay < 1))
    throw_invalid("video classifier: weight_decay " + std::to_string(weight_decay) + " must be in [0, 1)");
  if (!(warmup_epochs >= 0) || !(warmup_epochs <= 100))
    throw_invalid("video classifier: warmup_epochs " + std::to_string(warmup_epochs) + " must be in [0, 100]");
  if (!(label_smoothing >= 0) || !(label_smoothing < 1))
    throw_invalid("video classifier: label_smoothing " + std::to_string(label_smoothing) + " must be in [0, 1)");
  if (!(rgb_weight >= 0) || !(flow_weight >= 0) || !(rgb_weight + flow_weight > 0))
    throw_invalid("video classifier: rgb_weight " + std::to_string(rgb_weight) + " / flow_weight " +
                  std::to_string(flow_weight) + " must be >= 0 and not both 0");
  Device::parse(device);
  clips.validate();
}

VideoClassifier::VideoClassifier() : impl_(std::make_unique<Impl>()) {}
VideoClassifier::~VideoClassifier() = default;
VideoClassifier::VideoClassifier(VideoClassifier&&) noexcept = default;
VideoClassifier& VideoClassifier::operator=(VideoClassifier&&) noexcept = default;
const VideoClassifierOptions& VideoClassifier::options() const { return impl_->options; }

VideoClassifier VideoClassifier::train(const ClipSet& clips, const VideoClassifierOptions& options,
                                       const ProgressCallback& progress) {
  std::vector<std::size_t> all(clips.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  return train(clips, all, options, progress);
}

VideoClassifier VideoClassifier::train(const ClipSet& clips, const std::vector<std::size_t>& use,
                                       const VideoClassifierOptions& options, const ProgressCallback& progress) {
  options.validate();
  if (clips.size_px != options.clips.stored_px || clips.n_frames != options.clips.n_frames())
    throw_invalid("video classifier: clips are " + std::to_string(clips.n_frames) + " x " + std::to_string(clips.size_px) +
                  " px, the options say " + std::to_string(options.clips.n_frames()) + " x " + std::to_string(options.clips.stored_px));
  const int k = static_cast<int>(options.behaviors.size());
  std::vector<std::size_t> labelled;
  std::vector<double> count(static_cast<std::size_t>(k), 0);
  for (std::size_t i : use) {
    if (i >= clips.size()) throw_internal("video classifier: clip index out of range");
    if (clips.labels[i] < 0) continue;
    if (clips.labels[i] >= k) throw_internal("video classifier: clip label out of range");
    labelled.push_back(i);
    ++count[static_cast<std::size_t>(clips.labels[i])];
  }
  if (labelled.empty()) throw_invalid("video classifier: no labelled clip to train on");
  // Class weights n / (k_present * count), 0 for absent classes.
  int present = 0;
  for (double c : count) present += c > 0;
  std::vector<float> w(static_cast<std::size_t>(k), 0.0f);
  for (int c = 0; c < k; ++c)
    if (count[static_cast<std::size_t>(c)] > 0)
      w[static_cast<std::size_t>(c)] = static_cast<float>(static_cast<double>(labelled.size()) / (present * count[static_cast<std::size_t>(c)]));
  VideoClassifier clf;
  Impl& m = *clf.impl_;
  m.options = options;
  try {
    m.build();
    if (!options.pretrained_rgb.empty()) load_pretrained(m.rgb, options.pretrained_rgb);
    if (!options.pretrained_flow.empty()) load_pretrained(m.flow, options.pretrained_flow);
    const torch::Tensor class_weights =
        options.class_balance == ClassBalance::kWeights ? torch::tensor(w).to(m.device) : torch::Tensor();
    const EpochSampler sampler(labelled, clips.labels, options.class_balance);
    Progress p("train two-stream " + to_string(options.arch), static_cast<int64_t>(2 * labelled.size() * options.epochs), progress);
    m.train_stream(m.rgb, Stream::kRgb, clips, sampler, class_weights, p);
    m.train_stream(m.flow, Stream::kFlow, clips, sampler, class_weights, p);
    p.finish();
    if (options.fusion_from_training) m.choose_fusion_weights(clips, labelled, progress);
  } catch (const c10::Error& e) {
    throw_internal(std::string("video classifier: torch: ") + e.what_without_backtrace());
  }
  return clf;
}

StreamScores VideoClassifier::score(const ClipSet& clips, const ProgressCallback& progress) const {
  StreamScores s;
  s.n_classes = static_cast<int>(impl_->options.behaviors.size());
  if (clips.size() == 0) return s;
  if (clips.size_px != impl_->options.clips.stored_px || clips.n_frames != impl_->options.clips.n_frames())
    throw_invalid("video classifier: clips differ in size from the model's");
  try {
    Progress p("score clips", static_cast<int64_t>(2 * clips.size()), progress);
    s.rgb = impl_->score_stream(impl_->rgb, Stream::kRgb, clips, p);
    s.flow = impl_->score_stream(impl_->flow, Stream::kFlow, clips, p);
    p.finish();
  } catch (const c10::Error& e) {
    throw_internal(std::string("video classifier: torch: ") + e.what_without_backtrace());
  }
  return s;
}

namespace {
json options_json(const VideoClassifierOptions& o) {
  const ClipOptions& c = o.clips;
  return {{"arch", to_string(o.arch)}, {"base_channels", o.base_channels}, {"epochs", o.epochs},
          {"batch_size", o.batch_size}, {"learning_rate", o.learning_rate}, {"dropout", o.dropout},
          {"rgb_weight", o.rgb_weight}, {"flow_weight", o.flow_weight}, {"augment", o.augment},
          {"seed", o.seed}, {"weight_decay", o.weight_decay}, {"warmup_epochs", o.warmup_epochs},
          {"label_smoothing", o.label_smoothing}, {"class_balance", to_string(o.class_balance)},
          {"temporal_stride", o.temporal_stride}, {"fusion_from_training", o.fusion_from_training},
          {"clips", {{"frames_before", c.frames_before}, {"frames_after", c.frames_after}, {"stored_px", c.stored_px},
                     {"input_px", c.input_px}, {"box_margin", c.box_margin}, {"draw_keypoints", c.draw_keypoints}, {"fixed_roi", c.fixed_roi},
                     {"flow", to_string(c.flow)}, {"stride_frames", c.stride_frames}, {"max_clips", c.max_clips}}}};
}

VideoClassifierOptions options_from(const json& j, const std::vector<std::string>& behaviors) {
  VideoClassifierOptions o;
  o.behaviors = behaviors;
  o.arch = video_arch_from_string(j.at("arch").get<std::string>());
  o.base_channels = j.at("base_channels").get<int>();
  o.epochs = j.at("epochs").get<int>();
  o.batch_size = j.at("batch_size").get<int>();
  o.learning_rate = j.at("learning_rate").get<double>();
  o.dropout = j.at("dropout").get<double>();
  o.rgb_weight = j.at("rgb_weight").get<double>();
  o.flow_weight = j.at("flow_weight").get<double>();
  o.augment = j.at("augment").get<bool>();
  o.seed = j.at("seed").get<std::uint64_t>();
  // Training settings added later: older model files lack them (they only matter for training).
  o.weight_decay = j.value("weight_decay", 0.0);
  o.warmup_epochs = j.value("warmup_epochs", 0.0);
  o.label_smoothing = j.value("label_smoothing", 0.0);
  o.class_balance = class_balance_from_string(j.value("class_balance", std::string("weights")));
  o.temporal_stride = j.value("temporal_stride", 1);
  o.fusion_from_training = j.value("fusion_from_training", false);
  const json& c = j.at("clips");
  o.clips.frames_before = c.at("frames_before").get<int>();
  o.clips.frames_after = c.at("frames_after").get<int>();
  o.clips.stored_px = c.at("stored_px").get<int>();
  o.clips.input_px = c.at("input_px").get<int>();
  o.clips.box_margin = c.at("box_margin").get<double>();
  o.clips.draw_keypoints = c.at("draw_keypoints").get<bool>();
  o.clips.fixed_roi = c.value("fixed_roi", false);
  o.clips.flow = flow_method_from_string(c.at("flow").get<std::string>());
  o.clips.stride_frames = c.at("stride_frames").get<int>();
  o.clips.max_clips = c.at("max_clips").get<int>();
  return o;
}
}  // namespace

void VideoClassifier::save(const std::filesystem::path& folder) const {
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw_io(quoted(folder.string()) + ": cannot create the model folder: " + ec.message());
  for (auto [net, name] : {std::pair{impl_->rgb, "rgb.pt"}, std::pair{impl_->flow, "flow.pt"}}) {
    AtomicFile out(folder / name);  // torch writes the temporary; commit() renames it
    try {
      torch::serialize::OutputArchive archive;
      net->save(archive);
      archive.save_to(out.temp_path().string());
    } catch (const c10::Error& e) {
      throw_io(quoted((folder / name).string()) + ": " + e.what_without_backtrace());
    }
    out.commit();
  }
  const json j = {{"format", "behavtrack.behavior-model/1"}, {"kind", "video"},
                  {"behaviors", impl_->options.behaviors}, {"options", options_json(impl_->options)},
                  {"weights", {{"rgb", "rgb.pt"}, {"flow", "flow.pt"}}}};
  write_file_atomically(folder / "model.json", j.dump(2) + "\n");
}

VideoClassifier VideoClassifier::load(const std::filesystem::path& folder) {
  const auto path = folder / "model.json";
  if (!std::filesystem::exists(path))
    throw_not_found("model " + quoted(folder.string()) + ": no model.json; is this a behaviour model folder?");
  VideoClassifier clf;
  try {
    const json j = json::parse(read_file(path));
    if (j.at("kind") != "video") throw_invalid(quoted(path.string()) + ": not a video behaviour model");
    clf.impl_->options = options_from(j.at("options"), j.at("behaviors").get<std::vector<std::string>>());
  } catch (const json::exception& e) {
    throw_invalid(quoted(path.string()) + ": " + json_error_text(e));
  }
  clf.impl_->options.validate();
  try {
    clf.impl_->build();
    for (auto [net, name] : {std::pair{clf.impl_->rgb, "rgb.pt"}, std::pair{clf.impl_->flow, "flow.pt"}}) {
      torch::serialize::InputArchive archive;
      archive.load_from((folder / name).string());
      net->load(archive);
      net->eval();
    }
  } catch (const c10::Error& e) {
    throw_invalid("model " + quoted(folder.string()) + ": weights do not load: " + e.what_without_backtrace());
  }
  return clf;
}

}  // namespace bt::behavior
