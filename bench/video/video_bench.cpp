// Video I/O speed on the DLC open-field video (640x480 yuv444p H.264, 2330 frames):
// sequential decode (frames/s), random access latency (mean and p95 over seeded random
// indices) and H.264 writing (frames/s). Whole-command comparison with ffmpeg:
// bench/video/decode_vs_ffmpeg.sh.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <vector>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/video/video_reader.h"
#include "behavtrack/video/video_writer.h"

namespace {
namespace fs = std::filesystem;

fs::path dlc_video() { return fs::path(BT_SHARED_DATA_DIR) / "dlc-openfield" / "videos" / "m3v1mp4.mp4"; }

void BM_VideoSequentialDecode(benchmark::State& state) {
  bt::video::ReaderOptions options;
  options.output = state.range(0) ? bt::video::PixelFormat::kGray : bt::video::PixelFormat::kBgr;
  std::int64_t frames = 0;
  for (auto _ : state) {
    bt::video::VideoReader reader(dlc_video(), options);
    bt::video::Frame f;
    while (reader.read(f)) ++frames;
  }
  state.counters["fps"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  state.SetLabel(state.range(0) ? "gray" : "bgr");
}
BENCHMARK(BM_VideoSequentialDecode)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

// Each iteration reads 100 frames at seeded random indices with one reader.
void BM_VideoRandomAccess(benchmark::State& state) {
  bt::video::VideoReader reader(dlc_video());
  std::mt19937 rng(11);
  std::uniform_int_distribution<bt::FrameIndex> pick(0, reader.info().n_frames - 1);
  std::vector<double> latencies_ms;
  for (auto _ : state) {
    for (int i = 0; i < 100; ++i) {
      const auto start = std::chrono::steady_clock::now();
      benchmark::DoNotOptimize(reader.read_at(pick(rng)));
      latencies_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  double sum = 0;
  for (double v : latencies_ms) sum += v;
  state.counters["mean_ms"] = sum / latencies_ms.size();
  state.counters["p95_ms"] = latencies_ms[static_cast<std::size_t>(0.95 * (latencies_ms.size() - 1))];
}
BENCHMARK(BM_VideoRandomAccess)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// 300 frames of moving 640x480 content through the writer's default settings.
void BM_VideoWriteH264(benchmark::State& state) {
  std::vector<cv::Mat> frames;
  {
    bt::video::VideoReader reader(dlc_video());
    bt::video::Frame f;
    while (frames.size() < 300 && reader.read(f)) frames.push_back(f.image.clone());
  }
  const fs::path out = fs::temp_directory_path() / "bt-bench-writer.mp4";
  std::int64_t written = 0;
  for (auto _ : state) {
    bt::video::WriterOptions o;
    o.width = 640;
    o.height = 480;
    bt::video::VideoWriter w(out, o);
    for (const cv::Mat& m : frames) w.write(m);
    w.close();
    written += static_cast<std::int64_t>(frames.size());
  }
  std::error_code ec;
  fs::remove(out, ec);
  state.counters["fps"] = benchmark::Counter(static_cast<double>(written), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_VideoWriteH264)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

}  // namespace
