// Shared fixtures of the tracking tests: synthetic truth, damaged detections, a whole
// tracker run, and a measure of how often the synthetic mice touch.
#pragma once

#include <vector>

#include "behavtrack/core/types.h"
#include "behavtrack/synth/synth.h"
#include "behavtrack/track/detection_damage.h"
#include "behavtrack/track/tracker.h"

namespace bt::track::test {

inline std::vector<FrameInstances> synth_truth(int mice, double seconds, std::uint64_t seed) {
  synth::SynthOptions o;
  o.n_mice = mice;
  o.seconds = seconds;
  o.seed = seed;
  return synth::simulate_truth(o);
}

inline std::vector<FrameInstances> damaged(const std::vector<FrameInstances>& truth, const DamageOptions& d,
                                           double fps = 30) {
  return damage_video(truth, d, 640, 480, fps);
}

// The streaming tracker alone (no offline pass), on a 640x480 video.
inline std::vector<FrameInstances> track_all(TrackerOptions o, const std::vector<FrameInstances>& dets,
                                             double fps = 30) {
  o.offline_identities = false;
  return track_detections(o, Skeleton::default_mouse(), fps, 640, 480, dets);
}

// Fraction of frames in which at least two mice's boxes overlap.
inline double contact_fraction(const std::vector<FrameInstances>& truth) {
  int touching = 0;
  for (const FrameInstances& f : truth) {
    bool any = false;
    for (size_t i = 0; i < f.instances.size() && !any; ++i)
      for (size_t j = i + 1; j < f.instances.size() && !any; ++j) any = iou(f.instances[i].box, f.instances[j].box) > 0;
    touching += any;
  }
  return truth.empty() ? 0.0 : static_cast<double>(touching) / truth.size();
}

}  // namespace bt::track::test
