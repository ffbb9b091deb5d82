#include "behavtrack/core/runtime.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {

// Resident anonymous memory of this process, KiB (Linux).
long resident_anonymous_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  long value = 0;
  while (status >> key) {
    if (key == "RssAnon:") {
      status >> value;
      return value;
    }
    status.ignore(1 << 12, '\n');
  }
  return -1;
}

// The pattern that grew analyze's memory: frame-sized buffers freed while small results made
// between them stay alive, so the freed space is a hole inside the heap, not at its top.
struct FragmentedHeap {
  std::vector<std::unique_ptr<char[]>> kept;
  explicit FragmentedHeap(int holes) {
    std::vector<std::unique_ptr<char[]>> frames;
    for (int i = 0; i < holes; ++i) {
      frames.emplace_back(new char[1 << 20]);
      std::memset(frames.back().get(), 1, 1 << 20);  // resident
      kept.emplace_back(new char[64]);
    }
  }  // the frames go; the small blocks pin the heap around their holes
};

TEST(HeapRelease, GivesFreedFrameBuffersInsideTheHeapBackToTheSystem) {
  bt::configure_malloc();  // as the program runs: frame-sized buffers live in the heap
  const long before = resident_anonymous_kib();
  ASSERT_GT(before, 0) << "no RssAnon in /proc/self/status";
  FragmentedHeap heap(200);
  const long fragmented = resident_anonymous_kib();
  bt::release_free_heap_memory();
  const long released = resident_anonymous_kib();
  EXPECT_GT(fragmented - before, 150 * 1024) << "the freed frames should still be resident before the release";
  EXPECT_LT(released - before, 50 * 1024) << "fragmented " << fragmented << " KiB, released " << released << " KiB";
}

TEST(HeapRelease, ReleasesOncePerSecondOfVideo) {
  const auto releases = [](double fps, int ticks) {
    bt::HeapReleaser heap = bt::HeapReleaser::per_second_of_video(fps);
    int n = 0;
    for (int i = 0; i < ticks; ++i) n += heap.tick() ? 1 : 0;
    return n;
  };
  EXPECT_EQ(releases(30, 100), 3);
  EXPECT_EQ(releases(29.97, 100), 3);  // every 29th frame
  EXPECT_EQ(releases(0, 5), 5);        // no frame rate: every frame, never a division by zero
}

}  // namespace
