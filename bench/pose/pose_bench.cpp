// Pose benchmarks: inference frames/s on 640x480 frames (batch 1, letterbox, NMS and the
// refiner included) for sizes n and s at input 320 and 640, training seconds per epoch on the
// DLC set, and (with BT_POSE_EXPERIMENT=1) the DLC experiment of issue 5: train from scratch
// on 93 images, test on 23, print RMSE, PCK and box AP as counters; with
// BT_POSE_SYNTH_EXPERIMENT=1 the synthetic one (300 frames of 5 mice, test on 100 frames of
// other videos: box AP50, OKS AP50-95, and why each missed test mouse was missed; with
// BT_POSE_DIAG_DIR a picture of each; BT_POSE_TEST_ONLY=1 scores the model already in
// BT_POSE_OUT without training; BT_POSE_NMS_SWEEP=1 adds box AP50 at several NMS IoU thresholds and with a
// keypoint-aware duplicate removal, on validation and test frames).
// BT_POSE_NET_VERSION=1 trains the first generation of networks.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "behavtrack/core/log.h"
#include "behavtrack/pose/classical_detector.h"
#include "behavtrack/pose/pose_model.h"
#include "behavtrack/synth/synth.h"
#include "pose/dlc_data.h"

namespace {

std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("bt-pose-bench-" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

double env_or(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v ? std::atof(v) : fallback;
}

// An untrained model of the given size is as fast as a trained one: build it with one
// short epoch on two DLC images and time predict() on a DLC frame.
void BM_PoseInference(benchmark::State& state, std::string size, int input_px, bool refine,
                      int net_version = bt::pose::TrainOptions{}.net_version) {
  bt::bench::DlcSplit dlc = bt::bench::load_dlc();
  dlc.train.resize(2);
  bt::pose::TrainOptions o;
  o.size = size;
  o.input_px = input_px;
  o.epochs = 1;
  o.batch = 2;
  o.refine_repeats = 1;
  o.net_version = net_version;
  const auto dir = scratch("infer-" + size + std::to_string(input_px));
  bt::pose::train_pose_model(dlc.train, {}, bt::Skeleton::default_mouse(), o, dir, {});
  const bt::pose::PoseModel model = bt::pose::PoseModel::load(dir, bt::Device{});
  bt::pose::PredictOptions p;
  p.score_min = 0.0f;  // keep max_det detections: the refiner runs on each
  p.max_det = 1;
  p.refine = refine;
  const cv::Mat frame = dlc.test.at(0).image;
  // The first calls pay one-off costs (oneDNN primitive creation, allocator growth) that a
  // video pays once: keep them out of the timing.
  for (int i = 0; i < 3; ++i) benchmark::DoNotOptimize(model.predict(frame, p));
  // On this shared machine other programs' load stretches the mean; the fastest tenth of the
  // calls shows what the code itself costs (reported beside the mean, never instead of it).
  std::vector<double> call_ms;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(model.predict(frame, p));
    call_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  state.counters["frames_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  std::sort(call_ms.begin(), call_ms.end());
  state.counters["p10_frames_per_s"] = 1000.0 / call_ms[call_ms.size() / 10];
  state.counters["best_frames_per_s"] = 1000.0 / call_ms.front();
  std::filesystem::remove_all(dir);
}
BENCHMARK_CAPTURE(BM_PoseInference, n_320, "n", 320, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PoseInference, n_640, "n", 640, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PoseInference, s_320, "s", 320, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PoseInference, s_640, "s", 640, true)->Unit(benchmark::kMillisecond)->UseRealTime();
// The detector alone (no refiner), to see what each stage costs.
BENCHMARK_CAPTURE(BM_PoseInference, n_320_detector_only, "n", 320, false)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// The first generation of networks (net_version 1, before session 3's speed work), for the
// before/after comparison; its inference now uses the rectangular letterbox too.
BENCHMARK_CAPTURE(BM_PoseInference, n_320_v1, "n", 320, true, 1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_PoseInference, n_320_v1_detector_only, "n", 320, false, 1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Seconds per training epoch (detector + refiner + validation) on the 80 DLC training images.
void BM_PoseTrainEpoch(benchmark::State& state) {
  const bt::bench::DlcSplit dlc = bt::bench::load_dlc();
  bt::pose::TrainOptions o;
  o.epochs = 1;
  for (auto _ : state) {
    const auto dir = scratch("epoch");
    bt::pose::train_pose_model(dlc.train, dlc.val, bt::Skeleton::default_mouse(), o, dir, {});
    std::filesystem::remove_all(dir);
  }
}
BENCHMARK(BM_PoseTrainEpoch)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

// Training options of an experiment from the environment (BT_POSE_SIZE, _IMGSZ, _REFINE_PX,
// _EPOCHS, _BATCH, _MINUTES, _VAL_EVERY, _REFINE_REPEATS, _SEED, _NET_VERSION), with the
// given defaults.
bt::pose::TrainOptions experiment_options(int batch, int val_every, int refine_repeats) {
  bt::pose::TrainOptions o;
  o.size = std::getenv("BT_POSE_SIZE") ? std::getenv("BT_POSE_SIZE") : "n";
  o.input_px = static_cast<int>(env_or("BT_POSE_IMGSZ", 320));
  o.refine_px = static_cast<int>(env_or("BT_POSE_REFINE_PX", bt::pose::TrainOptions{}.refine_px));
  o.epochs = static_cast<int>(env_or("BT_POSE_EPOCHS", 400));
  o.batch = static_cast<int>(env_or("BT_POSE_BATCH", batch));
  o.time_limit_min = env_or("BT_POSE_MINUTES", 25);
  o.patience_epochs = 1000;
  o.val_every_epochs = static_cast<int>(env_or("BT_POSE_VAL_EVERY", val_every));
  o.refine_repeats = static_cast<int>(env_or("BT_POSE_REFINE_REPEATS", refine_repeats));
  o.seed = static_cast<std::uint64_t>(env_or("BT_POSE_SEED", 0));
  o.net_version = static_cast<int>(env_or("BT_POSE_NET_VERSION", bt::pose::TrainOptions{}.net_version));
  return o;
}

// Test-time options: max_det = the known number of mice, score_min 0.001 as COCO
// evaluation (AP still ranks by score).
bt::pose::PredictOptions experiment_predict_options(int mice) {
  bt::pose::PredictOptions p;
  p.max_det = mice;
  p.score_min = 0.001f;
  return p;
}

std::filesystem::path experiment_dir(const std::string& name) {
  return std::getenv("BT_POSE_OUT") ? std::filesystem::path(std::getenv("BT_POSE_OUT"))
                                    : std::filesystem::temp_directory_path() /
                                          ("bt-pose-bench-" + name);
}

// Trains from scratch into BT_POSE_OUT (default a scratch folder named `name`), then scores
// the saved model on `test` with max_det = `mice`; prints and returns the test metrics.
bt::pose::PoseMetrics train_and_test(benchmark::State& state, const std::string& name,
                                     const bt::pose::PoseDataset& train,
                                     const bt::pose::PoseDataset& val,
                                     const bt::pose::PoseDataset& test,
                                     const bt::pose::TrainOptions& o, int mice) {
  const auto dir = experiment_dir(name);
  // BT_POSE_TEST_ONLY=1 scores the model already in BT_POSE_OUT (after a change to inference).
  const auto r = std::getenv("BT_POSE_TEST_ONLY")
                     ? bt::pose::TrainResult{}
                     : bt::pose::train_pose_model(train, val, bt::Skeleton::default_mouse(), o,
                                                  dir, bt::terminal_progress(stderr));
  const bt::pose::PoseModel model = bt::pose::PoseModel::load(dir, bt::Device{});
  bt::pose::PredictOptions p = experiment_predict_options(mice);
  std::vector<std::vector<bt::Instance>> truth;
  for (const auto& s : test) truth.push_back(s.instances);
  const auto m = bt::pose::evaluate_pose(truth, bt::pose::predict_dataset(model, test, p, {}),
                                         bt::Skeleton::default_mouse(), {});
  std::fprintf(stderr, "%s test metrics (%d epochs, %.0f s, %s):\n%s\n", name.c_str(),
               r.epochs_run, r.seconds, r.stop_reason.c_str(), m.to_json().c_str());
  state.counters["train_s"] = r.seconds;
  return m;
}

// The DLC experiment: BT_POSE_MINUTES (default 25) of training from scratch, then the test.
void BM_PoseDlcExperiment(benchmark::State& state) {
  const bt::bench::DlcSplit dlc = bt::bench::load_dlc();
  const bt::pose::TrainOptions o = experiment_options(16, 5, 4);
  if (std::getenv("BT_POSE_VERBOSE")) bt::set_log_level(bt::LogLevel::kDebug);
  for (auto _ : state) {
    const auto m = train_and_test(state, "dlc", dlc.train, dlc.val, dlc.test, o, 1);
    state.counters["rmse_px"] = m.rmse_px;
    state.counters["mean_error_px"] = m.mean_error_px;
    state.counters["pck5"] = m.pck5;
    state.counters["pck10"] = m.pck10;
    state.counters["box_ap50"] = m.box_ap50;
    state.counters["box_ap50_95"] = m.box_ap50_95;
    state.counters["missed"] = m.n_missed;
  }
}

// Frames of synthetic videos (5 mice, 640x480), every `every`-th frame, as a pose dataset:
// the pictures and their exact truth (keypoints covered by another mouse have v = 1).
bt::pose::PoseDataset synth_frames(std::uint64_t seed, int n_frames, int every) {
  bt::synth::SynthOptions o;
  o.seed = seed;
  o.seconds = (n_frames * every + 1) / o.fps;
  bt::synth::SynthVideo video(o);
  bt::synth::SynthFrame f;
  bt::pose::PoseDataset out;
  while (static_cast<int>(out.size()) < n_frames && video.next(f)) {
    if (f.index % every) continue;
    out.push_back({"synth" + std::to_string(seed) + "#" + std::to_string(f.index), f.image.clone(),
                   f.truth.instances});
  }
  return out;
}

// Why test mice are missed (box IoU < 0.5 with every kept detection): for each, whether
// the detector had a candidate at all (no NMS, no max_det), whether NMS at the test's
// iou_max removed it, or whether max_det cut it; with how much the mouse overlaps another
// (best box IoU with another truth) and how many of its keypoints are uncovered (v = 2).
// With BT_POSE_DIAG_DIR set, writes a picture of each (truth green, kept detections red).
void report_missed_mice(const bt::pose::PoseModel& model, const bt::pose::PoseDataset& test,
                        int mice) {
  bt::pose::PredictOptions kept = experiment_predict_options(mice);
  kept.refine = false;
  bt::pose::PredictOptions no_cut = kept, raw = kept;
  no_cut.max_det = 300;
  raw.max_det = 300;
  raw.iou_max = 1.0f;
  const char* diag_dir = std::getenv("BT_POSE_DIAG_DIR");
  if (diag_dir) std::filesystem::create_directories(diag_dir);
  const auto best_iou = [](const bt::Box& b, const std::vector<bt::Instance>& found) {
    double best = 0;
    for (const auto& f : found) best = std::max(best, bt::iou(b, f.box));
    return best;
  };
  int n_missed = 0, n_no_candidate = 0, n_nms = 0, n_max_det = 0;
  for (const auto& s : test) {
    const auto found = model.predict(s.image, kept);
    const auto found_all = model.predict(s.image, no_cut);
    const auto found_raw = model.predict(s.image, raw);
    for (size_t t = 0; t < s.instances.size(); ++t) {
      const bt::Instance& truth = s.instances[t];
      if (best_iou(truth.box, found) >= 0.5) continue;
      ++n_missed;
      double overlap = 0;
      for (size_t u = 0; u < s.instances.size(); ++u)
        if (u != t) overlap = std::max(overlap, bt::iou(truth.box, s.instances[u].box));
      int visible = 0;
      for (const auto& k : truth.keypoints) visible += k.v == bt::Visibility::kVisible;
      const char* why = best_iou(truth.box, found_raw) < 0.5   ? "no candidate"
                        : best_iou(truth.box, found_all) < 0.5 ? "NMS"
                                                               : "max_det";
      n_no_candidate += why[0] == 'n';
      n_nms += why[0] == 'N';
      n_max_det += why[0] == 'm';
      std::fprintf(stderr,
                   "missed %s mouse %zu: %s; box %.0fx%.0f, IoU with another mouse %.2f, %d "
                   "keypoints uncovered, best kept IoU %.2f, best candidate IoU %.2f\n",
                   s.name.c_str(), t, why, truth.box.width(), truth.box.height(), overlap, visible,
                   best_iou(truth.box, found), best_iou(truth.box, found_raw));
      if (diag_dir) {
        cv::Mat pic = s.image.clone();
        for (const auto& f : found)
          cv::rectangle(pic, cv::Rect2d(f.box.x1, f.box.y1, f.box.width(), f.box.height()),
                        {0, 0, 255}, 1);
        cv::rectangle(pic,
                      cv::Rect2d(truth.box.x1, truth.box.y1, truth.box.width(), truth.box.height()),
                      {0, 255, 0}, 1);
        cv::imwrite(fmt::format("{}/{}-{}.png", diag_dir, s.name, t), pic);
      }
    }
  }
  std::fprintf(stderr, "missed %d test mice: %d no candidate, %d removed by NMS, %d cut by max_det\n",
               n_missed, n_no_candidate, n_nms, n_max_det);
}

// Box AP50 of `model` on `data` at several NMS IoU thresholds (refiner off: it moves no box),
// to choose the threshold on validation frames, never on the test.
void sweep_nms_iou(const bt::pose::PoseModel& model, const bt::pose::PoseDataset& data,
                   const char* name, int mice) {
  std::vector<std::vector<bt::Instance>> truth;
  for (const auto& s : data) truth.push_back(s.instances);
  for (float iou_max : {0.8f, 0.7f, 0.65f, 0.6f, 0.55f, 0.5f, 0.45f}) {
    bt::pose::PredictOptions p = experiment_predict_options(mice);
    p.refine = false;
    p.iou_max = iou_max;
    const auto m = bt::pose::evaluate_pose(truth, bt::pose::predict_dataset(model, data, p, {}),
                                           bt::Skeleton::default_mouse(), {});
    std::fprintf(stderr, "%s, NMS IoU %.2f: box AP50 %.4f AP50-95 %.4f, %d of %d missed\n", name,
                 iou_max, m.box_ap50, m.box_ap50_95, m.n_missed, m.n_truth);
  }
}

// Emulates keypoint-aware duplicate removal after the box NMS (OKS-NMS, ref: Xiao et al.
// 2018, SimpleBaseline's oks_nms): candidates in score order, a candidate whose detector
// keypoints have OKS > oks_max with a kept one is a duplicate; box AP50 at several oks_max.
void sweep_oks_dedup(const bt::pose::PoseModel& model, const bt::pose::PoseDataset& data,
                     const char* name, int mice) {
  std::vector<std::vector<bt::Instance>> truth, candidates;
  bt::pose::PredictOptions p = experiment_predict_options(mice);
  p.refine = false;  // the detector's own keypoints
  p.max_det = 300;
  for (const auto& s : data) {
    truth.push_back(s.instances);
    candidates.push_back(model.predict(s.image, p));
  }
  const std::vector<double> sigmas(4, 0.25);
  for (double oks_max : {1.01, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4}) {
    std::vector<std::vector<bt::Instance>> kept_all;
    for (const auto& c : candidates) {
      std::vector<bt::Instance> kept;
      for (const auto& inst : c) {
        if (static_cast<int>(kept.size()) >= mice) break;
        bool dup = false;
        for (const auto& k : kept) dup = dup || bt::pose::oks(inst, k, sigmas, 0.53) > oks_max;
        if (!dup) kept.push_back(inst);
      }
      kept_all.push_back(std::move(kept));
    }
    const auto m = bt::pose::evaluate_pose(truth, kept_all, bt::Skeleton::default_mouse(), {});
    std::fprintf(stderr, "%s, OKS dedup %.2f: box AP50 %.4f AP50-95 %.4f, %d of %d missed\n",
                 name, oks_max, m.box_ap50, m.box_ap50_95, m.n_missed, m.n_truth);
  }
}

// The synthetic experiment of issue 5: 300 training frames from 3 videos, validation on 30
// frames of a fourth, test on 100 frames of two more; BT_POSE_MINUTES (default 25) of
// training from scratch; box AP50 and keypoint OKS AP50-95 on the test frames.
void BM_PoseSynthExperiment(benchmark::State& state) {
  bt::pose::PoseDataset train, val = synth_frames(20, 30, 20), test;
  for (std::uint64_t seed : {1, 2, 3})
    for (auto& s : synth_frames(seed, 100, 10)) train.push_back(std::move(s));
  for (std::uint64_t seed : {31, 32})
    for (auto& s : synth_frames(seed, 50, 20)) test.push_back(std::move(s));
  const bt::pose::TrainOptions o = experiment_options(8, 2, 1);
  for (auto _ : state) {
    const auto m = train_and_test(state, "synthetic", train, val, test, o, 5);
    const auto model = bt::pose::PoseModel::load(experiment_dir("synthetic"), bt::Device{});
    report_missed_mice(model, test, 5);
    if (std::getenv("BT_POSE_NMS_SWEEP")) {
      sweep_nms_iou(model, val, "validation", 5);
      sweep_nms_iou(model, test, "test", 5);
      sweep_oks_dedup(model, val, "validation", 5);
      sweep_oks_dedup(model, test, "test", 5);
    }
    state.counters["box_ap50"] = m.box_ap50;
    state.counters["oks_ap50_95"] = m.oks_ap50_95;
    state.counters["rmse_px"] = m.rmse_px;
    state.counters["missed"] = m.n_missed;
  }
}

const bool kExperimentRegistered = [] {
  if (std::getenv("BT_POSE_SYNTH_EXPERIMENT"))
    benchmark::RegisterBenchmark("BM_PoseSynthExperiment", BM_PoseSynthExperiment)
        ->Unit(benchmark::kSecond)
        ->UseRealTime()
        ->Iterations(1);
  if (std::getenv("BT_POSE_EXPERIMENT"))
    benchmark::RegisterBenchmark("BM_PoseDlcExperiment", BM_PoseDlcExperiment)
        ->Unit(benchmark::kSecond)
        ->UseRealTime()
        ->Iterations(1);
  return true;
}();

}  // namespace

namespace {

// The classical detector on the 23 DLC test images: median background of all 116 images.
void BM_PoseClassicalDlc(benchmark::State& state) {
  const bt::bench::DlcSplit dlc = bt::bench::load_dlc();
  std::vector<cv::Mat> all;
  for (const auto* set : {&dlc.train, &dlc.val, &dlc.test})
    for (const auto& s : *set) all.push_back(s.image);
  bt::pose::ClassicalOptions o;
  o.n_animals = 1;
  bt::pose::ClassicalDetector det(o);
  det.set_background(bt::pose::median_background(all));
  std::vector<std::vector<bt::Instance>> truth, pred;
  for (auto _ : state) {
    truth.clear();
    pred.clear();
    for (const auto& s : dlc.test) {
      truth.push_back(s.instances);
      pred.push_back(det.detect(s.image));
    }
  }
  const auto m = bt::pose::evaluate_pose(truth, pred, bt::Skeleton::default_mouse(), {});
  std::fprintf(stderr, "classical detector on the DLC test images:\n%s\n", m.to_json().c_str());
  state.counters["rmse_px"] = m.rmse_px;
  state.counters["pck10"] = m.pck10;
  state.counters["box_ap50"] = m.box_ap50;
  state.counters["missed"] = m.n_missed;
  state.counters["frames_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * dlc.test.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PoseClassicalDlc)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
