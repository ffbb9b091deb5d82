// Training of the detector and the refiner (see pose_model.h for the contract).
#include <fmt/format.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/serialize.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <tuple>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/nn/device_torch.h"
#include "behavtrack/nn/torch_runtime.h"
#include "behavtrack/pose/letterbox.h"
#include "behavtrack/pose/pose_model.h"
#include "pose_infer_torch.h"

namespace bt::pose {
namespace F = torch::nn::functional;

void default_schedule(int n_labelled, int& epochs, int& batch) {
  if (n_labelled <= 500) epochs = 50, batch = 16;
  else if (n_labelled <= 1000) epochs = 70, batch = 18;
  else if (n_labelled <= 1500) epochs = 90, batch = 20;
  else epochs = 110, batch = 22;
}

void TrainOptions::validate() const {
  YoloPoseNetOptions{size, 1, net_version}.validate();
  validate_input_px(input_px, "input_px");
  if (refine_px != 0) validate_input_px(refine_px, "refine_px");
  if (epochs < 0) throw_invalid(fmt::format("epochs = {}: must be >= 0", epochs));
  if (steps < 0) throw_invalid(fmt::format("steps = {}: must be >= 0", steps));
  if (batch < 0) throw_invalid(fmt::format("batch = {}: must be >= 0", batch));
  if (!(time_limit_min >= 0))
    throw_invalid(fmt::format("time_limit_min = {}: must be >= 0", time_limit_min));
  if (patience_epochs < 1)
    throw_invalid(fmt::format("patience_epochs = {}: must be >= 1", patience_epochs));
  if (!(lr > 0 && lr < 1)) throw_invalid(fmt::format("lr = {}: must be in (0, 1)", lr));
  if (!(weight_decay >= 0))
    throw_invalid(fmt::format("weight_decay = {}: must be >= 0", weight_decay));
  if (!(warmup_fraction >= 0 && warmup_fraction < 1))
    throw_invalid(fmt::format("warmup_fraction = {}: must be in [0, 1)", warmup_fraction));
  if (val_every_epochs < 1)
    throw_invalid(fmt::format("val_every_epochs = {}: must be >= 1", val_every_epochs));
  if (refine_repeats < 1)
    throw_invalid(fmt::format("refine_repeats = {}: must be >= 1", refine_repeats));
  Device::parse(device);
  augment.validate();
}

std::string TrainOptions::to_json() const {
  const nlohmann::json j = {
      {"size", size},       {"input_px", input_px},
      {"refine_px", refine_px}, {"net_version", net_version}, {"epochs", epochs}, {"steps", steps},
      {"batch", batch},     {"device", device},
      {"time_limit_min", time_limit_min}, {"patience_epochs", patience_epochs},
      {"lr", lr},           {"weight_decay", weight_decay},
      {"warmup_fraction", warmup_fraction}, {"seed", seed},
      {"from_model", from_model.string()}, {"resume", resume},
      {"refine_repeats", refine_repeats}, {"val_every_epochs", val_every_epochs},
      {"augment", {{"flip_probability", augment.flip_probability},
                   {"rotate_deg", augment.rotate_deg},
                   {"quarter_turns", augment.quarter_turns},
                   {"scale_range", augment.scale_range},
                   {"translate_fraction", augment.translate_fraction},
                   {"brightness", augment.brightness},
                   {"contrast", augment.contrast},
                   {"gamma", augment.gamma},
                   {"blur_probability", augment.blur_probability},
                   {"noise_sigma", augment.noise_sigma}}}};
  return j.dump();
}

namespace {

// ---------------------------------------------------------------- losses

// Complete IoU of matching rows of two (N, 4) xyxy tensors.
// ref: Zheng et al., "Distance-IoU Loss", arXiv:1911.08287, eq. 10-11.
torch::Tensor ciou(const torch::Tensor& a, const torch::Tensor& b) {
  const double eps = 1e-7;
  const auto ax1 = a.select(1, 0), ay1 = a.select(1, 1), ax2 = a.select(1, 2), ay2 = a.select(1, 3);
  const auto bx1 = b.select(1, 0), by1 = b.select(1, 1), bx2 = b.select(1, 2), by2 = b.select(1, 3);
  const auto wa = ax2 - ax1, ha = ay2 - ay1 + eps, wb = bx2 - bx1, hb = by2 - by1 + eps;
  const auto inter = (torch::min(ax2, bx2) - torch::max(ax1, bx1)).clamp_min(0) *
                     (torch::min(ay2, by2) - torch::max(ay1, by1)).clamp_min(0);
  const auto uni = wa * ha + wb * hb - inter + eps;
  const auto iou_ab = inter / uni;
  const auto cw = torch::max(ax2, bx2) - torch::min(ax1, bx1);
  const auto ch = torch::max(ay2, by2) - torch::min(ay1, by1);
  const auto c2 = cw.pow(2) + ch.pow(2) + eps;                       // enclosing diagonal^2
  const auto rho2 = ((bx1 + bx2 - ax1 - ax2).pow(2) + (by1 + by2 - ay1 - ay2).pow(2)) / 4;
  const auto v = (4 / (M_PI * M_PI)) * (torch::atan(wb / hb) - torch::atan(wa / ha)).pow(2);
  const auto alpha = (v / (v - iou_ab + (1 + eps))).detach();
  return iou_ab - (rho2 / c2 + v * alpha);
}

// Plain IoU matrix (N, 4) x (M, 4) -> (N, M).
torch::Tensor iou_matrix(const torch::Tensor& a, const torch::Tensor& b) {
  const auto lt = torch::max(a.unsqueeze(1).slice(2, 0, 2), b.unsqueeze(0).slice(2, 0, 2));
  const auto rb = torch::min(a.unsqueeze(1).slice(2, 2, 4), b.unsqueeze(0).slice(2, 2, 4));
  const auto wh = (rb - lt).clamp_min(0);
  const auto inter = wh.select(2, 0) * wh.select(2, 1);
  const auto area = [](const torch::Tensor& t) {
    return (t.select(1, 2) - t.select(1, 0)) * (t.select(1, 3) - t.select(1, 1));
  };
  return inter / (area(a).unsqueeze(1) + area(b).unsqueeze(0) - inter + 1e-7);
}

struct Targets {
  torch::Tensor boxes;  // (N, 4) xyxy input pixels
  torch::Tensor kpts;   // (N, K, 3): x, y, present (0/1)
};

Targets to_targets(const std::vector<Instance>& instances, int k) {
  Targets t;
  t.boxes = torch::zeros({static_cast<long>(instances.size()), 4});
  t.kpts = torch::zeros({static_cast<long>(instances.size()), k, 3});
  auto b = t.boxes.accessor<float, 2>();
  auto p = t.kpts.accessor<float, 3>();
  for (size_t i = 0; i < instances.size(); ++i) {
    const Box& box = instances[i].box;
    b[i][0] = box.x1, b[i][1] = box.y1, b[i][2] = box.x2, b[i][3] = box.y2;
    for (int j = 0; j < k && j < static_cast<int>(instances[i].keypoints.size()); ++j) {
      const Keypoint& kp = instances[i].keypoints[j];
      p[i][j][0] = kp.x, p[i][j][1] = kp.y, p[i][j][2] = kp.present() ? 1 : 0;
    }
  }
  return t;
}

// Task-aligned assignment of one image (ref: TOOD, arXiv:2108.07755, sec. 3.2): anchors
// whose centre lies inside a ground-truth box are candidates; alignment t = s^0.5 u^6
// (s predicted objectness, u IoU); each truth takes its top 10; an anchor claimed twice
// keeps the truth of higher IoU; the target score is t normalised so that each truth's
// best anchor gets that anchor's IoU.
struct Assignment {
  torch::Tensor fg;         // (A,) bool
  torch::Tensor truth;      // (A,) long index of the assigned truth
  torch::Tensor score;      // (A,) float target objectness
};

Assignment assign(const torch::Tensor& pred_boxes, const torch::Tensor& pred_obj,
                  const torch::Tensor& anchor_xy, const torch::Tensor& gt_boxes) {
  const long a = pred_boxes.size(0), n = gt_boxes.size(0);
  Assignment out;
  out.fg = torch::zeros({a}, torch::kBool);
  out.truth = torch::zeros({a}, torch::kLong);
  out.score = torch::zeros({a});
  if (n == 0) return out;
  const auto x = anchor_xy.select(1, 0).unsqueeze(0), y = anchor_xy.select(1, 1).unsqueeze(0);
  const auto inside = (x > gt_boxes.select(1, 0).unsqueeze(1)) &
                      (x < gt_boxes.select(1, 2).unsqueeze(1)) &
                      (y > gt_boxes.select(1, 1).unsqueeze(1)) &
                      (y < gt_boxes.select(1, 3).unsqueeze(1));  // (n, A)
  const auto ious = iou_matrix(gt_boxes, pred_boxes) * inside;  // (n, A)
  const auto align = pred_obj.sigmoid().unsqueeze(0).pow(0.5) * ious.pow(6) * inside;
  const long topk = std::min<long>(10, a);
  // Ties at zero alignment (early training) still need candidates inside the box: rank by
  // alignment, then by being inside.
  const auto rank = align + inside.to(torch::kFloat) * 1e-9;
  const auto top = std::get<1>(rank.topk(topk, 1));  // (n, topk)
  auto mask = torch::zeros({n, a}, torch::kBool).scatter_(1, top, true) & inside;
  // Resolve anchors claimed by several truths: highest IoU wins.
  const auto masked_iou = torch::where(mask, ious, torch::full_like(ious, -1));
  const auto best = std::get<1>(masked_iou.max(0));                 // (A,)
  const auto claimed = mask.any(0);
  mask = mask & (torch::arange(n).unsqueeze(1) == best.unsqueeze(0));
  const auto align_m = align * mask;
  const auto max_align = std::get<0>(align_m.max(1, true)) + 1e-9;   // (n, 1)
  const auto max_iou = std::get<0>((ious * mask).max(1, true));      // (n, 1)
  const auto norm = (align_m / max_align * max_iou).amax(0);          // (A,)
  out.fg = claimed;
  out.truth = best;
  out.score = norm * claimed;
  return out;
}

struct DetectorLoss {
  torch::Tensor total, box, obj, kpt, vis;
};

constexpr double kBoxGain = 7.5, kObjGain = 1.0, kKptGain = 12.0, kVisGain = 1.0;
constexpr double kKptLossSigma = 0.05;  // sharper than the 1/K metric sigma: precise gradients

DetectorLoss detector_loss(YoloPoseNet& net, const torch::Tensor& raw,
                           const std::vector<Targets>& targets, const torch::Tensor& anchor_xy,
                           const torch::Tensor& strides) {
  const auto d = net->decode(raw, anchor_xy, strides);
  const torch::Device dev = raw.device();
  std::vector<torch::Tensor> pb, gb, pk, gk, pv, w, area;
  std::vector<torch::Tensor> obj_targets;
  for (size_t b = 0; b < targets.size(); ++b) {
    const torch::Tensor gt_boxes = targets[b].boxes.to(dev);
    Assignment as;
    {
      torch::NoGradGuard no_grad;
      as = assign(d.boxes[b].detach(), d.obj[b].detach(), anchor_xy, gt_boxes);
    }
    obj_targets.push_back(as.score);
    if (!as.fg.any().item<bool>()) continue;
    const auto idx = as.fg.nonzero().squeeze(1);
    const auto t_idx = as.truth.index_select(0, idx);
    pb.push_back(d.boxes[b].index_select(0, idx));
    gb.push_back(gt_boxes.index_select(0, t_idx));
    pk.push_back(d.kpts[b].index_select(0, idx));
    gk.push_back(targets[b].kpts.to(dev).index_select(0, t_idx));
    pv.push_back(d.vis[b].index_select(0, idx));
    w.push_back(as.score.index_select(0, idx));
  }
  DetectorLoss loss;
  const auto obj_t = torch::stack(obj_targets);
  const double tss = std::max(1.0, obj_t.sum().item<double>());
  loss.obj = F::binary_cross_entropy_with_logits(
                 d.obj, obj_t, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kSum)) /
             tss;
  if (pb.empty()) {
    loss.box = loss.kpt = loss.vis = torch::zeros({}, raw.options());
  } else {
    const auto p_boxes = torch::cat(pb), g_boxes = torch::cat(gb), weights = torch::cat(w);
    loss.box = ((1 - ciou(p_boxes, g_boxes)) * weights).sum() / tss;
    const auto p_k = torch::cat(pk), g_k = torch::cat(gk), p_v = torch::cat(pv);
    const auto present = g_k.select(2, 2);
    const auto box_area = ((g_boxes.select(1, 2) - g_boxes.select(1, 0)) *
                           (g_boxes.select(1, 3) - g_boxes.select(1, 1)))
                              .unsqueeze(1);
    // OKS-style keypoint loss (ref: YOLO-pose, arXiv:2204.06806, eq. 7).
    const auto d2 = (p_k - g_k.slice(2, 0, 2)).pow(2).sum(2);
    const auto e = d2 / (4 * kKptLossSigma * kKptLossSigma * (box_area + 1e-9) * 2);
    loss.kpt = ((1 - torch::exp(-e)) * present).sum() / present.sum().clamp_min(1);
    loss.vis = F::binary_cross_entropy_with_logits(p_v, present);
  }
  loss.total = kBoxGain * loss.box + kObjGain * loss.obj + kKptGain * loss.kpt + kVisGain * loss.vis;
  return loss;
}

// ---------------------------------------------------------------- refiner targets

constexpr double kHeatRadiusCells = 2.0;  // positive disk radius (DeepLabCut's pos_dist_thresh)
constexpr double kHeatGain = 50.0;

struct RefineBatch {
  torch::Tensor images, heat, offset, offset_mask;  // (N,3,S,S) (N,K,H,W) (N,2K,H,W) (N,K,H,W)
};

RefineBatch refine_batch(const std::vector<cv::Mat>& crops, const std::vector<Instance>& truth,
                         int k, int crop_px) {
  const int h = crop_px / kRefineStride;
  RefineBatch b;
  b.images = to_input_tensor(crops);
  const long n = static_cast<long>(crops.size());
  b.heat = torch::zeros({n, k, h, h});
  b.offset = torch::zeros({n, 2 * k, h, h});
  b.offset_mask = torch::zeros({n, k, h, h});
  auto heat = b.heat.accessor<float, 4>();
  auto off = b.offset.accessor<float, 4>();
  auto om = b.offset_mask.accessor<float, 4>();
  const int r = static_cast<int>(std::ceil(kHeatRadiusCells));
  for (long i = 0; i < n; ++i) {
    for (int j = 0; j < k && j < static_cast<int>(truth[i].keypoints.size()); ++j) {
      const Keypoint& kp = truth[i].keypoints[j];
      if (!kp.present()) continue;
      const double gx = kp.x / kRefineStride - 0.5, gy = kp.y / kRefineStride - 0.5;
      for (int cy = int(gy) - r; cy <= int(gy) + r + 1; ++cy)
        for (int cx = int(gx) - r; cx <= int(gx) + r + 1; ++cx) {
          if (cx < 0 || cy < 0 || cx >= h || cy >= h) continue;
          if (std::hypot(cx - gx, cy - gy) > kHeatRadiusCells) continue;
          heat[i][j][cy][cx] = 1;
          om[i][j][cy][cx] = 1;
          off[i][2 * j][cy][cx] = gx - cx;
          off[i][2 * j + 1][cy][cx] = gy - cy;
        }
    }
  }
  return b;
}

// ---------------------------------------------------------------- EMA

// Exponential moving average of weights (ref: Ultralytics ModelEMA): decay ramps up as
// d = 0.9999 (1 - exp(-updates / 2000)).
class Ema {
 public:
  Ema(torch::nn::Module& model, torch::nn::Module& shadow) : model_(model), shadow_(shadow) {
    torch::NoGradGuard g;
    copy_all(1.0);
  }
  void update() {
    torch::NoGradGuard g;
    ++updates_;
    const double d = 0.9999 * (1 - std::exp(-updates_ / 2000.0));
    copy_all(1 - d);
  }
  long updates_ = 0;

