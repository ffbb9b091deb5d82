#include <fmt/format.h>
#include <torch/script.h>
#include <torch/serialize.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "behavtrack/core/error.h"
#include "behavtrack/nn/device_torch.h"
#include "behavtrack/pose/augment.h"
#include "behavtrack/pose/letterbox.h"
#include "behavtrack/pose/pose_model.h"
#include "pose_infer_torch.h"

namespace bt::pose {

// ---------------------------------------------------------------- PoseNets

PoseNets::PoseNets(const std::string& size, int k, int input_px_, int refine_px_, int version)
    : input_px(input_px_), refine_px(refine_px_), n_keypoints(k), net_version(version) {
  detector = YoloPoseNet(YoloPoseNetOptions{size, k, version});
  if (refine_px > 0) refiner = RefineNet(k, version);
}

void PoseNets::to(const torch::Device& device) {
  detector->to(device);
  if (refiner) refiner->to(device);
}

void PoseNets::train(bool on) {
  detector->train(on);
  if (refiner) refiner->train(on);
}

void PoseNets::save(torch::serialize::OutputArchive& archive) const {
  torch::serialize::OutputArchive det;
  detector->save(det);
  archive.write("detector", det);
  if (refiner) {
    torch::serialize::OutputArchive ref;
    refiner->save(ref);
    archive.write("refiner", ref);
  }
}

void PoseNets::load(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive det;
  archive.read("detector", det);
  detector->load(det);
  if (refiner) {
    torch::serialize::InputArchive ref;
    archive.read("refiner", ref);
    refiner->load(ref);
  }
}

// ---------------------------------------------------------------- inference steps

namespace {

// Our decoded head in Ultralytics' (channels x anchors) layout, so one decoder serves both.
torch::Tensor to_ultralytics_layout(const YoloPoseNetImpl::Decoded& d) {
  const torch::Tensor b = d.boxes[0];
  const torch::Tensor cxcywh = torch::cat(
      {(b.slice(1, 0, 2) + b.slice(1, 2, 4)) / 2, b.slice(1, 2, 4) - b.slice(1, 0, 2)}, 1);
  const torch::Tensor kpts =
      torch::cat({d.kpts[0], d.vis[0].sigmoid().unsqueeze(2)}, 2).flatten(1);  // (A, 3K)
  return torch::cat({cxcywh, d.obj[0].sigmoid().unsqueeze(1), kpts}, 1).t().contiguous().cpu();
}

std::vector<Instance> decode_to_frame(const torch::Tensor& layout, int n_keypoints,
                                      const Letterbox& lb, const DecodeOptions& options) {
  std::vector<Instance> found = decode_yolo_pose(layout.data_ptr<float>(), layout.size(0),
                                                 layout.size(1), n_keypoints, options);
  for (auto& inst : found) {
    inst = lb.to_original(inst);
    inst.box = inst.box.clipped(lb.original_w, lb.original_h);
  }
  return found;
}

}  // namespace

std::vector<Instance> run_detector(YoloPoseNet& net, const cv::Mat& bgr, int input_px,
                                   const DecodeOptions& options, const torch::Device& device,
                                   bool with_keypoints) {
  const Letterbox lb = Letterbox::fit_rect(bgr.cols, bgr.rows, input_px);
  const torch::Tensor x = to_input_tensor({lb.apply(bgr)}).to(device);
  const torch::Tensor raw = net->forward(x, with_keypoints);
  auto [anchor_xy, strides] = net->anchors(lb.input_w, lb.input_h);
  const auto decoded = net->decode(raw, anchor_xy.to(device), strides.to(device));
  return decode_to_frame(to_ultralytics_layout(decoded), net->options.n_keypoints, lb, options);
}

double refine_scale(const Box& box, int refine_px) {
  const double side = std::max(box.width(), box.height()) * 1.05;
  return side > refine_px ? refine_px / side : 1.0;
}

void run_refiner(RefineNet& net, const cv::Mat& bgr, std::vector<Instance>& instances,
                 int refine_px, float keypoint_visible_min, const torch::Device& device) {
  if (instances.empty()) return;
  std::vector<cv::Mat> crops;
  std::vector<cv::Matx23d> maps;
  const Skeleton none;
  for (const auto& inst : instances) {
    cv::Matx23d m;
    crops.push_back(crop_view(bgr, {}, none, {inst.box.cx(), inst.box.cy()},
                              refine_scale(inst.box, refine_px), 0, false, refine_px, &m)
                        .image);
    maps.push_back(m);
  }
  auto [heat, offset] = net->forward(to_input_tensor(crops).to(device));
  heat = heat.cpu();
  offset = offset.cpu();
  const int k = heat.size(1), w = heat.size(3);
  const auto [peak, where] = heat.flatten(2).max(2);  // (N, K)
  const auto peak_a = peak.accessor<float, 2>();
  const auto where_a = where.accessor<long, 2>();
  const auto off_a = offset.accessor<float, 4>();
  for (size_t n = 0; n < instances.size(); ++n) {
    Instance& inst = instances[n];
    inst.keypoints.resize(k);
    inst.keypoint_scores.resize(k);
    cv::Matx23d inv;
    cv::invertAffineTransform(maps[n], inv);
    for (int j = 0; j < k; ++j) {
      const long cell = where_a[n][j];
      const int cy = static_cast<int>(cell / w), cx = static_cast<int>(cell % w);
      // Crop pixel = cell centre + offset, both in strides.
      const double px = (cx + 0.5 + off_a[n][2 * j][cy][cx]) * kRefineStride;
      const double py = (cy + 0.5 + off_a[n][2 * j + 1][cy][cx]) * kRefineStride;
      const float score = 1.0f / (1.0f + std::exp(-peak_a[n][j]));
      inst.keypoints[j] = {inv(0, 0) * px + inv(0, 1) * py + inv(0, 2),
                           inv(1, 0) * px + inv(1, 1) * py + inv(1, 2),
                           score >= keypoint_visible_min ? Visibility::kVisible
                                                         : Visibility::kOccluded};
      inst.keypoint_scores[j] = score;
    }
  }
}

// ---------------------------------------------------------------- PoseModel

void PredictOptions::validate() const {
  DecodeOptions{score_min, iou_max, max_det, keypoint_visible_min}.validate();
}

struct PoseModel::Impl {
  ModelInfo info;
  std::string name;
  torch::Device device{torch::kCPU};
  std::unique_ptr<PoseNets> nets;             // our own model
  std::optional<torch::jit::Module> script;   // an Ultralytics TorchScript export

