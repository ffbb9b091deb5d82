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
}

void release_free_heap_memory() { malloc_trim(0); }

void ensure_runtime_environment(char** argv) {
  const bool wait_policy_set = std::getenv("OMP_WAIT_POLICY") != nullptr;
  const bool arena_max_set = std::getenv("MALLOC_ARENA_MAX") != nullptr;
  if (wait_policy_set && arena_max_set) return;
  if (!wait_policy_set) ::setenv("OMP_WAIT_POLICY", "passive", 1);
  if (!arena_max_set) ::setenv("MALLOC_ARENA_MAX", "1", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: run on with the defaults
}

void configure_opencv_threads(int threads) { cv::setNumThreads(threads); }

}  // namespace bt
