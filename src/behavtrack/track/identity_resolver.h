// Offline identity pass over a whole tracked video: re-decides who is who where the
// streaming tracker had to guess, using what only hindsight and the whole video give.
//
//   bt::track::IdentityResolverOptions o;
//   bt::track::IdentityResolverStats stats;
//   std::vector<bt::FrameInstances> fixed =
//       bt::track::resolve_identities(tracks, skeleton, fps, o, &stats);
//
// Input: every frame of a tracked video, in order, ids 1..N (the Tracker's output with a
// known number of animals; interpolated instances have score 0). Output: the same frames
// and instances, with ids exchanged from some frames on; nothing else changes.
// Method (global identity assignment over tracklets):
//  1. Ambiguous contacts: two mice within contact_bodies body lengths of each other while
//     either was not detected (dropped, hidden, interpolated) within uncertain_margin_s.
//     Contacts sharing a mouse within join_s form one episode; the tracks are cut there
//     into tracklets (the stretches between a mouse's episodes).
//  2. Each episode's ids enter on one set of tracklets and leave on another; which leaving
//     tracklet continues which identity is a permutation, chosen by optimal assignment
//     (assignment.h) on: motion continuity across the gap (the entering tracklet's end
//     extrapolated forward and the leaving one's start backward, both by half the gap,
//     offline hindsight the streaming tracker lacks); body size (the tracklet's 75th
//     percentile of nose-to-tail-base length, too noisy per frame but stable over a
//     tracklet, against the identity's value over the whole video); and a cost for
//     overruling the streaming tracker's choice.
//  3. Identity sizes are re-estimated from the new labelling and step 2 is repeated
//     (coordinate descent on the whole video's labelling, `iterations` times).
// The new ids apply from the middle of each episode.
// Measured (bench/track, heavy damage, 2-minute videos of 5 mice): no gain. With these
// defaults mean IDF1 0.7579 -> 0.7588 (synth seeds 100..102) and 0.7888 -> 0.7888
// (103..105); the best setting on 100..102 (size_weight 0, keep_cost 0.2: 0.7963) lost
// on 103..105 (0.7152). A tracklet's body length moves by +-20% with posture (curled,
// rearing, stretched) against ~5% between mice, and across a fight's gap the motion does
// not say who is who; a wrong exchange costs a whole identity for the rest of the video.
// Hence off by default in `track` (--offline-identities).
// Coordinates: pixels, origin top-left. Thread safety: pure function.
#pragma once

#include <vector>

#include "behavtrack/core/types.h"

namespace bt::track {

struct IdentityResolverOptions {
  double contact_bodies = 0.4;        // box-centre distance, body lengths, below which mice touch
  double uncertain_margin_s = 0;      // seconds around an undetected frame that count as uncertain
  double join_s = 0.1;                // contacts of one mouse this close in time are one episode
  double motion_weight = 1.0;         // cost per normalised distance across the gap
  double speed_bodies_s = 1.0;        // expected drift across a gap, body lengths per second
  double size_weight = 1.0;           // cost per size_tolerance of body-length difference
  double size_tolerance = 0.03;       // relative body-length difference worth one cost unit
  double keep_cost = 0.5;             // cost of overruling the streaming tracker, per mouse
  int iterations = 3;                 // size re-estimation rounds
  void validate() const;              // throws bt::Error naming the field and value
};

struct IdentityResolverStats {
  int episodes = 0;  // ambiguous contact episodes found
  int changed = 0;   // episodes whose permutation differs from the streaming tracker's
};

// `head`/`tail`: keypoint indices of nose and tail base (-1: no size cue).
std::vector<FrameInstances> resolve_identities(std::vector<FrameInstances> frames, int head, int tail,
                                               double fps, const IdentityResolverOptions& options,
                                               IdentityResolverStats* stats = nullptr);

}  // namespace bt::track
