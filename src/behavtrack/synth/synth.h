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
// Thread safety: a SynthVideo belongs to one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>

#include "behavtrack/core/progress.h"
#include "behavtrack/core/types.h"

namespace bt::synth {

enum class Arena { kOpen, kBedding };

struct SynthOptions {
  int n_mice = 5;
  double seconds = 60;       // video length, seconds
  double fps = 30;           // frames per second
  int width = 640, height = 480;  // pixels
  std::uint64_t seed = 1;
  Arena arena = Arena::kOpen;
  double noise = 1.0;        // sensor noise, blur and illumination drift scale; 0 = clean
  bool render = true;        // false: truth only (fast, for tracking tests)

  void validate() const;     // throws bt::Error naming the field
  std::int64_t n_frames() const;
};

struct SynthFrame {
  FrameIndex index = 0;
  cv::Mat image;              // CV_8UC3 BGR; empty when render is false
  FrameInstances truth;       // one instance per mouse, id 1..N, behaviour set
};

class SynthVideo {
 public:
  explicit SynthVideo(SynthOptions options);
  ~SynthVideo();
  bool next(SynthFrame& frame);
  const SynthOptions& options() const;
  static Skeleton skeleton() { return Skeleton::default_mouse(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

void write_synth(const SynthOptions& options, const std::filesystem::path& out_dir,
                 const ProgressCallback& progress);

}  // namespace bt::synth
