// Pose benchmarks: inference frames/s on 640x480 frames (batch 1, letterbox, NMS and the
// refiner included) for sizes n and s at input 320 and 640, training seconds per epoch on the
// DLC set, and (with BT_POSE_EXPERIMENT=1) the DLC experiment of issue 5: train from scratch
// on 93 images, test on 23, print RMSE, PCK and box AP as counters; with
// BT_POSE_SYNTH_EXPERIMENT=1 the synthetic one (300 frames of 5 mice, test on 100 frames of
// other videos: box AP50, OKS AP50-95).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>

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
void BM_PoseInference(benchmark::State& state, std::string size, int input_px, bool refine) {
  bt::bench::DlcSplit dlc = bt::bench::load_dlc();
  dlc.train.resize(2);
  bt::pose::TrainOptions o;
  o.size = size;
  o.input_px = input_px;
  o.epochs = 1;
  o.batch = 2;
  o.refine_repeats = 1;
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
  for (auto _ : state) benchmark::DoNotOptimize(model.predict(frame, p));
  state.counters["frames_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
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
// _EPOCHS, _BATCH, _MINUTES, _VAL_EVERY, _REFINE_REPEATS, _SEED), with the given defaults.
bt::pose::TrainOptions experiment_options(int batch, int val_every, int refine_repeats) {
  bt::pose::TrainOptions o;
  o.size = std::getenv("BT_POSE_SIZE") ? std::getenv("BT_POSE_SIZE") : "n";
  o.input_px = static_cast<int>(env_or("BT_POSE_IMGSZ", 320));
  o.refine_px = static_cast<int>(env_or("BT_POSE_REFINE_PX", 128));
  o.epochs = static_cast<int>(env_or("BT_POSE_EPOCHS", 400));
  o.batch = static_cast<int>(env_or("BT_POSE_BATCH", batch));
  o.time_limit_min = env_or("BT_POSE_MINUTES", 25);
  o.patience_epochs = 1000;
  o.val_every_epochs = static_cast<int>(env_or("BT_POSE_VAL_EVERY", val_every));
  o.refine_repeats = static_cast<int>(env_or("BT_POSE_REFINE_REPEATS", refine_repeats));
  o.seed = static_cast<std::uint64_t>(env_or("BT_POSE_SEED", 0));
  return o;
}

// Trains from scratch into BT_POSE_OUT (default a scratch folder named `name`), then scores
// the saved model on `test` with max_det = `mice`; prints and returns the test metrics.
bt::pose::PoseMetrics train_and_test(benchmark::State& state, const std::string& name,
                                     const bt::pose::PoseDataset& train,
                                     const bt::pose::PoseDataset& val,
                                     const bt::pose::PoseDataset& test,
                                     const bt::pose::TrainOptions& o, int mice) {
  const auto dir = std::getenv("BT_POSE_OUT") ? std::filesystem::path(std::getenv("BT_POSE_OUT"))
                                             : scratch(name);
  const auto r = bt::pose::train_pose_model(train, val, bt::Skeleton::default_mouse(), o, dir,
                                            bt::terminal_progress(stderr));
  const bt::pose::PoseModel model = bt::pose::PoseModel::load(dir, bt::Device{});
  bt::pose::PredictOptions p;
  p.max_det = mice;       // the known number of mice
  p.score_min = 0.001f;   // as COCO evaluation; AP still ranks by score
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
