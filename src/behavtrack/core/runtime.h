// Process-wide settings applied once at program start (the CLI, tests, benchmarks).
//
// - glibc malloc keeps big buffers instead of returning them to the OS every step
//   (M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 1 GiB): 1.3-1.7x on training and inference
//   here (shared/reference/toolchain.md).
// - OpenCV gets the thread count; Torch's is set by bt::nn::configure_torch_threads.
// Thread safety: call from main() before starting threads.
#pragma once

namespace bt {

// Number of threads to use for compute: BT_THREADS if set, else the core count.
int compute_threads();
void configure_malloc();
void configure_opencv_threads(int threads);

}  // namespace bt
