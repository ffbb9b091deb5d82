#include "behavtrack/core/runtime.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <opencv2/core.hpp>
#include <thread>

namespace bt {

int compute_threads() {
  if (const char* env = std::getenv("BT_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

void configure_malloc() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  // One arena: frames decoded on the decode-ahead thread and freed on the main thread
  // fragment per-thread arenas that the high trim threshold never gives back. `analyze` of
  // a 10-minute video peaked at 457-792 MiB against 247 MiB for 1 minute; with one arena,
  // 251 against 247 MiB, and pose inference is as fast (69.8 vs 67.7 frames/s).
  mallopt(M_ARENA_MAX, 1);
}

void ensure_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY")) return;
  ::setenv("OMP_WAIT_POLICY", "passive", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: run on with spinning waits
}

void configure_opencv_threads(int threads) { cv::setNumThreads(threads); }

}  // namespace bt
