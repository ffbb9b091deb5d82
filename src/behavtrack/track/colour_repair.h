// The last step of the offline identity pass (identity_resolver.h): stretches of frames in
// which two mice of different coats carry each other's identities, found by colour alone.
//
//   std::vector<std::vector<int>> label = ...;  // label[stream id][frame index], 0-based
//   int swaps = bt::track::repair_swaps_by_colour(label, frames, clean, body_px, fps, options);
//
// Why a step of its own: the pass re-decides only the contacts where a mouse went
// undetected (the tracklet cuts need them), but in fights both mice are often detected in
// every frame and the streaming tracker still exchanges them (they spin 40-60 degrees a
// frame), often for a second before it exchanges them back. Cutting tracklets at every
// such contact leaves tracklets too short to learn a coat from (tried in session 8: IDF1
// 0.913 -> 0.871). Here nothing is cut: each frame of a contact, and of the
// repair_window_s after it, is judged by its two identities' colours against their coats.
//
// Input: the tracked frames under stream ids 1..N (frames[t], as the pass got them), their
// labels so far, and per frame index the clean histograms of the stream ids (clean.frame(t)
// has N entries, entry k for stream id k+1; empty where that box held more than one mouse,
// was not detected, or has no histogram). Output: label, with pairs of identities
// exchanged over some stretches of frames; the number of stretches.
// Method, in time order of the contacts (two mice closer than contact_bodies body lengths,
// pieces joined over join_s), for the pair of identities P, Q the two mice have as it starts:
//  - coat of P: the mean of its clean histograms over every earlier frame (under the labels
//    as repaired so far: the ids are defined at the video's start); skipped with less than
//    appearance_min_s of them, or when the coats of P and Q are within appearance_alike
//    (one coat: colour cannot tell them apart, and must not pretend to);
//  - per frame with both identities' clean histograms h_P, h_Q (d: Hellinger distance):
//    e = d(P, h_P) + d(Q, h_Q) - d(P, h_Q) - d(Q, h_P), about +-1.8 between a black and a
//    white mouse, positive when each box holds the other's coat;
//  - a run of repair_min_s of such frames in a row (frames without both histograms
//    skipped: in a tight fight most boxes hold two mice) with e > repair_margin is an
//    exchange: P and Q are exchanged from halfway between the last frame that said
//    otherwise and the run's first, to halfway between its last and the next that says
//    otherwise, or to the video's end when none does before the window ends.
// Measured (bench/track BM_TrackerAppearance, 2-minute videos of 5 mice with the video's
// histograms, synth seeds 400..419): lasting errors between mice of different coats 2.75 ->
// 1.75 a video under heavy damage (IDF1 0.9012 -> 0.9013), 0.20 -> 0 under light (IDF1
// 0.9861 -> 0.9864); tuning seeds 300..305 heavy 1.00 -> 0, IDF1 0.8102 -> 0.8108; seeds
// 100..105 had none and are unchanged. Tried and not kept: judging a contact once, by the
// colours of the second after it against the coats before (no change: most exchanges in
// fights are undone by the tracker within the contact, ~1 s later); a mean over +-0.1 s
// needing half its frames (in tight fights most boxes hold two mice, so it never filled);
// coats taken from each identity's first 10 s only (the same figures).
// Thread safety: pure function.
#pragma once

#include <vector>

#include "behavtrack/core/types.h"
#include "behavtrack/track/frame_histograms.h"
#include "behavtrack/track/identity_resolver.h"

namespace bt::track {

// `body_px`: a typical body length (the contact distance's unit).
int repair_swaps_by_colour(std::vector<std::vector<int>>& label, const std::vector<FrameInstances>& frames,
                           const FrameHistograms& clean, double body_px, double fps,
                           const IdentityResolverOptions& options);

}  // namespace bt::track