 private:
  void copy_all(double w) {
    auto mp = model_.parameters(), sp = shadow_.parameters();
    for (size_t i = 0; i < mp.size(); ++i) sp[i].mul_(1 - w).add_(mp[i].detach(), w);
    auto mb = model_.buffers(), sb = shadow_.buffers();
    for (size_t i = 0; i < mb.size(); ++i) sb[i].copy_(mb[i]);
  }
  torch::nn::Module& model_;
  torch::nn::Module& shadow_;
};

double progress_fraction(int epoch, int epochs, double elapsed_s, double limit_s) {
  const double by_epoch = double(epoch) / epochs;
  return limit_s > 0 ? std::max(by_epoch, elapsed_s / limit_s) : by_epoch;
}

// Linear warm-up then cosine decay to 1% of the peak (ref: SGDR, arXiv:1608.03983).
double lr_at(double f, const TrainOptions& o) {
  if (f < o.warmup_fraction) return o.lr * (0.1 + 0.9 * f / o.warmup_fraction);
  const double t = (f - o.warmup_fraction) / (1 - o.warmup_fraction);
  return o.lr * (0.01 + 0.99 * 0.5 * (1 + std::cos(M_PI * std::min(1.0, t))));
}

void set_lr(torch::optim::AdamW& opt, double lr) {
  for (auto& group : opt.param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

std::unique_ptr<torch::optim::AdamW> make_optimizer(torch::nn::Module& m, const TrainOptions& o) {
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : m.parameters()) (p.dim() > 1 ? decay : no_decay).push_back(p);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(o.lr).weight_decay(0)));
  return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(o.lr));
}

