// Instances JSON throughput: a 5-mouse, 4-keypoint frame written and parsed.
#include <benchmark/benchmark.h>

#include "behavtrack/core/instances_json.h"

namespace {

bt::InstancesFile make_file(int n_frames) {
  bt::InstancesFile f;
  for (int i = 0; i < n_frames; ++i) {
    bt::FrameInstances fi{i, {}};
    for (int m = 0; m < 5; ++m) {
      bt::Instance inst;
      inst.box = {10.0 + m, 20.0 + i, 60.0 + m, 70.0 + i};
      inst.keypoints.assign(4, {30.5, 40.25, bt::Visibility::kVisible});
      inst.keypoint_scores.assign(4, 0.9f);
      inst.id = bt::TrackId(m + 1);
      fi.instances.push_back(inst);
    }
    f.frames.push_back(fi);
  }
  return f;
}

void BM_InstancesJsonRoundTrip(benchmark::State& state) {
  const bt::InstancesFile f = make_file(1000);
  for (auto _ : state) {
    const std::string text = bt::to_instances_json(f);
    benchmark::DoNotOptimize(bt::parse_instances_json(text, "bench"));
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.SetLabel("items = frames of 5 mice");
}
BENCHMARK(BM_InstancesJsonRoundTrip)->Unit(benchmark::kMillisecond);

}  // namespace
