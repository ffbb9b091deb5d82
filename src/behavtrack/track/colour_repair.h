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
// 0.913 -> 0.871). Here nothing is cut: every frame is judged by the colours of each pair
// of identities against their coats.
//
// Input: the tracked frames under stream ids 1..N (frames[t], as the pass got them), their
// labels so far, and per frame index the clean histograms of the stream ids (clean.frame(t)
// has N entries, entry k for stream id k+1; empty where that box held more than one mouse,
// was not detected, or has no histogram). Output: label, with pairs of identities
// exchanged from some frames on; the number of exchanges.
// Method, one pass over the frames in time order, for each pair of identities P, Q:
//  - coat of P: the mean of its clean histograms over the frames up to 1 s before (under
//    the labels as repaired so far: the ids are defined at the video's start); no say
//    with less than appearance_min_s of them, or when the coats of P and Q are within
//    appearance_alike (one coat: colour cannot tell them apart, and must not pretend to);
//  - per frame with both identities' clean histograms h_P, h_Q (d: Hellinger distance):
//    e = d(P, h_P) + d(Q, h_Q) - d(P, h_Q) - d(Q, h_P), about +-1.8 between a black and a
//    white mouse, positive when each box holds the other's coat;
//  - a run of repair_min_s of such frames in a row (frames without both histograms
//    skipped: in a tight fight most boxes hold two mice) with e > repair_margin is an
//    exchange, if a tracker had a chance to make it since the last frame that said
//    otherwise: P or Q touching a mouse (closer than contact_bodies body lengths) or
//    undetected (missed, hidden, interpolated). P and Q are exchanged from halfway between
//    that frame and the run's first, kept within the frames of the chance, to the video's
//    end; an exchange back later is found the same way.
// Measured (bench/track BM_TrackerAppearance, 2-minute videos of 5 mice with the video's
// histograms): heavy damage on synth seeds 400..419 IDF1 0.9013 -> 0.9033, lasting errors
// between mice of different coats 1.75 -> 1.20 a video (seed 411 0.770 -> 0.808, 403
// 0.985 -> 0.987, no video worse); light damage 0.9864 either way; seeds 100..105 (0.9126)
// and 300..305 (0.8108) unchanged. That is against session 9's repair, which judged only
// each contact and the second after it: it missed exchanges made where a lone mouse was
// missed (a re-identification after an occlusion) and those the colours showed only once
// the two stopped overlapping, over a second later. The errors left are between mice of
// one coat. Tried and not kept (session 9, on contacts): judging a contact once, by the
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
