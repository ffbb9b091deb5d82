// The project store at annotation-tool scale: listing a page of 100,000 frames with the
// header counts (filtered by split, incomplete first) and saving one frame's edit durably
// (one WAL commit with fsync). The project lives in /tmp and is built once.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>

#include "behavtrack/project/project.h"

namespace {

namespace bp = bt::project;

struct Store {
  std::filesystem::path dir;
  std::vector<bp::FrameId> ids;
  Store() {
    dir = std::filesystem::temp_directory_path() / ("bt-bench-store-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    bp::Project p = bp::Project::create(dir, {});
    std::vector<bp::NewFrame> frames;
    for (int i = 0; i < 100000; ++i)
      frames.push_back({std::nullopt, 0, "media/frames/f" + std::to_string(i) + ".png", "f" + std::to_string(i) + ".png", i % 8, {}});
    ids = p.add_frames(frames);
    std::vector<std::pair<bp::FrameId, bp::Split>> split;
    for (std::size_t i = 0; i < ids.size(); ++i) split.emplace_back(ids[i], i % 7 == 0 ? bp::Split::kTest : bp::Split::kTrain);
    p.add_cycle(42, "{}", split);
  }
  ~Store() { std::filesystem::remove_all(dir); }
};

Store& store() {
  static Store s;
  return s;
}

bp::Annotation mouse() {
  bp::Annotation a;
  a.instance.box = bt::Box{10, 10, 60, 40};
  a.instance.keypoints.assign(4, bt::Keypoint{20, 20, bt::Visibility::kVisible});
  return a;
}

void BM_StoreListPageOf100kFrames(benchmark::State& state) {
  bp::Project p = bp::Project::open(store().dir);
  bp::FrameQuery q;
  q.split = bp::Split::kTrain;
  q.incomplete_first = true;
  q.limit = 50;
  q.offset = 40000;
  for (auto _ : state) benchmark::DoNotOptimize(p.list_frames(q));
}
BENCHMARK(BM_StoreListPageOf100kFrames)->Unit(benchmark::kMillisecond);

void BM_StoreKeysetPageOf100kFrames(benchmark::State& state) {
  bp::Project p = bp::Project::open(store().dir);
  bp::FrameQuery q;
  q.split = bp::Split::kTrain;
  q.limit = 50;
  q.after_id = store().ids[80000];
  for (auto _ : state) benchmark::DoNotOptimize(p.list_frames(q));
}
BENCHMARK(BM_StoreKeysetPageOf100kFrames)->Unit(benchmark::kMillisecond);

void BM_StorePutFrameDurable(benchmark::State& state) {
  bp::Project p = bp::Project::open(store().dir);
  const bp::FrameId id = store().ids[12345];
  std::int64_t version = p.get_frame(id).version;
  for (auto _ : state) version = p.put_frame(id, {mouse(), mouse()}, version, "bench").version;
}
BENCHMARK(BM_StorePutFrameDurable)->Unit(benchmark::kMillisecond);

void BM_StoreNextIncomplete(benchmark::State& state) {
  bp::Project p = bp::Project::open(store().dir);
  bp::FrameQuery q;
  q.split = bp::Split::kTest;
  for (auto _ : state) benchmark::DoNotOptimize(p.next_incomplete(store().ids[50000], q));
}
BENCHMARK(BM_StoreNextIncomplete)->Unit(benchmark::kMillisecond);

}  // namespace