// Validation fitness: keypoint OKS AP dominates, box AP breaks ties, then the RMSE.
// Validation predicts with score_min 0.001 (as COCO and Ultralytics val) and max_det = the
// most animals labelled in one image.
double fitness(const PoseMetrics& m) {
  return 0.9 * m.oks_ap50_95 + 0.1 * m.box_ap50_95 - m.rmse_px / 1000.0;
}

PoseMetrics validate_nets(PoseNets& nets, const PoseDataset& val, const Skeleton& skeleton,
                          const torch::Device& dev, int max_det) {
  nets.train(false);
  torch::NoGradGuard g;
  std::vector<std::vector<Instance>> truth, pred;
  for (const auto& s : val) {
    std::vector<Instance> found =
        run_detector(nets.detector, s.image, nets.input_px, {0.001f, 0.7f, max_det, 0.5f}, dev,
                     /*with_keypoints=*/!nets.refiner);
    if (nets.refiner) run_refiner(nets.refiner, s.image, found, nets.refine_px, 0.5f, dev);
    truth.push_back(s.instances);
    pred.push_back(std::move(found));
  }
  return evaluate_pose(truth, pred, skeleton, {});
}

void save_model_folder(PoseNets& ema, const ModelInfo& info, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  torch::serialize::OutputArchive archive;
  ema.save(archive);
  const auto tmp = temporary_sibling(dir / "weights.pt");
  archive.save_to(tmp.string());
  std::filesystem::rename(tmp, dir / "weights.pt");
  write_model_info(dir, info);
}

