// Synthetic top-view mice with exact ground truth: the project's own test and demo data.
//
//   bt::synth::SynthOptions o;  o.n_mice = 5;  o.seconds = 60;  o.seed = 7;
//   bt::synth::SynthVideo sim(o);
//   bt::synth::SynthFrame f;
//   while (sim.next(f)) use(f.image, f.truth);  // BGR frame + instances with ids/behaviour
//
//   bt::synth::write_synth(o, "out/", progress);  // out/video.mp4, truth.json,
//                                                  // truth_behavior.csv (atomic)
//
// Each mouse follows a behaviour state machine over the default ethogram
// (bt::default_behaviors()); truth keypoints (nose, earL, earR, tailB) are exact by
// construction, visibility 1 where another mouse covers the keypoint. Boxes are the tight
// box of the rendered body (tail excluded). Deterministic for a seed: the same options give
// the same frames and the same bytes on disk.
//
// Geometry: the arena floor fills the frame less a wall border of 3.5% of the shorter
// side, and its longer side is 45 cm (an open-field box); an adult mouse is ~8.5 cm from
// nose to tail base (~115 px at 640x480), with a tail about as long. Pixel (i, j) covers [i, i+1) x [j, j+1):
// a keypoint at (x, y) lies on pixel (floor(x), floor(y)); a box's x2, y2 are one past the
// last body pixel (antialiased edges and the motion blur of fast mice may tint a pixel or
// two beyond it). "Body" means rump, trunk, head and ears: every pixel of the mouse except
// its tail (tails lie on the floor under all bodies and never cover a keypoint).
// Truth-only runs (render = false) simulate and rasterise the same bodies, so their truth
// equals that of rendered runs with the same options.
// Thread safety: a SynthVideo belongs to one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "behavtrack/core/progress.h"
#include "behavtrack/core/types.h"

namespace bt::synth {

enum class Arena { kOpen, kBedding };

struct SynthOptions {
  int n_mice = 5;
  double seconds = 60;       // video length, seconds
  double fps = 30;           // frames per second
  int width = 640, height = 480;  // pixels, even (H.264 4:2:0)
  std::uint64_t seed = 1;
  Arena arena = Arena::kOpen;
  double noise = 1.0;        // sensor noise, blur and illumination drift scale; 0 = clean
                             // (1: noise sd 3.5 grey levels, blur sd 0.55 px, motion
                             // blur over half a frame interval, gain +-7%)
  bool render = true;        // false: truth only (fast, for tracking tests)

  void validate() const;     // throws bt::Error naming the field
  std::int64_t n_frames() const;  // round(seconds * fps)
};

// Limits that validate() enforces.
inline constexpr int kMaxMice = 20;
inline constexpr double kMaxSeconds = 24 * 3600, kMaxFps = 240, kMaxNoise = 10;
inline constexpr int kMinSidePx = 64, kMaxSidePx = 4096;

struct SynthFrame {
  FrameIndex index = 0;
  cv::Mat image;              // CV_8UC3 BGR; empty when render is false
  FrameInstances truth;       // one instance per mouse, id 1..N, behaviour set
  double time_s = 0;          // index / fps
  // For each instance of `truth`: the id of the other mouse of a social behaviour
  // (fighting, allogrooming, close_investigation), else 0.
  std::vector<int> partner_ids;
  // CV_8UC1, frame size: the id of the topmost mouse body at each pixel, 0 on the floor
  // (tails excluded). Filled in truth-only runs too.
  cv::Mat labels;
};

class SynthVideo {
 public:
  explicit SynthVideo(SynthOptions options);
  ~SynthVideo();
  bool next(SynthFrame& frame);
  const SynthOptions& options() const;
  static Skeleton skeleton() { return Skeleton::default_mouse(); }
  // The empty arena (BGR) before illumination drift, blur and noise; empty when render
  // is false.
  const cv::Mat& background() const;
  // Image pixels per arena centimetre.
  double px_per_cm() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes out_dir/video.mp4 (H.264; skipped when render is false), truth.json (Instances
// JSON, ids 1..N with each mouse's behaviour), truth_behavior.csv
// (frame,time_s,id,behavior,partner_id; partner_id empty for individual behaviours) and
// synth_options.json (the options, to reproduce the run). Creates out_dir; every file
// appears whole or not at all.
void write_synth(const SynthOptions& options, const std::filesystem::path& out_dir,
                 const ProgressCallback& progress);

// The truth of every frame (ids 1..N), nothing rendered: the input of tracking tests and
// benchmarks. `options.render` is ignored.
std::vector<FrameInstances> simulate_truth(SynthOptions options);

}  // namespace bt::synth