  std::vector<Instance> predict_script(const cv::Mat& bgr, const PredictOptions& o) {
    const Letterbox lb = Letterbox::fit(bgr.cols, bgr.rows, info.input_px);
    cv::Mat rgb;
    cv::cvtColor(lb.apply(bgr), rgb, cv::COLOR_BGR2RGB);  // Ultralytics takes RGB / 255
    torch::IValue out = script->forward({to_input_tensor({rgb}).to(device)});
    if (out.isTuple()) out = out.toTuple()->elements().at(0);
    if (out.isList()) out = out.toList().get(0);
    const torch::Tensor t = out.toTensor().to(torch::kFloat).cpu();
    if (t.dim() != 3 || t.size(0) != 1)
      throw_invalid(fmt::format("model {}: output has {} dimensions, expected (1, channels, "
                                "anchors)",
                                bt::quoted(name), t.dim()));
    return decode_to_frame(t[0].contiguous(), info.skeleton.size(), lb,
                           {o.score_min, o.iou_max, o.max_det, o.keypoint_visible_min});
  }
};

PoseModel::PoseModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PoseModel::~PoseModel() = default;
PoseModel::PoseModel(PoseModel&&) noexcept = default;
PoseModel& PoseModel::operator=(PoseModel&&) noexcept = default;
const ModelInfo& PoseModel::info() const { return impl_->info; }
bool PoseModel::is_torchscript() const { return impl_->script.has_value(); }

namespace {

// Ultralytics stores its metadata (imgsz, kpt_shape, names) as JSON in config.txt.
ModelInfo torchscript_info(const std::string& config, int fallback_k, const std::string& name) {
  ModelInfo info;
  info.size = "torchscript";
  info.refine_px = 0;
  info.normalisation = "rgb/255";
  int k = fallback_k, input_px = 640;
  if (!config.empty()) {
    try {
      const nlohmann::json j = nlohmann::json::parse(config);
      if (j.contains("kpt_shape")) k = j["kpt_shape"].at(0).get<int>();
      if (j.contains("imgsz")) {
        const auto& s = j["imgsz"];
        input_px = s.is_array() ? s.at(0).get<int>() : s.get<int>();
      }
    } catch (const nlohmann::json::exception& e) {
      throw_invalid(fmt::format("model {}: config.txt: {}", bt::quoted(name), json_error_text(e)));
    }
  }
  validate_input_px(input_px, "torchscript imgsz");
  info.input_px = input_px;
  info.skeleton = Skeleton::default_mouse();
  if (k != info.skeleton.size()) {
    info.skeleton.keypoints.clear();
    info.skeleton.flip.clear();
    info.skeleton.edges.clear();
    for (int i = 0; i < k; ++i) {
      info.skeleton.keypoints.push_back(fmt::format("kp{}", i));
      info.skeleton.flip.push_back(i);
    }
  }
  info.train_options_json = nlohmann::json{{"source", name}}.dump();
  return info;
}

}  // namespace

PoseModel PoseModel::load(const std::filesystem::path& path, const Device& device) {
  auto impl = std::make_unique<Impl>();
  impl->device = nn::to_torch_device(device);
  const std::string name = path.string();
  impl->name = name;
  if (!std::filesystem::exists(path))
    throw_not_found(fmt::format("model {}: not found", bt::quoted(name)));
  torch::NoGradGuard no_grad;
  if (std::filesystem::is_regular_file(path)) {
    torch::jit::ExtraFilesMap extra{{"config.txt", ""}};
    try {
      impl->script = torch::jit::load(name, impl->device, extra);
    } catch (const c10::Error& e) {
      throw_invalid(fmt::format("model {}: not a TorchScript file ({})", bt::quoted(name),
                                e.what_without_backtrace()));
    }
    // Our weights.pt loads as a module too, but without a forward method.
    if (!impl->script->find_method("forward"))
      throw_invalid(fmt::format("model {}: a weights file, not a TorchScript model; give the model's folder (the one "
                                "holding model.json)",
                                bt::quoted(name)));
    impl->script->eval();
    impl->info = torchscript_info(extra["config.txt"], 4, name);
    return PoseModel(std::move(impl));
  }
  impl->info = read_model_info(path);
  const ModelInfo& info = impl->info;
  impl->nets = std::make_unique<PoseNets>(info.size, info.skeleton.size(), info.input_px,
                                          info.refine_px, info.net_version);
  try {
    torch::serialize::InputArchive archive;
    archive.load_from((path / "weights.pt").string(), impl->device);
    impl->nets->load(archive);
  } catch (const c10::Error& e) {
    throw_invalid(fmt::format("model {}: weights.pt: {}", bt::quoted(name),
                              e.what_without_backtrace()));
  }
  impl->nets->to(impl->device);
  impl->nets->train(false);
  fuse_conv_bn_for_inference(*impl->nets->detector);
  if (impl->nets->refiner) fuse_conv_bn_for_inference(*impl->nets->refiner);
  return PoseModel(std::move(impl));
}

std::vector<Instance> PoseModel::predict(const cv::Mat& bgr, const PredictOptions& o) const {
  o.validate();
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw_invalid("predict: expected a non-empty 8-bit BGR image");
  torch::InferenceMode guard;
  if (impl_->script) return impl_->predict_script(bgr, o);
  PoseNets& nets = *impl_->nets;
  const bool refine = o.refine && nets.refiner;
  std::vector<Instance> found =
      run_detector(nets.detector, bgr, nets.input_px,
                   {o.score_min, o.iou_max, o.max_det, o.keypoint_visible_min}, impl_->device,
                   /*with_keypoints=*/!refine);
  if (refine)
    run_refiner(nets.refiner, bgr, found, nets.refine_px, o.keypoint_visible_min, impl_->device);
  return found;
}

bool PoseModel::has_refiner() const {
  return !impl_->script && impl_->nets->refiner;
}

void PoseModel::refine(const cv::Mat& bgr, std::vector<Instance>& instances,
                       const PredictOptions& o) const {
  if (!has_refiner()) throw_internal("refine: the model has no refiner");
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw_invalid("refine: expected a non-empty 8-bit BGR image");
  torch::InferenceMode guard;
  PoseNets& nets = *impl_->nets;
  run_refiner(nets.refiner, bgr, instances, nets.refine_px, o.keypoint_visible_min, impl_->device);
}

std::vector<std::vector<Instance>> predict_dataset(const PoseModel& model, const PoseDataset& data,
                                                   const PredictOptions& options,
                                                   const ProgressCallback& progress) {
  Progress p("predict", static_cast<std::int64_t>(data.size()), progress);
  std::vector<std::vector<Instance>> out;
  for (const auto& s : data) {
    out.push_back(model.predict(s.image, options));
    p.advance();
  }
  p.finish();
  return out;
}

}  // namespace bt::pose