struct Sample {
  int image = 0, instance = 0;
};

// Every labelled instance of the training set (the refiner's crops, in order); throws
// naming the first image that is not 8-bit BGR or holds an instance of another skeleton.
std::vector<Sample> labelled_instances(const PoseDataset& train, int k) {
  std::vector<Sample> instances;
  for (size_t i = 0; i < train.size(); ++i) {
    if (train[i].image.empty() || train[i].image.type() != CV_8UC3)
      throw_invalid(fmt::format("training image {}: not an 8-bit BGR image",
                                bt::quoted(train[i].name)));
    for (size_t j = 0; j < train[i].instances.size(); ++j) {
      if (static_cast<int>(train[i].instances[j].keypoints.size()) != k)
        throw_invalid(fmt::format("training image {}: instance {} has {} keypoints, the "
                                  "skeleton {}",
                                  bt::quoted(train[i].name), j,
                                  train[i].instances[j].keypoints.size(), k));
      instances.push_back({int(i), int(j)});
    }
  }
  if (instances.empty())
    throw_invalid("training set: no labelled instance; label (or confirm) some frames first");
  return instances;
}

struct Schedule {
  int epochs = 0, batch = 0;
};

// The options' epochs and batch, BehavTrack's table where they are 0; with steps > 0, as
// many epochs as give that many batches.
Schedule training_schedule(const TrainOptions& o, int n_train) {
  Schedule table;
  default_schedule(n_train, table.epochs, table.batch);
  Schedule s{o.epochs ? o.epochs : table.epochs, o.batch ? o.batch : table.batch};
  s.batch = std::min(s.batch, n_train);
  if (o.steps > 0) {
    // An epoch drops its last partial batch (train_detector_epoch).
    const int batches_per_epoch = std::max(1, n_train / s.batch);
    s.epochs = (o.steps + batches_per_epoch - 1) / batches_per_epoch;
  }
  return s;
}

