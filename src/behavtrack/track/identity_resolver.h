// Offline identity pass over a whole tracked video: re-decides who is who at the contacts
// where the streaming tracker had to guess, with what only hindsight gives.
//
//   std::vector<bt::FrameInstances> forward = ...;   // the Tracker's output, ids 1..N
//   std::vector<bt::FrameInstances> backward =
//       bt::track::track_reversed(options, skeleton, fps, w, h, detections);   // tracker.h
//   bt::track::IdentityResolverStats stats;
//   auto fixed = bt::track::resolve_identities(forward, head, tail, fps, o, &stats, &backward);
//   // with the video: each detection's colour histogram (appearance_histograms, appearance.h)
//   bt::track::HeldHistograms histograms(lists);    // or CompactHistograms (frame_histograms.h)
//   bt::track::DetectionAppearances colours{detections, histograms};
//   fixed = bt::track::resolve_identities(forward, head, tail, fps, o, &stats, &backward, &colours);
//   // or all of it at once: bt::track::track_detections (tracker.h)
//
// Input: every frame of a tracked video, in order, ids 1..N (interpolated instances have
// score 0); optionally a second tracking of the same detections run backwards in time
// (any ids, same frames); optionally the detections' colour histograms. Output: the same
// frames and instances, with ids exchanged from some frames on; nothing else changes.
// Method (identity assignment over tracklets):
//  1. Ambiguous contacts: two mice closer than contact_bodies body lengths while either is
//     undetected (dropped, hidden, interpolated) within uncertain_margin_s. Contacts sharing
//     a mouse within join_s form one episode; each id's track is cut there into tracklets.
//  2. Each episode's mice enter on one set of tracklets and leave on another; which leaving
//     tracklet continues which identity is a permutation. Its cost per (entering, leaving)
//     pair: motion continuity across the gap (the entering tracklet's end extrapolated
//     forward and the leaving one's start backward, each by half the gap up to 0.2 s: the
//     hindsight a streaming tracker lacks); body-length continuity (median length over
//     near_s just before against just after); optionally body size against the identity's
//     75th-percentile length over the whole video (size_weight); with histograms, colour:
//     appearance_weight x the Hellinger distance, beyond appearance_alike, between the
//     leaving tracklet's mean histogram and the identity's colour model (below); keep_cost
//     per mouse moved off the forward tracker's choice.
//     Without a backward run the permutation is the optimal assignment (assignment.h) on
//     that cost. With one, the candidates are the forward run's continuation, the backward
//     run's (read off its ids on the tracklets' ends) and, with colour, the permutation
//     colour alone prefers (each mouse moved off the forward choice costing half of
//     appearance_margin, so two mice of one coat stay put) when it beats the forward
//     one's colour cost by appearance_margin: a contact both runs continued the same wrong
//     way. The cheapest on the whole cost wins. Otherwise a contact the two runs continue
//     alike is left alone.
//     Colour model: an identity's mean histogram over its tracklets so far, in time order
//     (the tracklets entering each episode, whose labels are final by then). Only boxes
//     holding one mouse count: detected, and not overlapping an undetected neighbour by
//     more than contact_overlap (appearance_histograms already leaves out the detected
//     neighbours' boxes). Not a model over the whole video: after one wrong exchange it
//     would blend two coats, and an exchange early in the video would make it favour the
//     wrong labels for most of it; the ids are defined at the video's start.
//  3. Identity sizes are re-estimated from the new labelling and step 2 repeated
//     (`iterations` rounds of coordinate descent on the video's labelling; the colour
//     models are rebuilt in each round from that round's labels).
// The new ids apply from the middle of each episode.
//  4. With histograms, the colour repair (colour_repair.h): wherever, after a contact or
//     a missed detection, two identities of different coats each carry the other's coat,
//     they are exchanged back, including contacts where every mouse was detected (which
//     steps 1-3 never reopen).
// Measured (bench/track, 2-minute videos of 5 mice, heavy damage: 15% dropped, 5% false
// positives, 10-frame occlusions): with the backward run IDF1 0.758 -> 0.847 (synth seeds
// 100..102), 0.773 -> 0.835 (100..105, 5 of 6 better, one 0.958 -> 0.853); light damage
// 0.982 -> 0.9997 (100..105). Without it (assignment over all permutations) no gain:
// posture moves a tracklet's length by +-20% against ~5% between mice, and of ~400
// contacts per video only ~3 need a change, so false changes outweigh the right ones.
// With the colour cue (bench/track BM_TrackerAppearance: the same damaged truth detections
// with each detection's histogram from the rendered frame; parameters chosen on synth seeds
// 300..302, reported on 100..105): heavy damage IDF1 0.835 -> 0.921 (per video 0.912 /
// 0.777 / 0.853 / 0.725 / 0.752 / 0.991 -> 0.992 / 0.919 / 0.881 / 0.993 / 0.752 / 0.991),
// lasting identity errors between mice of different coats 2.0 -> 0 per video, between mice
// of one coat 2.0 -> 2.3; light damage 0.9997 either way. The same (0.921, every video
// alike) with the histograms taken from synth's H.264 video decoded again
// (BT_TRACK_DECODED=1) instead of the uncompressed frames. What is left are same-coat
// mice (the all-black cage): colour cannot help there, and it must not pretend to (the
// appearance_alike dead zone and the half-margin per moved mouse). Tried and not kept on
// 300..302: a hue x saturation histogram of the whole box (0.833 against 0.848: black,
// white and the light floor are all unsaturated; the brightness is what tells them apart),
// the same with the neighbours' boxes left out (0.785: the floor then filled the histogram
// and looked like a white coat), the colour permutation as a free optimal assignment (on
// seed 302 it re-decided a pair of white mice by motion and added a lasting error).
// Weight 4 gave 0.844 (8: 0.848), appearance_alike 0 the same as 0.2 on those seeds.
// Session 5, what the same-coat errors are (a temporary per-episode print against the
// truth, seeds 100..105, heavy damage, with colour): where the two runs continue a contact
// differently, the whole cost picked the right one in 6 of 13 episodes (motion and length
// continuity cannot tell two touching mice of one coat apart); in 2 more both runs were
// wrong alike (a pile of all 5 mice on seed 104 among them), and in 2 the right
// permutation was the cheapest but neither run's. Tried on 300..305 and not kept: a body-
// axis heading continuity term (IDF1 0.822 -> 0.827 with colour at weight 0.5, 0.765 ->
// 0.746 without; worse at weight 1), and the optimal assignment as a third candidate where
// the runs disagree (0.817 with colour, 0.727 without), and a third tracker (a backward run
// holding crowded tracks 0.5 s) breaking those ties by majority (0.840 and 0.786 on
// 300..305, but 0.889 and 0.749 on 100..105 against 0.921 and 0.835).
// Session 10, tried and not kept: a size repair after the colour repair, for same-coat
// pairs. Each identity's size was its mean nose-to-tail-base length over frames where it
// moved >= 0.7 body lengths/s (centres 0.1 s apart; a frame-to-frame step is mostly the
// detections' 2 px jitter) touching nobody; on synth truth such frames have a per-frame
// sd of 5.5-7.5 px for mice 3-13 px apart (all frames: 15-18 px). After each contact the
// two identities' means over up to 10 s (to their next contact) were tested against the
// sizes before it (Gaussian log-likelihood ratio, one sample per 0.1 s). Under heavy
// damage only ~9% of mouse-frames qualify, and postures after a contact bias the means:
// of 328 contacts tested on 300..305, 89 favoured an exchange, far more than the ~4
// lasting errors. Ratio above 10: IDF1 with colour 0.8108 -> 0.8248 on 300..305 (one
// video), 0.9013 -> 0.9013 on 400..419, detections only 0.7788 -> 0.7785; above 4: 300..305
// 0.8212 but seeds 301 and 305 worse (0.908 -> 0.825, 0.996 -> 0.943).
// Session 13, tried and not kept: body area as a same-coat cue. Per detection, the pixels
// further than 32 grey levels from the floor in its box grown by 10%, where that box touches
// no other detection; each tracklet's 75th percentile against its identity's (pooled over
// its tracklets so far), in the colour cost: 1.5 per 5% of |log ratio| beyond 0.05. On synth
// truth (seeds 300..302, boxes touching no other) area varies 2-12% within a mouse against
// 13-22% for nose-to-tail length, and mice differ by up to +-16% (length +-8%). Tuning seeds
// 300..305: IDF1 0.811 -> 0.910; held out, 100..105: 0.913 -> 0.916, 400..419: 0.903 ->
// 0.873 (5 videos better, 8 worse, lasting same-coat errors 2.0 -> 4.8); at least 30 area
// samples per tracklet: 0.844 and 0.892. The synth's own label image as the area (no
// measurement error) gave 0.893 on 400..419 too: curled, grooming and rearing postures move
// a tracklet's area as much as the difference between two mice, and with ~400 contacts a
// video a cue wrong at 1% of them makes more errors than the ~3 it can mend.
// Coordinates: pixels, origin top-left. Thread safety: pure function.
#pragma once

