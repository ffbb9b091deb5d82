// Costs between a track's predicted instance and a detection, lower is better.
//
//   double c = bt::track::mixed_cost(predicted, detection, weights);         // in [0, 1]
//   double b = bt::track::behavtrack_cost(last, detection, image_diag_px, {}); // in [-1, 1]
//
// mixed_cost = w_iou (1 - IoU) + w_center min(1, |c_p - c_d| / diag_p) + w_keypoints (1 - OKS)
// where diag_p is the predicted box's diagonal and OKS is COCO's object keypoint
// similarity (Ronchi & Perona 2017): mean over keypoints present in both of
// exp(-d^2 / (2 s^2 k^2)), s^2 the predicted box area, k = oks_kappa. When no keypoint is
// shared, the keypoint weight is spread over the two box terms. A detection with nose and
// tail exchanged scores a low OKS but still matches on its box; its orientation is fixed
// after matching (the tracker's flip correction). Making OKS flip-invariant was tried and
// rejected: two mice lying head to tail side by side then look alike (measured: identity
// swaps on synthetic contact).
// Session 12 tried both again, with the turn model and orientation rule in place, and kept
// neither (bench/track BM_TrackerAppearance, heavy damage, synth seeds 300..305; IDF1
// detections only / with the video, default 0.774 / 0.811, 15.5 switches):
//  - the better OKS of the prediction and the prediction turned 180 degrees about its
//    nose-tail midpoint (a mouse reversing in place): 0.700 / 0.752, 30.7 switches;
//  - the centre term on nose-tail midpoints rather than box centres: 0.740 / 0.784.
// The synthetic fights defeat any one-frame cue: on seed 301 at frame 775 (a lasting swap
// of two white mice), mouse 3's midpoint lands 1 px from where mouse 4's was a frame
// before and 19 px from its own, both turn about 65 degrees, and a frame later each one's
// heading is closer to the other's previous heading than to its own.
//
// behavtrack_cost re-derives BehavTrack's cost (shared/reference/behavtrack.md):
// D = (1-alpha)(box distance + keypoint distance)/2, I = alpha (box IoU + keypoint IoU)/2,
// cost = (D - I)/(D + I + eps); distances divided by the image diagonal; each keypoint as a
// box of scale_factor x the parent box size.
// Coordinates: pixels. Thread safety: pure functions.
#pragma once

#include <vector>

#include "behavtrack/core/types.h"

namespace bt::track {

struct CostWeights {
  double iou = 0.4;        // weight of 1 - box IoU
  double center = 0.3;     // weight of the normalised centre distance
  double keypoints = 0.3;  // weight of 1 - OKS
  // OKS per-keypoint constant k (fraction of the box scale). 0.3 rather than COCO-like
  // 0.15: mice spinning in a pile move their noses ~50 px/frame, far off a linear
  // prediction, and a tight k turns that into identity swaps. Measured (bench/track,
  // synth seeds 300..302 held out from tuning): 5% dropped IDF1 0.927 -> 0.971, heavy
  // damage 0.612 -> 0.740; k = 0.2, 0.25, 0.4, 0.5 were no better.
  double oks_kappa = 0.3;

  void validate() const;  // throws bt::Error naming the field and value
};

// OKS of `b` against `a` with a's box area as the scale; nullopt-like -1 when no keypoint
// is present in both.
double oks(const Instance& a, const Instance& b, double kappa);
// `b` with keypoints i and flip_pairs' partner exchanged for each pair.
Instance with_keypoints_swapped(const Instance& b, const std::vector<std::pair<int, int>>& pairs);

double mixed_cost(const Instance& predicted, const Instance& detection, const CostWeights& w);

struct BehavTrackCostOptions {
  double alpha = 0.75;         // weight of overlap against distance
  double scale_factor = 0.15;  // keypoint box size as a fraction of the parent box
  double threshold = -0.05;    // pairs at or above this cost are not matched
  void validate() const;
};

double behavtrack_cost(const Instance& a, const Instance& b, double image_diag_px,
                       const BehavTrackCostOptions& o);

}  // namespace bt::track