// The model to fine-tune from, checked against this run's skeleton and sizes.
std::optional<ModelInfo> base_model(const TrainOptions& o, const Skeleton& skeleton) {
  if (o.from_model.empty()) return std::nullopt;
  ModelInfo from = read_model_info(o.from_model);
  from.check_skeleton(skeleton, o.from_model.string());
  if (from.size != o.size || from.refine_px != o.refine_px)
    throw_invalid(fmt::format("from_model {}: size {} / refine_px {} differ from this run's "
                              "{} / {}",
                              bt::quoted(o.from_model.string()), from.size, from.refine_px,
                              o.size, o.refine_px));
  return from;
}

// Where a run stands: what a checkpoint saves and --resume restores.
struct RunState {
  int epochs_done = 0;
  double best_fitness = -1e9;
  int best_epoch = -1;
  double elapsed_s = 0;  // training time of the earlier sessions of this run
};

// The networks being trained, their EMA copies (what is validated and saved as the model)
// and the optimisers. Construct after torch::manual_seed: both sets of weights draw from it.
class TrainingNets {
 public:
  TrainingNets(const TrainOptions& o, int k, int net_version, const std::filesystem::path& weights,
               const torch::Device& dev)
      : nets(o.size, k, o.input_px, o.refine_px, net_version),
        ema(o.size, k, o.input_px, o.refine_px, net_version) {
    if (!weights.empty()) {
      try {
        torch::serialize::InputArchive archive;
        archive.load_from(weights.string());
        nets.load(archive);
      } catch (const c10::Error& e) {
        throw_invalid(fmt::format("from_model {}: damaged or not this model's weights ({})", bt::quoted(weights.string()),
                                  first_line(e.what_without_backtrace())));
      }
    }
    nets.to(dev);
    ema.to(dev);
    ema_det = std::make_unique<Ema>(*nets.detector, *ema.detector);
    opt_det = make_optimizer(*nets.detector, o);
    if (nets.refiner) {
      ema_ref = std::make_unique<Ema>(*nets.refiner, *ema.refiner);
      opt_ref = make_optimizer(*nets.refiner, o);
    }
  }

  void set_learning_rate(double lr) {
    set_lr(*opt_det, lr);
    if (opt_ref) set_lr(*opt_ref, lr);
  }

  // Written to a sibling and renamed, so a kill leaves the previous checkpoint whole.
  void save_checkpoint(const std::filesystem::path& path, const RunState& state) {
    torch::serialize::OutputArchive a, model_a, ema_a, od, orf;
    nets.save(model_a);
    a.write("model", model_a);
    ema.save(ema_a);
    a.write("ema", ema_a);
    opt_det->save(od);
    a.write("opt_det", od);
    if (opt_ref) {
      opt_ref->save(orf);
      a.write("opt_ref", orf);
    }
    a.write("epoch", c10::IValue(static_cast<int64_t>(state.epochs_done)));
    a.write("best_fitness", c10::IValue(state.best_fitness));
    a.write("best_epoch", c10::IValue(static_cast<int64_t>(state.best_epoch)));
    a.write("elapsed_s", c10::IValue(state.elapsed_s));
    a.write("ema_updates", c10::IValue(static_cast<int64_t>(ema_det->updates_)));
    const auto tmp = temporary_sibling(path);
    a.save_to(tmp.string());
    std::filesystem::rename(tmp, path);
  }

  RunState load_checkpoint(const std::filesystem::path& path, const torch::Device& dev) {
    try {
      return read_checkpoint(path, dev);
    } catch (const c10::Error& e) {
      throw_invalid(fmt::format("resume: {}: damaged checkpoint ({}); train without --resume", bt::quoted(path.string()),
                                first_line(e.what_without_backtrace())));
    }
  }

