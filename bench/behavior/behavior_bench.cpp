// Behaviour recognition throughput: pose features, the pose classifier end to end (5 mice,
// frames/s and multiple of real time at 30 fps), optical flow (DIS vs TV-L1 on 128 px ROI
// crops) and the two-stream video classifier's scoring and training (clips/s).
#include <benchmark/benchmark.h>

#include <random>

#include "../../tests/behavior/behavior_fixtures.h"
#include "behavtrack/behavior/pose_classifier.h"
#include "behavtrack/behavior/pose_features.h"
#if BT_BEHAVIOR_VIDEO
#include <opencv2/imgproc.hpp>

#include "behavtrack/behavior/video_classifier.h"
#endif

namespace {

namespace bb = bt::behavior;

void BM_PoseFeatures5Mice(benchmark::State& state) {
  const bt::InstancesFile tracks = bt::test::behaving_mice(5, 900, 1);
  bb::PoseFeatureOptions o;
  o.width = 640;
  o.height = 480;
  std::size_t rows = 0;
  for (auto _ : state) {
    bb::PoseFeatureExtractor fx(o);
    const bb::FeatureSink sink = [&](bt::FrameIndex, bt::TrackId, const float* v) { benchmark::DoNotOptimize(v); ++rows; };
    for (const auto& f : tracks.frames) fx.push(f, sink);
    fx.finish(sink);
  }
  state.counters["mouse_frames/s"] = benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
  state.counters["video_frames/s"] = benchmark::Counter(static_cast<double>(rows) / 5, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PoseFeatures5Mice)->Unit(benchmark::kMillisecond)->UseRealTime();

// Features + boosted trees (150 rounds x 8 classes, the default) + Viterbi, 5 mice.
void BM_PoseClassifierPredict5Mice(benchmark::State& state) {
  bb::PoseClassifierOptions o;
  o.behaviors = bt::test::fixture_behaviors();
  // 8 classes as the default ethogram has: the extra ones get a few labels so trees exist.
  o.behaviors = bt::default_behaviors();
  bb::LabelledVideo v{"train", bt::test::behaving_mice(5, 1800, 2), {}};
  v.labels = bb::labels_from_instances(v.tracks, o.behaviors, "train");
  for (int c = 4; c < 8; ++c) v.labels.set(c, bt::TrackId(1), c);
  const bb::PoseClassifier clf = bb::PoseClassifier::train({v}, o, {});
  const bt::InstancesFile tracks = bt::test::behaving_mice(5, 900, 3);
  for (auto _ : state) benchmark::DoNotOptimize(clf.predict(tracks, {}));
  const double frames = static_cast<double>(state.iterations()) * 900;
  state.counters["video_frames/s"] = benchmark::Counter(frames, benchmark::Counter::kIsRate);
  state.counters["x_realtime_30fps"] = benchmark::Counter(frames / 30, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PoseClassifierPredict5Mice)->Unit(benchmark::kMillisecond)->UseRealTime();

#if BT_BEHAVIOR_VIDEO
void flow_bench(benchmark::State& state, bb::FlowMethod method) {
  cv::Mat a(128, 128, CV_8UC1), b;
  cv::randu(a, 0, 255);
  cv::GaussianBlur(a, a, {7, 7}, 2);
  const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, 2, 0, 1, 1);
  cv::warpAffine(a, b, shift, a.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
  for (auto _ : state) benchmark::DoNotOptimize(bb::compute_flow(a, b, method));
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
void BM_FlowDis128(benchmark::State& state) { flow_bench(state, bb::FlowMethod::kDis); }
void BM_FlowTvl1128(benchmark::State& state) { flow_bench(state, bb::FlowMethod::kTvl1); }
BENCHMARK(BM_FlowDis128)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FlowTvl1128)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(10);

// Random clips of stored_px for the classifier benches.
bb::ClipSet random_clips(std::size_t n, int stored_px) {
  bb::ClipSet clips;
  clips.n_frames = 16;
  clips.size_px = stored_px;
  std::mt19937 rng(1);
  clips.rgb.resize(n * clips.rgb_stride());
  clips.flow.resize(n * clips.flow_stride());
  for (auto& v : clips.rgb) v = static_cast<std::uint8_t>(rng());
  for (auto& v : clips.flow) v = static_cast<std::int8_t>(rng() % 9) - 4;
  for (std::size_t i = 0; i < n; ++i) {
    clips.labels.push_back(static_cast<int>(i % 8));
    clips.frames.push_back(static_cast<bt::FrameIndex>(i));
    clips.ids.push_back(bt::TrackId(1));
  }
  return clips;
}

// Arg 0: architecture (0 R(2+1)D, 1 I3D); arg 1: 0 = the papers' size (16 x 128 px clips,
// 112 px input, temporal stride 1), 1 = the CPU recipe (64 px clips, 56 px input, stride 2).
bb::VideoClassifierOptions bench_options(const benchmark::State& state) {
  bb::VideoClassifierOptions o;
  o.arch = state.range(0) == 0 ? bb::VideoArch::kR2Plus1D : bb::VideoArch::kI3D;
  o.epochs = 1;
  if (state.range(1) == 1) {
    o.clips.stored_px = 64;
    o.clips.input_px = 56;
    o.temporal_stride = 2;
  }
  return o;
}

// Scoring (both streams) of 16 random clips.
void BM_VideoClassifierScore(benchmark::State& state) {
  const bb::VideoClassifierOptions o = bench_options(state);
  const std::size_t n = 16;
  const bb::ClipSet clips = random_clips(n, o.clips.stored_px);
  const bb::VideoClassifier clf = bb::VideoClassifier::train(clips, o, {});
  for (auto _ : state) benchmark::DoNotOptimize(clf.score(clips, {}));
  state.counters["clips/s"] = benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_VideoClassifierScore)->Args({0, 0})->Args({1, 0})->Args({0, 1})->Args({1, 1})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// Training: one epoch of both streams over 32 random clips (batch 8); clips/s counts a clip
// once per stream, as the fusion-sweep report does.
void BM_VideoClassifierTrain(benchmark::State& state) {
  const bb::VideoClassifierOptions o = bench_options(state);
  const std::size_t n = 32;
  const bb::ClipSet clips = random_clips(n, o.clips.stored_px);
  for (auto _ : state) benchmark::DoNotOptimize(bb::VideoClassifier::train(clips, o, {}));
  state.counters["clips/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * n * 2), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_VideoClassifierTrain)->Args({0, 0})->Args({0, 1})->Args({1, 1})
    ->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);
#endif

}  // namespace
