// The association policy: which detection continues which track in one frame.
//
//   bt::track::AssociationInput in{tracks, detections, appearances, options, image_diag_px,
//                                  head_tail_pairs};
//   bt::track::AssociationResult r = bt::track::associate(in);
//
// Stages (ByteTrack, arXiv:2110.06864, sec. 3, "BYTE"; plus re-identification for a known
// number of animals):
//   1. high-score detections (>= score_high) x confirmed tracks (active and lost), cost
//      against the motion prediction (mixed_cost or behavtrack_cost), gated by
//      match_cost_max;
//   2. low-score detections ([score_low, score_high)) x confirmed tracks still active last
//      frame and unmatched, cost 1 - IoU, gated by low_iou_min;
//   3. re-identification: remaining high-score detections x remaining confirmed tracks,
//      cost from the distance to the track's last and predicted centre, relative to how far
//      the mouse may have gone while lost, mixed with the colour-histogram distance;
//   4. remaining high-score detections x unconfirmed tracks (stage 1's cost).
// Each stage is an optimal assignment (assignment.h) over what the earlier ones left.
// Unmatched detections scored >= score_new are returned as candidates for new tracks.
// Thread safety: pure function of its inputs.
#pragma once

#include <utility>
#include <vector>

#include "behavtrack/track/track_state.h"

namespace bt::track {

struct AssociationInput {
  const std::vector<Track>& tracks;
  const std::vector<Instance>& detections;
  const std::vector<Appearance>& appearances;  // per detection, or empty
  const TrackerOptions& options;
  double image_diag_px = 800;
  std::vector<std::pair<int, int>> head_tail_pairs;  // keypoint pairs a flip exchanges
  double fps = 30;
};

struct AssociationResult {
  std::vector<std::pair<int, int>> matches;  // (track index, detection index)
  std::vector<int> new_track_candidates;     // detection indices, best score first
};

AssociationResult associate(const AssociationInput& in);

// Bhattacharyya (Hellinger) distance between two normalised histograms, in [0, 1];
// 0.5 when either is unknown.
double appearance_distance(const Appearance& a, const Appearance& b);

}  // namespace bt::track