  PoseNets nets, ema;
  std::unique_ptr<Ema> ema_det, ema_ref;
  std::unique_ptr<torch::optim::AdamW> opt_det, opt_ref;

 private:
  RunState read_checkpoint(const std::filesystem::path& path, const torch::Device& dev) {
    torch::serialize::InputArchive a;
    a.load_from(path.string(), dev);
    torch::serialize::InputArchive model_a, ema_a, od, orf;
    a.read("model", model_a);
    nets.load(model_a);
    a.read("ema", ema_a);
    ema.load(ema_a);
    a.read("opt_det", od);
    opt_det->load(od);
    if (opt_ref) {
      a.read("opt_ref", orf);
      opt_ref->load(orf);
    }
    RunState state;
    c10::IValue v;
    a.read("epoch", v);
    state.epochs_done = static_cast<int>(v.toInt());
    a.read("best_fitness", v);
    state.best_fitness = v.toDouble();
    a.read("best_epoch", v);
    state.best_epoch = static_cast<int>(v.toInt());
    a.read("elapsed_s", v);
    state.elapsed_s = v.toDouble();
    a.read("ema_updates", v);
    ema_det->updates_ = v.toInt();
    if (ema_ref) ema_ref->updates_ = v.toInt();
    return state;
  }
};

// What one epoch's steps share.
struct EpochInputs {
  const PoseDataset& train;
  const std::vector<Sample>& instances;
  const Skeleton& skeleton;
  const TrainOptions& options;
  int batch = 1;
  torch::Tensor anchor_xy, strides;  // the detector's, on the device
  torch::Device device;
};

// Mean losses over an epoch's steps, for the training log.
struct EpochLosses {
  double box = 0, obj = 0, kpt = 0, vis = 0, heat = 0, offset = 0;
  int detector_steps = 0, refiner_steps = 0;
  double detector_mean(double sum) const { return sum / std::max(1, detector_steps); }
  double refiner_mean(double sum) const { return sum / std::max(1, refiner_steps); }
};