#include <vector>

#include "behavtrack/core/types.h"
#include "behavtrack/track/frame_histograms.h"

namespace bt::track {

struct IdentityResolverOptions {
  double contact_bodies = 0.8;        // box-centre distance, body lengths, below which mice touch
  double uncertain_margin_s = 0;      // seconds around an undetected frame that count as uncertain
  double join_s = 0.1;                // contacts of one mouse this close in time are one episode
  double motion_weight = 1.0;         // cost per normalised distance across the gap
  double speed_bodies_s = 1.0;        // expected drift across a gap, body lengths per second
  double size_weight = 0;             // cost per size_tolerance of body-length difference
  double continuity_weight = 0.5;      // the same, between lengths just before and after a contact
  double near_s = 0.33;               // "just before/after": this many seconds of detections
  double size_tolerance = 0.03;       // relative body-length difference worth one cost unit
  double keep_cost = 0;               // cost of overruling the streaming tracker, per mouse
  // Cost units credited to the backward run's continuation where it and the forward run
  // disagree. Off: on synth seeds 300..305 (heavy damage, detections only) 2 beat 0
  // (IDF1 0.826 against 0.765; 1: 0.803, 3 or more: 0.792, as always taking the backward
  // run), but on 100..105 it lost (0.820 against 0.835; with colour 0.901 against 0.921).
  double backward_bias = 0;
  // Colour cue (needs the detections' histograms, DetectionAppearances): cost per unit of
  // Hellinger distance (0..1) between a tracklet's mean histogram and its identity's; 0: off.
  double appearance_weight = 8.0;
  // Hellinger distance up to which two colours count as the same coat (no cost).
  double appearance_alike = 0.2;
  // Cost units by which appearance alone must prefer a permutation that neither run chose.
  double appearance_margin = 0.5;
  double appearance_min_s = 0.5;      // seconds of clean histograms for full weight
  // A box whose histogram region overlaps another mouse's box by more than this share of
  // its area holds two mice: its histogram is left out, 0..1.
  double contact_overlap = 0.05;
  // Colour repair (colour_repair.h): after the labelling, two identities of different
  // coats are exchanged back from a contact or a missed detection on, wherever each one's
  // box fits the other's coat better, by this many Hellinger units (0..2) in sum, in
  // repair_min_s of frames in a row (frames without both colours skipped); 0: off. Needs
  // the histograms and the colour cue (appearance_weight > 0), whose clean boxes it reads.
  double repair_margin = 0.5;
  double repair_min_s = 0.1;  // seconds of frames that must show an exchange
  int iterations = 3;                 // size re-estimation rounds
  void validate() const;              // throws bt::Error naming the field and value
};

struct IdentityResolverStats {
  int episodes = 0;  // ambiguous contact episodes found
  int changed = 0;   // episodes whose permutation differs from the streaming tracker's
  int repaired = 0;  // exchanges undone by the colour repair
};

// The detections the trackers were given and their colour histograms (appearance.h), for
// the colour cue: histograms.frame(j) holds one histogram per instance of detections[j]
// (an empty histogram, or an empty list, where unknown), read once per frame in order.
// Frames are found by frame number.
// others_masked: each histogram leaves out the other detections' boxes
// (appearance_histograms), so only an undetected neighbour can mix into it.
struct DetectionAppearances {
  const std::vector<FrameInstances>& detections;
  const FrameHistograms& histograms;
  bool others_masked = true;
};

// `head`/`tail`: keypoint indices of nose and tail base (-1: no size cue).
std::vector<FrameInstances> resolve_identities(std::vector<FrameInstances> frames, int head, int tail,
                                               double fps, const IdentityResolverOptions& options,
                                               IdentityResolverStats* stats = nullptr,
                                               const std::vector<FrameInstances>* backward = nullptr,
                                               const DetectionAppearances* appearances = nullptr);

}  // namespace bt::track
