// The association policy: which detection continues which track in one frame.
//
//   bt::track::AssociationInput in{tracks, detections, appearances, options, image_diag_px, fps};
//   bt::track::AssociationResult r = bt::track::associate(in);
//
// Stages (ByteTrack, arXiv:2110.06864, sec. 3, "BYTE"; plus re-identification for a known
// number of animals):
//   1. high-score detections (>= score_high) x confirmed tracks (active and lost), cost
//      against the motion prediction (mixed_cost or behavtrack_cost), for a lost track the
//      better of prediction and last observation, gated by match_cost_max;
//      then, in crowds, abstention: a stage-1 match is undone when a confirmed track left
//      unmatched (seen within hold_s) could own that detection within switch_margin of the
//      winner's cost; neither takes it (which mouse is missing is a coin toss there);
//   2. low-score detections ([score_low, score_high)) x confirmed tracks still active last
//      frame and unmatched, cost 1 - IoU, gated by low_iou_min;
//   3. remaining high-score detections x unconfirmed tracks (stage 1's cost).
// Each stage is an optimal assignment (assignment.h) over what the earlier ones left.
// Unmatched detections scored >= score_new are returned as candidates for new tracks.
// Re-identification is not done on single detections (a false positive next to a lost
// mouse would steal its id): a new track that lasts confirm_s claims a lost identity
// instead (reid_cost and the tracker's promotion step).
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
  double fps = 30;
};

struct AssociationResult {
  std::vector<std::pair<int, int>> matches;  // (track index, detection index)
  std::vector<int> new_track_candidates;     // detection indices, best score first
};

AssociationResult associate(const AssociationInput& in);

// Cost of giving lost track `lost` to the unconfirmed track `found` (its first detection):
// the distance between where `lost` was last seen (or is predicted) and where `found`
// started, over how far a mouse may move in the time between, (1 + reid_speed_bodies_s *
// t) body lengths, mixed with the colour-histogram distance; kImpossible beyond reach.
double reid_cost(const Track& lost, const Instance& found_first, FrameIndex found_first_frame,
                 const Appearance& found_appearance, const TrackerOptions& o, double fps);

// Bhattacharyya (Hellinger) distance between two normalised histograms, in [0, 1];
// 0.5 when either is unknown.
double appearance_distance(const Appearance& a, const Appearance& b);

}  // namespace bt::track