// Detector: one pass over the shuffled images, augmented views; the last partial batch is
// dropped (but an epoch has at least one batch).
void train_detector_epoch(TrainingNets& t, const EpochInputs& in, std::mt19937& rng,
                          EpochLosses& losses, Progress& bar) {
  const int k = in.skeleton.size();
  std::vector<int> order(in.train.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  const size_t batch = static_cast<size_t>(in.batch);
  for (size_t start = 0; start + batch <= order.size() || start == 0; start += batch) {
    std::vector<cv::Mat> images;
    std::vector<Targets> targets;
    for (size_t i = start; i < std::min(order.size(), start + batch); ++i) {
      const PoseSample& s = in.train[order[i]];
      Augmented a = random_view(s.image, s.instances, in.skeleton, in.options.input_px,
                                in.options.augment, rng);
      images.push_back(std::move(a.image));
      targets.push_back(to_targets(a.instances, k));
    }
    const torch::Tensor x = to_input_tensor(images).to(in.device);
    YoloPoseNet& detector = t.nets.detector;
    const DetectorLoss loss =
        detector_loss(detector, detector->forward(x), targets, in.anchor_xy, in.strides);
    t.opt_det->zero_grad();
    loss.total.backward();
    torch::nn::utils::clip_grad_norm_(detector->parameters(), 10.0);
    t.opt_det->step();
    t.ema_det->update();
    losses.box += loss.box.item<double>();
    losses.obj += loss.obj.item<double>();
    losses.kpt += loss.kpt.item<double>();
    losses.vis += loss.vis.item<double>();
    ++losses.detector_steps;
    bar.set_detail(fmt::format("box {:.3f} obj {:.3f} kpt {:.3f}", losses.detector_mean(losses.box),
                               losses.detector_mean(losses.obj), losses.detector_mean(losses.kpt)));
    if (start + batch >= order.size()) break;
  }
}

// A refiner crop around one labelled instance: jittered, scaled, rotated by any angle,
// maybe mirrored, photometric noise; and its keypoints in the crop.
std::pair<cv::Mat, Instance> refiner_view(const EpochInputs& in, const Sample& sample,
                                          std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> jitter(0, 1);
  const PoseSample& s = in.train[sample.image];
  const Instance& inst = s.instances[sample.instance];
  const double side = std::max(inst.box.width(), inst.box.height());
  const cv::Point2d c(inst.box.cx() + 0.08 * side * jitter(rng),
                      inst.box.cy() + 0.08 * side * jitter(rng));
  const int px = in.options.refine_px;
  const double scale = refine_scale(inst.box, px) * (0.85 + 0.3 * u(rng));
  Augmented a = crop_view(s.image, {inst}, in.skeleton, c, scale, 360 * u(rng) - 180,
                          u(rng) < in.options.augment.flip_probability, px, nullptr);
  photometric(a.image, in.options.augment, rng);
  Instance truth = a.instances.empty() ? Instance{} : a.instances[0];
  truth.keypoints.resize(in.skeleton.size());
  return {std::move(a.image), std::move(truth)};
}

// Refiner: refine_repeats crops of every labelled instance, shuffled.
void train_refiner_epoch(TrainingNets& t, const EpochInputs& in, std::mt19937& rng,
                         EpochLosses& losses) {
  std::vector<Sample> order;
  for (int r = 0; r < in.options.refine_repeats; ++r)
    order.insert(order.end(), in.instances.begin(), in.instances.end());
  std::shuffle(order.begin(), order.end(), rng);
  const size_t batch = static_cast<size_t>(std::max(16, 2 * in.batch));
  for (size_t start = 0; start < order.size(); start += batch) {
    std::vector<cv::Mat> crops;
    std::vector<Instance> truth;
    for (size_t i = start; i < std::min(order.size(), start + batch); ++i) {
      auto [crop, keypoints] = refiner_view(in, order[i], rng);
      crops.push_back(std::move(crop));
      truth.push_back(std::move(keypoints));
    }
    RefineBatch b = refine_batch(crops, truth, in.skeleton.size(), in.options.refine_px);
    auto [heat, offset] = t.nets.refiner->forward(b.images.to(in.device));
    const auto heat_loss = F::binary_cross_entropy_with_logits(heat, b.heat.to(in.device));
    const auto mask = b.offset_mask.to(in.device).repeat_interleave(2, 1);
    const auto off_loss =
        (F::smooth_l1_loss(offset, b.offset.to(in.device),
                           F::SmoothL1LossFuncOptions().reduction(torch::kNone)) *
         mask)
            .sum() /
        mask.sum().clamp_min(1);
    const auto total = kHeatGain * heat_loss + off_loss;
    t.opt_ref->zero_grad();
    total.backward();
    torch::nn::utils::clip_grad_norm_(t.nets.refiner->parameters(), 10.0);
    t.opt_ref->step();
    t.ema_ref->update();
    losses.heat += heat_loss.item<double>();
    losses.offset += off_loss.item<double>();
    ++losses.refiner_steps;
  }
}

constexpr const char* kTrainLogHeader =
    "epoch,seconds,lr,loss_box,loss_obj,loss_kpt,loss_vis,loss_heat,loss_offset,"
    "val_box_ap50,val_box_ap50_95,val_oks_ap50_95,val_rmse_px,val_pck10\n";

std::string train_log_row(int epoch, double seconds, double lr, const EpochLosses& l,
                          const PoseMetrics& m) {
  return fmt::format("{},{:.1f},{:.6f},{:.4f},{:.4f},{:.4f},{:.4f},{:.5f},{:.4f},{:.4f},{:.4f},"
                     "{:.4f},{:.3f},{:.4f}\n",
                     epoch, seconds, lr, l.detector_mean(l.box), l.detector_mean(l.obj),
                     l.detector_mean(l.kpt), l.detector_mean(l.vis), l.refiner_mean(l.heat),
                     l.refiner_mean(l.offset), m.box_ap50, m.box_ap50_95, m.oks_ap50_95,
                     m.rmse_px, m.pck10);
}

// A resumed run's log: the rows of the epochs its checkpoint holds. A run killed after
// logging an epoch but before checkpointing it trains that epoch again.
std::string train_log_up_to(const std::filesystem::path& file, int epochs_done) {
  std::string kept = kTrainLogHeader;
  if (!std::filesystem::exists(file)) return kept;
  std::stringstream in(read_file(file));
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    char* end = nullptr;
    const long epoch = std::strtol(line.c_str(), &end, 10);
    if (end != line.c_str() && epoch >= 1 && epoch <= epochs_done) kept += line + "\n";
  }
  return kept;
}

ModelInfo model_info(const TrainOptions& o, const Skeleton& skeleton, int net_version,
                     const nlohmann::json& data) {
  ModelInfo info;
  info.size = o.size;
  info.input_px = o.input_px;
  info.refine_px = o.refine_px;
  info.net_version = net_version;
  info.skeleton = skeleton;
  info.train_options_json = o.to_json();
  info.data_json = data.dump();
  return info;
}

}  // namespace

void require_checkpoint(const std::filesystem::path& out_dir) {
  if (!std::filesystem::exists(out_dir / "checkpoint.pt"))
    throw_not_found(fmt::format("resume: {} has no checkpoint.pt; train without --resume", bt::quoted(out_dir.string())));
}

