// Shared inputs of the tracking benchmarks: synthetic truth, the light and heavy damage
// scenarios of issue 6, the tracker under test and the number of videos.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "behavtrack/synth/synth.h"
#include "behavtrack/track/detection_damage.h"
#include "behavtrack/track/tracker.h"

namespace bt::track::bench {

inline std::vector<FrameInstances> truth_of(int mice, double seconds, std::uint64_t seed) {
  synth::SynthOptions o;
  o.n_mice = mice;
  o.seconds = seconds;
  o.seed = seed;
  return synth::simulate_truth(o);
}

// As a 640x480, 30 fps video; the scenarios are light_damage() and heavy_damage()
// (detection_damage.h).
inline std::vector<FrameInstances> damage(const std::vector<FrameInstances>& truth, const DamageOptions& d) {
  return damage_video(truth, d, 640, 480, 30);
}

// $BT_TRACK_JOIN_S overrides the offline pass's join_s (for choosing it on other seeds).
inline TrackerOptions ours() {
  TrackerOptions o;
  o.animals = 5;
  if (const char* text = std::getenv("BT_TRACK_JOIN_S")) o.offline.join_s = std::atof(text);
  return o;
}

// As `behavtrack track` on a 640x480, 30 fps video of default mice.
inline std::vector<FrameInstances> track(const TrackerOptions& o, const std::vector<FrameInstances>& dets,
                                         const std::vector<std::vector<Appearance>>& appearances = {}) {
  return track_detections(o, Skeleton::default_mouse(), 30, 640, 480, dets, appearances);
}

inline int env_int(const char* name, int fallback) {
  const char* text = std::getenv(name);
  const int n = text ? std::atoi(text) : fallback;
  return n > 0 ? n : fallback;
}
// Videos per scenario: synth seeds $BT_TRACK_SEED0 (100).., damage seeds 100 higher;
// 3, or $BT_TRACK_SEEDS. Choose parameters on other seeds (e.g. BT_TRACK_SEED0=300).
inline int n_seeds() { return env_int("BT_TRACK_SEEDS", 3); }
inline int first_seed() { return env_int("BT_TRACK_SEED0", 100); }

}  // namespace bt::track::bench
