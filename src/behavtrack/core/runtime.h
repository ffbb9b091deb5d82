// Process-wide settings applied once at program start (the CLI, tests, benchmarks).
//
// - glibc malloc keeps big buffers instead of returning them to the OS every step
//   (M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 1 GiB): 1.3-1.7x on training and inference
//   here (shared/reference/toolchain.md); one arena (M_ARENA_MAX 1), so memory freed on
//   another thread than it was allocated on is reused and peak memory stays flat in video
//   length.
// - OpenCV gets the thread count; Torch's is set by bt::nn::configure_torch_threads.
// - OpenMP threads (Torch, OpenBLAS, XGBoost) wait passively. By default libgomp spins at
//   every barrier waiting for its team; when there are more runnable threads than cores
//   (other programs, or our own decoder threads) the spinning thread starves the one with
//   work. Measured here at load 8 on 2 cores: pose inference 0.13 frames/s spinning, 13.5
//   passive. libgomp reads OMP_WAIT_POLICY once, when it loads (before main), so the program
//   sets it and executes itself again; an explicit OMP_WAIT_POLICY is respected.
// Thread safety: call from main() before starting threads.
#pragma once

namespace bt {

// Number of threads to use for compute: BT_THREADS if set, else the core count.
int compute_threads();
void configure_malloc();
// Re-executes the program with OMP_WAIT_POLICY=passive unless it is already set; returns
// (doing nothing) when it is, or when re-executing fails.
void ensure_passive_openmp(char** argv);
void configure_opencv_threads(int threads);

}  // namespace bt