TrainResult train_pose_model(const PoseDataset& train, const PoseDataset& val_in,
                             const Skeleton& skeleton, const TrainOptions& options,
                             const std::filesystem::path& out_dir,
                             const ProgressCallback& progress) {
  options.validate();
  skeleton.validate();
  const std::vector<Sample> instances = labelled_instances(train, skeleton.size());
  const PoseDataset& val = val_in.empty() ? train : val_in;
  const Schedule schedule = training_schedule(options, static_cast<int>(train.size()));
  const int epochs = schedule.epochs;
  const std::optional<ModelInfo> from = base_model(options, skeleton);
  // Fine-tuning keeps the base model's networks.
  const int net_version = from ? from->net_version : options.net_version;

  const torch::Device dev = nn::to_torch_device(Device::parse(options.device));
  torch::manual_seed(options.seed);
  TrainingNets t(options, skeleton.size(), net_version,
                 from ? options.from_model / "weights.pt" : std::filesystem::path(), dev);

  const auto checkpoint_path = out_dir / "checkpoint.pt";
  const auto log_path = out_dir / "train_log.csv";
  if (options.resume) require_checkpoint(out_dir);
  std::filesystem::create_directories(out_dir);
  RunState state;
  std::string log = kTrainLogHeader;
  if (options.resume) {
    state = t.load_checkpoint(checkpoint_path, dev);
    log = train_log_up_to(log_path, state.epochs_done);
    log_info("resuming at epoch {} of {}", state.epochs_done + 1, epochs);
  }

  ModelInfo info = model_info(options, skeleton, net_version,
                              {{"n_train_images", train.size()},
                               {"n_train_instances", instances.size()},
                               {"n_val_images", val_in.size()},
                               {"epochs", epochs},
                               {"batch", schedule.batch}});
  EpochInputs in{train, instances, skeleton, options, schedule.batch, {}, {}, dev};
  std::tie(in.anchor_xy, in.strides) = t.nets.detector->anchors(options.input_px, options.input_px);
  in.anchor_xy = in.anchor_xy.to(dev);
  in.strides = in.strides.to(dev);
  size_t val_max_det = 1;  // the animal count: the most instances labelled in one image
  for (const auto& s : val) val_max_det = std::max(val_max_det, s.instances.size());

  const auto t0 = std::chrono::steady_clock::now();
  const auto since = [](std::chrono::steady_clock::time_point from_t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - from_t).count();
  };
  const double elapsed_before_s = state.elapsed_s;
  const auto elapsed = [&] { return elapsed_before_s + since(t0); };
  const double limit_s = options.time_limit_min * 60;
  Progress bar("train pose", epochs, progress);
  bar.advance(state.epochs_done);
  TrainResult result;
  result.model_dir = out_dir;
  result.stop_reason = "epochs";
  int epoch = state.epochs_done;
  for (; epoch < epochs; ++epoch) {
    std::mt19937 rng(static_cast<std::uint32_t>(options.seed * 1000003ULL + epoch));
    const double lr = lr_at(progress_fraction(epoch, epochs, elapsed(), limit_s), options);
    t.set_learning_rate(lr);
    t.nets.train(true);
    EpochLosses losses;
    const auto t_det = std::chrono::steady_clock::now();
    train_detector_epoch(t, in, rng, losses, bar);
    const double det_s = since(t_det);
    const auto t_ref = std::chrono::steady_clock::now();
    if (t.nets.refiner) train_refiner_epoch(t, in, rng, losses);
    const double ref_s = since(t_ref);

    const auto t_val = std::chrono::steady_clock::now();
    // Validation with the EMA weights; the best are saved as the model. Skipped epochs are
    // never the last: the final epoch (by count or by the time the next would need) validates.
    const bool last = epoch + 1 == epochs || (limit_s > 0 && elapsed() + det_s + ref_s >= limit_s);
    const bool validate_now = last || (epoch + 1) % options.val_every_epochs == 0;
    PoseMetrics m;
    if (validate_now) m = validate_nets(t.ema, val, skeleton, dev, static_cast<int>(val_max_det));
    info.epochs_run = epoch + 1;
    info.train_seconds = elapsed();
    // Ties go to the later (longer trained) weights.
    if (validate_now && fitness(m) >= state.best_fitness) {
      state.best_fitness = fitness(m);
      state.best_epoch = epoch;
      info.metrics_json = m.to_json();
      save_model_folder(t.ema, info, out_dir);
      result.val = m;
    }
    log += train_log_row(epoch + 1, elapsed(), lr, losses, m);
    write_file_atomically(log_path, log);
    log_debug("epoch {}: detector {:.1f} s, refiner {:.1f} s, validation {:.1f} s; val box "
              "AP50 {:.3f} OKS AP {:.3f} RMSE {:.2f} px",
              epoch + 1, det_s, ref_s, since(t_val), m.box_ap50, m.oks_ap50_95, m.rmse_px);
    state.epochs_done = epoch + 1;
    state.elapsed_s = elapsed();
    t.save_checkpoint(checkpoint_path, state);  // for --resume
    bar.set_detail(fmt::format("val RMSE {:.2f}px OKS AP {:.3f}", m.rmse_px, m.oks_ap50_95));
    bar.advance();
    if (last && limit_s > 0 && epoch + 1 < epochs) {
      result.stop_reason = "time limit";
      ++epoch;
      break;
    }
    if (epoch - state.best_epoch >= options.patience_epochs) {
      result.stop_reason = "early stop";
      ++epoch;
      break;
    }
  }
  bar.finish();
  // A finished run needs no checkpoint; an interrupted one keeps it for --resume.
  std::filesystem::remove(checkpoint_path);
  result.epochs_run = epoch;
  result.seconds = elapsed();
  return result;
}

}  // namespace bt::pose
