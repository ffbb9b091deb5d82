// Every parameter of the multi-animal tracker, with its unit. Times are in seconds and
// converted to frames with the video's frame rate (TrackerOptions::frames()).
//
//   bt::track::TrackerOptions o;   o.animals = 5;   o.validate();
//   auto baseline = bt::track::TrackerOptions::behavtrack_style(5);  // for comparison
//
// Thread safety: a value.
#pragma once

#include <string>

#include "behavtrack/track/cost.h"
#include "behavtrack/track/identity_resolver.h"
#include "behavtrack/track/kalman.h"

namespace bt::track {

enum class CostKind {
  kMixed,       // box IoU + centre distance + OKS against the motion prediction (ours)
  kBehavTrack,  // BehavTrack's alpha-weighted cost (shared/reference/behavtrack.md)
};
CostKind cost_kind_from_string(const std::string& name);  // "mixed" | "behavtrack"
const char* to_string(CostKind kind);

struct TrackerOptions {
  // Identities. 0: unknown count (ids grow; lost tracks end after max_lost_s).
  int animals = 0;

  // Cost.
  CostKind cost = CostKind::kMixed;
  CostWeights weights;
  BehavTrackCostOptions behavtrack;
  double match_cost_max = 0.75;  // stage 1: pairs at or above this cost are not matched
  // Share of the colour-histogram distance in stage 1's mixed cost, 0..1, when the video
  // is given (its boxes' histograms); 0: motion and shape only. Off by default: on
  // synthetic colonies of mixed coats, 0.2 and 0.4 helped on some videos and hurt on
  // others (IDF1 0.95/0.93/0.93 and 0.81/0.84/0.66 for 0/0.2/0.4), no consistent gain.
  // Session 4, with track's floor-free histograms (appearance_histograms) and the offline
  // pass's colour cue, heavy damage: 0.2 gave 0.872 against 0.848 on synth seeds
  // 300..302 but 0.887 against 0.921 on 100..105 (bench/track BM_TrackerAppearance):
  // the colour at contacts is better left to the offline pass.
  double appearance_weight = 0;

  // Crowds: when a track seen within hold_s goes unmatched and the detection it would have
  // taken went to a neighbour whose cost is less than switch_margin lower, neither takes
  // it; both hold their last box until a frame shows both (association.h). 0: off.
  // Measured on synthetic 5-mouse colonies (bench/track): 5% dropped IDF1 0.924 -> 0.956,
  // ID switches 2.7 -> 0.7 (seeds 100..102). Also tried and not kept: stopping a missed
  // track's motion when it overlaps another (no gain), margins 0.15..0.3 and hold 0.5 s
  // (worse under heavy damage).
  double switch_margin = 0.1;  // cost units (mixed cost in [0, 1])
  double hold_s = 0.2;         // seconds

  // Motion model (Kalman, constant velocity). Off: a track stays at its last position.
  bool motion_model = true;
  KalmanOptions kalman;
  double coast_s = 0.5;  // a lost mouse keeps its predicted velocity this long, then stops
  // Turning: the keypoints are predicted as the last observed shape, turned on at the
  // angular speed between the last two observations (at most max_turn_deg_s) and moved
  // with the filter's translation. Each keypoint's own constant velocity sends a spinning
  // mouse's nose off on the tangent: fighting mice turn 40-60 degrees a frame at 30 fps.
  // Measured with the orientation rule (flip_trust_detector_s) already on (bench/track,
  // synth seeds 400..419, detections only): light damage IDF1 0.935 -> 0.960, heavy
  // 0.744 -> 0.779; seeds 300..305 light 0.963 -> 1.000, heavy 0.753 -> 0.774; 100..105
  // light 0.9997 either way, heavy 0.853 -> 0.866. A limit of ~900 deg/s was better on
  // light damage (0.964) and worse on heavy (0.764).
  bool turn_model = true;
  double max_turn_deg_s = 1800;  // degrees/second

  // Two-stage association (ByteTrack): detections scored >= score_high first, then those
  // in [score_low, score_high) may continue active tracks they overlap by low_iou_min.
  bool two_stage = true;
  double score_high = 0.5;    // detection score, 0..1
  double score_low = 0.1;     // detection score, 0..1; below: ignored
  double low_iou_min = 0.3;   // box IoU needed by a low-score detection
  double score_new = 0.6;     // detection score needed to start a new track
  double confirm_s = 0.1;     // a new track needs matches this long before it gets an id

  // Re-identification of lost tracks: a lost mouse may have moved up to
  // (1 + reid_speed_bodies_s * time lost) body lengths (box diagonals) from where it was.
  bool reid = true;
  double reid_speed_bodies_s = 2.0;     // body lengths per second
  double reid_appearance_weight = 0.3;  // 0..1, share of the colour-histogram distance
  double max_lost_s = 2.0;              // unknown count only: a lost track ends after this

  // Output clean-up.
  double max_gap_s = 1.0;    // gaps up to this long are filled by linear interpolation; 0: off
  double smooth_s = 0.1;     // width of the centred keypoint/box smoothing window; 0: off

  // Offline identity pass (identity_resolver.h) used by `track` (track_run.h) with a known
  // count: a second tracker runs backwards in time, and where it continues an ambiguous
  // contact differently the continuation that fits motion and body length wins. The
  // streaming Tracker itself never uses it; `track` and `analyze` run it after the stream.
  bool offline_identities = true;
  IdentityResolverOptions offline;

  // Nose/tail-base flip correction from the track's history and its direction of motion.
  bool flip_correction = true;
  std::string head = "nose", tail = "tailB";  // keypoint names; skipped if absent
  double flip_min_speed_bodies_s = 1.0;  // motion votes only above this speed
  double flip_after_s = 0.4;             // moving tail-first this long flips the track
  // A track whose orientation every detection has contradicted this long, while its own
  // motion does not back it, takes the detector's: its frames of the run are turned back.
  // Measured (bench/track, heavy damage, detections only, before the turn model): tracked
  // instances nose-for-tail 9.4% -> 0.3% on synth seeds 100..105 (the detections: 3.4%),
  // 10.7% -> 0.4% on 400..419; IDF1 on 400..419 0.724 -> 0.744, with the video 0.868 ->
  // 0.881 (100..105: 0.835 -> 0.853 and 0.921 -> 0.912). 0.05 s was the same, 0.2 s and
  // 0.33 s worse.
  double flip_trust_detector_s = 0.1;

  // Throws bt::Error naming the field and value.
  void validate() const;
  // Whether any stage uses the detections' colour histograms: stage 1's cost, the
  // re-identification of lost mice, or (with a known count) the offline pass's colour cue.
  // `track --video` and `analyze` compute histograms only then.
  bool uses_appearance() const;

  // Plain IoU + Hungarian: no motion model, no second stage, no re-identification,
  // no interpolation or smoothing, no offline pass; unknown count.
  static TrackerOptions iou_only();
  // BehavTrack-style: its cost against last positions, at most `animals` ids, vanished ids
  // re-matched to new detections by nearest last position; no motion, no clean-up, no
  // offline pass.
  static TrackerOptions behavtrack_style(int animals);
};

// The time parameters in frames at a frame rate (each at least 1 where a duration > 0).
struct TrackerFrames {
  int confirm = 1, coast = 1, max_lost = 1, max_gap = 0, smooth_half = 0, flip_after = 1, flip_trust_detector = 1;
};
TrackerFrames to_frames(const TrackerOptions& o, double fps);

}  // namespace bt::track
