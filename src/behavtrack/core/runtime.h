// Process-wide settings applied once at program start (the CLI, tests, benchmarks).
//
// - glibc malloc keeps big buffers instead of returning them to the OS every step
//   (M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 1 GiB): 1.3-1.7x on training and inference
//   here (shared/reference/toolchain.md).
// - One malloc arena (MALLOC_ARENA_MAX=1), because frames decoded on the decode-ahead thread
//   are freed on the main thread, which fragments per-thread arenas that the high trim
//   threshold never gives back. Not yet the whole answer: the peak memory of `analyze` on a
//   10-minute video, against 247 MiB for 1 minute, was 457-792 MiB with per-thread arenas
//   (3 runs) and 251, 261, 548 and 615 MiB with one arena (the higher two on a loaded
//   machine); something else grows with time under load. Inference speed is unchanged (69.8
//   vs 67.7 frames/s). mallopt(M_ARENA_MAX) in main came too late (589 MiB), so it is set in
//   the environment before the program starts again, like the OpenMP wait policy.
// - OpenCV gets the thread count; Torch's is set by bt::nn::configure_torch_threads.
// - OpenMP threads (Torch, OpenBLAS, XGBoost) wait passively. By default libgomp spins at
//   every barrier waiting for its team; when there are more runnable threads than cores
//   (other programs, or our own decoder threads) the spinning thread starves the one with
//   work. Measured here at load 8 on 2 cores: pose inference 0.13 frames/s spinning, 13.5
//   passive. libgomp reads OMP_WAIT_POLICY once, when it loads (before main), so the program
//   sets it and executes itself again; an explicit OMP_WAIT_POLICY (or MALLOC_ARENA_MAX) is
//   respected.
// Thread safety: call from main() before starting threads.
#pragma once

namespace bt {

// Number of threads to use for compute: BT_THREADS if set, else the core count.
int compute_threads();
void configure_malloc();
// Re-executes the program with OMP_WAIT_POLICY=passive and MALLOC_ARENA_MAX=1 where they
// are not set; returns (doing nothing) when both are, or when re-executing fails.
void ensure_runtime_environment(char** argv);
void configure_opencv_threads(int threads);

}  // namespace bt
