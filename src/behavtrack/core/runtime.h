// Process-wide settings applied once at program start (the CLI, tests, benchmarks).
//
// - glibc malloc keeps big buffers instead of returning them to the OS every step
//   (M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 1 GiB): 1.3-1.7x on training and inference
//   here (shared/reference/toolchain.md).
// - One malloc arena (MALLOC_ARENA_MAX=1), because frames decoded on the decode-ahead thread
//   are freed on the main thread, which fragments per-thread arenas that the high trim
//   threshold never gives back. mallopt(M_ARENA_MAX) in main came too late, so it is set in
//   the environment before the program starts again, like the OpenMP wait policy.
// - Long streaming loops (analyze, pose predict) give free heap pages back every second of
//   video (HeapReleaser, about 2 ms a call). With the thresholds above every frame-sized
//   buffer lives in the heap; what a loop keeps for the whole video must not be scattered
//   between those buffers either (core/compact_frames.h), or each small block pins a page
//   and the heap grows with video length while its live bytes do not (heaptrack: 79 MiB live
//   for a 1-minute analyze, 85 MiB for 10 minutes, while peak RSS was 247 vs 446 MiB).
//   With both: 239.3 vs 239.2 MiB.
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
// Gives the free pages inside the malloc heap back to the OS (malloc_trim): about 2 ms for
// analyze's heap, so call it every second of video or so, not per allocation.
void release_free_heap_memory();

// Calls release_free_heap_memory() on every `every`-th tick (one tick per decoded frame);
// tick() says whether it did.
class HeapReleaser {
 public:
  explicit HeapReleaser(long every) : every_(every > 0 ? every : 1) {}
  // For a frame loop over video at `fps`: releases once per second of video.
  static HeapReleaser per_second_of_video(double fps) { return HeapReleaser(static_cast<long>(fps)); }
  bool tick() {
    if (++ticks_ % every_ != 0) return false;
    release_free_heap_memory();
    return true;
  }

 private:
  long every_;
  long ticks_ = 0;
};
// Re-executes the program with OMP_WAIT_POLICY=passive and MALLOC_ARENA_MAX=1 where they
// are not set; returns (doing nothing) when both are, or when re-executing fails.
void ensure_runtime_environment(char** argv);
void configure_opencv_threads(int threads);

}  // namespace bt
