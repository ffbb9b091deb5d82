// Active-learning acquisition: how uncertain the model is about a frame, and which K
// frames to ask a person about.
//
//   FrameUncertainty u = score_frame(pred, pred_on_mirror_image, skeleton, width, 5, {});
//   std::vector<std::size_t> picked = select_frames(pool, labelled_features, 50,
//                                                   Strategy::kHybrid, seed);
//
// Uncertainty of one frame (each term in [0, 1], total = weighted sum):
//   detection: 1 - mean detection score;   keypoints: 1 - mean keypoint score;
//   flip:      disagreement between the predictions on the image and those on its
//              left-right mirror mapped back through the skeleton's flip map (mean
//              keypoint distance over the box diagonal, 1 for an instance without partner);
//   count:     |detected - expected| / expected, capped at 1 (0 when expected is unknown).
// Selection (features: appearance histograms, or the mice's layout, DiversityFeatures;
// distance is Euclidean):
//   uncertainty:       most uncertain first, skipping near-duplicates of frames already
//                      picked (closer than half the pool's median nearest-neighbour distance);
//   diversity:         k-centre greedy (core-set, Sener & Savarese 2018, arXiv:1708.00489)
//                      away from the labelled frames;
//   hybrid:            greedy on uncertainty^e x distance to labelled and picked frames, both
//                      normalised (BADGE-like trade-off, arXiv:1906.03671). Optionally the
//                      exponent e = min(1, labelled frames / hybrid_ramp_frames) leans a cold
//                      start towards diversity, after Hacohen et al. 2022 (arXiv:2202.02794:
//                      typical examples suit low budgets, uncertain ones high budgets).
//                      hybrid_ramp_frames 0 (the default) = e is always 1: a ramp of 40
//                      frames lost on the DLC frames and did not help on synthetic mice
//                      (bench/analysis/active_simulate.sh);
//   random-stratified: BehavTrack's baseline: per-stratum quotas, seeded shuffle.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::analysis {

enum class Strategy { kUncertainty, kDiversity, kHybrid, kRandomStratified };
Strategy strategy_from_string(const std::string& name);  // throws bt::Error naming the value
const char* to_string(Strategy s);

// What the diversity term (diversity, hybrid, and uncertainty's near-duplicate skip)
// measures distances in: the sampler's grey-level histogram of the whole frame, or the
// layout of the mice (pose_layout_feature: from the labels of labelled frames and the
// model's predictions on the rest).
enum class DiversityFeatures { kAppearance, kLayout };
DiversityFeatures diversity_features_from_string(const std::string& name);  // "appearance" | "layout"
const char* to_string(DiversityFeatures f);

struct UncertaintyWeights {
  double detection = 1.0, keypoints = 1.0, flip = 2.0, count = 1.0;
};

struct FrameUncertainty {
  double detection = 0, keypoints = 0, flip = 0, count = 0, total = 0;
};

// `mirrored` are the predictions on the mirror image, still in the mirror's pixels.
FrameUncertainty score_frame(const std::vector<Instance>& predicted, const std::vector<Instance>& mirrored,
                             const Skeleton& skeleton, int image_width, int expected_animals,
                             const UncertaintyWeights& weights);

// A frame described by the layout of its mice, for the diversity term: where they are
// (a 4 x 4 grid of box centres), how crowded (each one's nearest neighbour in body lengths:
// < 0.5, < 1, < 2, more), how stretched (box short over long side: < 0.4, < 0.6, < 0.8,
// more: curled up and rearing mice are squarer) and which way they face (quadrant of the
// first-to-last keypoint direction), each a share per mouse; and |mice - expected| /
// expected. From the labels of labelled frames and the model's predictions on the others.
std::vector<float> pose_layout_feature(const std::vector<Instance>& mice, int width, int height,
                                       int expected_animals);

// Maps instances predicted on a left-right mirror image back to the original image.
std::vector<Instance> unmirror(const std::vector<Instance>& mirrored, const Skeleton& skeleton, int image_width);

struct Candidate {
  std::int64_t key = 0;        // the caller's id (frame id, sample index)
  int stratum = -1;
  std::vector<float> feature;  // appearance feature (equal lengths across the pool)
  double uncertainty = 0;      // FrameUncertainty::total
};

// Indices into `pool` of the chosen frames (at most k), in the order chosen.
std::vector<std::size_t> select_frames(const std::vector<Candidate>& pool,
                                       const std::vector<std::vector<float>>& labelled_features, int k,
                                       Strategy strategy, std::uint64_t seed, int hybrid_ramp_frames = 0);

}  // namespace bt::analysis
