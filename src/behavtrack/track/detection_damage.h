// Detections made from ground truth with controlled damage: the test and benchmark input
// for the tracker (what a real detector gets wrong, with known answers).
//
//   bt::track::DamageOptions d;  d.drop_rate = 0.05;  d.position_noise_px = 2;
//   bt::track::DetectionDamager damager(d, 640, 480, fps);
//   bt::FrameInstances dets = damager.next(truth_frame);   // ids removed
//
// Per true instance: Gaussian noise of position_noise_px on box corners and keypoints;
// dropped with probability drop_rate; hidden for occlusion_s seconds after an occlusion
// starts (occlusions_per_min per mouse); nose and tail base exchanged with probability
// flip_rate; a score drawn around score_mean with score_noise spread (clamped to
// [0.05, 1]). False positives: on average false_positive_rate x the number of true
// detections per frame, mouse-sized, half of them next to a real mouse, scored in
// [0.3, 0.9]. Deterministic for a seed.
// The false positives, compared with a real detector's: placed half beside a mouse (0.5 to
// 1 box diagonal from its centre, so they usually overlap it, like a second box on a
// mouse or one spanning two in contact) and half anywhere on the floor (clutter). Their
// scores (uniform in [0.3, 0.9], mean 0.6 against 0.85 for true detections) are harsher
// than a real detector's, whose false boxes mostly score under 0.5 (ByteTrack's premise):
// two thirds pass the tracker's score_high. Their keypoints, scattered in the box, and
// their independence from frame to frame make them easier than real ones, which carry a
// mouse-shaped skeleton and fire at the same spot for many frames. Measured (bench/track,
// BM_TrackerDamageAblation): without them heavy-damage IDF1 goes from 0.758 to 0.835, so
// most identity loss comes from mice dropped or hidden while in contact, not from them.
// Thread safety: a damager belongs to one thread.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::track {

struct DamageOptions {
  double position_noise_px = 2;       // std, pixels
  double drop_rate = 0.05;            // fraction of true detections dropped, 0..1
  double false_positive_rate = 0;     // false detections per true detection, 0..1
  double occlusions_per_min = 0;      // occlusion starts per mouse per minute
  double occlusion_s = 0;             // length of an occlusion, seconds
  double flip_rate = 0;               // fraction with nose/tail base exchanged, 0..1
  double score_mean = 0.85, score_noise = 0.1;  // detection score distribution
  std::uint64_t seed = 1;
  void validate() const;
};

class DetectionDamager {
 public:
  DetectionDamager(DamageOptions options, int width_px, int height_px, double fps);
  FrameInstances next(const FrameInstances& truth);

 private:
  Instance damaged(const Instance& truth);
  Instance false_positive(const FrameInstances& truth);

  DamageOptions o_;
  int width_, height_;
  double fps_;
  std::mt19937_64 rng_;
  std::map<int, int> occluded_frames_left_;  // by truth id
  int head_ = 0, tail_ = 3;
};

// Issue 6's two scenarios, shared by the tracking tests and benchmarks: light is 5% dropped
// with 2 px noise; heavy is 15% dropped, 5% false positives and 10-frame occlusions (six
// per mouse per minute), plus 2% nose/tail-base flips.
DamageOptions light_damage(std::uint64_t seed = 1);
DamageOptions heavy_damage(std::uint64_t seed = 1);

// Every frame of a video's truth through one damager, in order.
std::vector<FrameInstances> damage_video(const std::vector<FrameInstances>& truth, const DamageOptions& options,
                                         int width_px, int height_px, double fps);

}  // namespace bt::track
