// Synthetic mice throughput for 5 mice at 640x480: simulation alone (truth only),
// rendering, and rendering plus H.264 encoding as write_synth does it.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <unistd.h>

#include "behavtrack/synth/synth.h"
#include "behavtrack/video/video_writer.h"

namespace {

bt::synth::SynthOptions bench_options(bool render) {
  bt::synth::SynthOptions o;
  o.n_mice = 5;
  o.seconds = 3600;  // never runs out during a benchmark
  o.render = render;
  return o;
}

void BM_SynthTruthOnly(benchmark::State& state) {
  bt::synth::SynthVideo sim(bench_options(false));
  bt::synth::SynthFrame f;
  for (auto _ : state) benchmark::DoNotOptimize(sim.next(f));
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("items = frames, 5 mice 640x480");
}
BENCHMARK(BM_SynthTruthOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SynthRender(benchmark::State& state) {
  bt::synth::SynthVideo sim(bench_options(true));
  bt::synth::SynthFrame f;
  for (auto _ : state) benchmark::DoNotOptimize(sim.next(f));
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("items = frames, 5 mice 640x480");
}
BENCHMARK(BM_SynthRender)->Unit(benchmark::kMillisecond)->UseRealTime();

// Same encoder settings as write_synth (x264 ultrafast, CRF 24).
void BM_SynthRenderEncode(benchmark::State& state) {
  bt::synth::SynthVideo sim(bench_options(true));
  bt::synth::SynthFrame f;
  const auto path = std::filesystem::temp_directory_path() /
                    ("bt-synth-bench-" + std::to_string(::getpid()) + ".mp4");
  bt::video::WriterOptions w;
  w.width = 640;
  w.height = 480;
  w.preset = "ultrafast";
  w.crf = 24;
  {
    bt::video::VideoWriter writer(path, w);
    for (auto _ : state) {
      sim.next(f);
      writer.write(f.image);
    }
    writer.close();
  }
  std::filesystem::remove(path);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("items = frames, 5 mice 640x480, x264 ultrafast");
}
BENCHMARK(BM_SynthRenderEncode)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
