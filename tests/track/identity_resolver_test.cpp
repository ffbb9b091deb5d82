// The offline identity pass on hand-made tracked scenes: an exchange at a crossing hidden
// from the detector is undone, a correct one is left alone, a backward run limits what is
// reopened, the backward run itself, the colour cue and colour repair, and bad options
// are refused.
#include <gtest/gtest.h>

#include <cmath>

#include "behavtrack/core/error.h"
#include "behavtrack/track/identity_resolver.h"
#include "behavtrack/track/tracker.h"

namespace bt::track {
namespace {

// A tracked mouse heading along +-x: box 60 x 30, nose 25 px ahead of the centre, tail
// base 25 px behind (body length 50 px). Score 0 marks an interpolated instance.
Instance tracked(int id, double cx, double cy, double dx, double score) {
  Instance m;
  m.id = TrackId(id);
  m.box = Box::from_cxcywh(cx, cy, 60, 30);
  const double ux = dx >= 0 ? 1 : -1;
  m.keypoints = {{cx + 25 * ux, cy, Visibility::kVisible},
                 {cx + 15 * ux, cy - 6, Visibility::kVisible},
                 {cx + 15 * ux, cy + 6, Visibility::kVisible},
                 {cx - 25 * ux, cy, Visibility::kVisible}};
  m.score = static_cast<float>(score);
  return m;
}

// Mouse A runs right (x = 10 t), B left (x = 400 - 10 t); they cross at frame 20 and
// neither is detected in frames 18..25. With `exchanged`, the input ids follow the other
// mouse after the crossing, as a streaming tracker that guessed wrong would give them.
std::vector<FrameInstances> crossing(bool exchanged) {
  std::vector<FrameInstances> frames;
  for (int t = 0; t < 60; ++t) {
    const double score = t >= 18 && t <= 25 ? 0.0 : 0.9;
    const bool swap = exchanged && t > 20;
    frames.push_back({t, {tracked(swap ? 2 : 1, 10.0 * t, 100, +1, score),
                          tracked(swap ? 1 : 2, 400 - 10.0 * t, 104, -1, score)}});
  }
  return frames;
}

// The id of the instance moving right (mouse A) in frame t.
int id_of_a(const FrameInstances& f) {
  for (const Instance& i : f.instances)
    if (std::abs(i.box.cx() - 10.0 * static_cast<double>(f.frame)) < 1) return i.id->value;
  return 0;
}

TEST(IdentityResolver, UndoesAnExchangeAtAHiddenCrossingFromMotion) {
  IdentityResolverStats stats;
  const auto out = resolve_identities(crossing(true), 0, 3, 30, {}, &stats);
  EXPECT_EQ(stats.episodes, 1);
  EXPECT_EQ(stats.changed, 1);
  ASSERT_EQ(out.size(), 60u);
  for (const FrameInstances& f : out) {
    if (f.frame == 20) continue;  // both at the same place
    EXPECT_EQ(id_of_a(f), 1) << "frame " << f.frame;
    ASSERT_EQ(f.instances.size(), 2u);
    EXPECT_LT(f.instances[0].id->value, f.instances[1].id->value) << "sorted by id";
  }
}

TEST(IdentityResolver, KeepsACorrectCrossing) {
  IdentityResolverStats stats;
  const auto in = crossing(false);
  const auto out = resolve_identities(in, 0, 3, 30, {}, &stats);
  EXPECT_EQ(stats.episodes, 1);
  EXPECT_EQ(stats.changed, 0);
  for (const FrameInstances& f : out) EXPECT_EQ(id_of_a(f), 1) << "frame " << f.frame;
}

TEST(IdentityResolver, AHighKeepCostTrustsTheStreamingTracker) {
  IdentityResolverOptions o;
  o.keep_cost = 5;
  IdentityResolverStats stats;
  const auto out = resolve_identities(crossing(true), 0, 3, 30, o, &stats);
  EXPECT_EQ(stats.changed, 0);
  EXPECT_EQ(id_of_a(out.back()), 2);
}

TEST(IdentityResolver, MiceApartOrAlwaysDetectedAreNotAmbiguous) {
  std::vector<FrameInstances> frames;
  for (int t = 0; t < 30; ++t)
    frames.push_back({t, {tracked(1, 100, 100, 1, t % 3 ? 0.9 : 0.0), tracked(2, 300, 100, 1, 0.9)}});
  IdentityResolverStats stats;
  EXPECT_EQ(resolve_identities(frames, 0, 3, 30, {}, &stats).size(), 30u);
  EXPECT_EQ(stats.episodes, 0);
  auto detected = crossing(false);
  for (FrameInstances& f : detected)
    for (Instance& i : f.instances) i.score = 0.9f;
  resolve_identities(detected, 0, 3, 30, {}, &stats);
  EXPECT_EQ(stats.episodes, 0);
}

TEST(IdentityResolver, WithABackwardRunOnlyItsDisagreementsAreReopened) {
  const auto forward = crossing(true);
  IdentityResolverStats stats;
  // The backward run agrees with the forward one: the exchange stands, motion or not.
  auto out = resolve_identities(forward, 0, 3, 30, {}, &stats, &forward);
  EXPECT_EQ(stats.changed, 0);
  EXPECT_EQ(id_of_a(out.back()), 2);
  // It continues the crossing the other way (its own ids 7 and 9): motion settles it.
  auto backward = crossing(false);
  for (FrameInstances& f : backward)
    for (Instance& i : f.instances) i.id = TrackId(i.id->value == 1 ? 7 : 9);
  out = resolve_identities(forward, 0, 3, 30, {}, &stats, &backward);
  EXPECT_EQ(stats.changed, 1);
  for (const FrameInstances& f : out)
    if (f.frame != 20) {
      EXPECT_EQ(id_of_a(f), 1) << "frame " << f.frame;
    }
}

TEST(IdentityResolver, BackwardBiasTrustsTheBackwardRunOnlyAsFarAsItGoes) {
  // The forward run is right; the backward run continues the crossing the other way.
  const auto forward = crossing(false);
  auto backward = crossing(true);
  for (FrameInstances& f : backward)
    for (Instance& i : f.instances) i.id = TrackId(i.id->value == 1 ? 7 : 9);
  IdentityResolverStats stats;
  // Motion across the gap clearly favours the forward continuation: the default bias
  // does not overturn it.
  auto out = resolve_identities(forward, 0, 3, 30, {}, &stats, &backward);
  EXPECT_EQ(stats.changed, 0);
  EXPECT_EQ(id_of_a(out.back()), 1);
  // A bias beyond any cost difference follows the backward run.
  IdentityResolverOptions o;
  o.backward_bias = 100;
  out = resolve_identities(forward, 0, 3, 30, o, &stats, &backward);
  EXPECT_EQ(stats.changed, 1);
  EXPECT_EQ(id_of_a(out.back()), 2);
}

TEST(IdentityResolver, TrackReversedReturnsForwardOrderAndFrameNumbers) {
  std::vector<FrameInstances> dets;
  for (int t = 3; t < 40; ++t) {
    if (t == 10) continue;  // a frame without detections
    FrameInstances f{t, {tracked(0, 100 + 4.0 * t, 100, 1, 0.9), tracked(0, 400 - 4.0 * t, 300, -1, 0.9)}};
    for (Instance& i : f.instances) i.id.reset();
    dets.push_back(f);
  }
  TrackerOptions o;
  o.animals = 2;
  const auto out = track_reversed(o, Skeleton::default_mouse(), 30, 640, 480, dets);
  ASSERT_EQ(out.size(), 37u);
  for (std::size_t k = 0; k < out.size(); ++k) {
    EXPECT_EQ(out[k].frame, static_cast<FrameIndex>(3 + k));
    ASSERT_EQ(out[k].instances.size(), 2u) << "frame " << out[k].frame;
  }
  // One id per mouse all the way.
  auto id_at_top = [](const FrameInstances& f) {
    return f.instances[0].box.cy() < 200 ? f.instances[0].id->value : f.instances[1].id->value;
  };
  for (const FrameInstances& f : out) EXPECT_EQ(id_at_top(f), id_at_top(out.front()));
  // Noses stay where the detector put them (no flip correction against reversed motion).
  for (const Instance& i : out.back().instances)
    if (i.box.cy() < 200) {
      EXPECT_GT(i.keypoints[0].x, i.keypoints[3].x);
    }
}

// Colour cue. Two mice stand one above the other, touching (centres 35 px apart, boxes
// apart), both hidden in frames 30..39, and come out exchanged: the mouse that was on top
// is below. Motion says little (neither moves); both trackers keep ids by position, so
// both runs (here the same) continue the contact the wrong way. `coat_a`/`coat_b`: the
// two mice's histograms; a histogram per detection (tracked boxes here are the
// detections). Returns forward frames, detections and histograms.
struct ColourScene {
  std::vector<FrameInstances> forward, detections;
  std::vector<std::vector<Appearance>> histograms;
};
ColourScene exchanged_in_place(const Appearance& coat_a, const Appearance& coat_b, double apart_px = 35) {
  ColourScene s;
  for (int t = 0; t < 90; ++t) {
    const bool hidden = t >= 30 && t <= 39, exchanged = t > 39;
    const double score = hidden ? 0.0 : 0.9;
    // Ids follow position (top: 1), as the trackers give them.
    FrameInstances f{t, {tracked(1, 200, 100, +1, score), tracked(2, 200, 100 + apart_px, +1, score)}};
    s.forward.push_back(f);
    if (hidden) {
      s.detections.push_back({t, {}});
      s.histograms.emplace_back();
      continue;
    }
    for (Instance& i : f.instances) i.id.reset();
    s.detections.push_back(f);
    s.histograms.push_back({exchanged ? coat_b : coat_a, exchanged ? coat_a : coat_b});
  }
  return s;
}

// The id of the upper mouse in frame t.
int id_on_top(const FrameInstances& f) {
  for (const Instance& i : f.instances)
    if (i.box.cy() < 110) return i.id->value;
  return 0;
}

const Appearance kBlack = {0.7f, 0.2f, 0.1f, 0.0f}, kWhite = {0.0f, 0.1f, 0.2f, 0.7f};

TEST(IdentityResolver, ColourUndoesAnExchangeBothRunsAgreedOn) {
  const ColourScene s = exchanged_in_place(kBlack, kWhite);
  IdentityResolverStats stats;
  const HeldHistograms held(s.histograms);
  const DetectionAppearances colours{s.detections, held};
  // Without the colour cue the two runs agree and the exchange stands.
  auto out = resolve_identities(s.forward, 0, 3, 30, {}, &stats, &s.forward);
  EXPECT_EQ(stats.changed, 0);
  EXPECT_EQ(id_on_top(out.back()), 1);
  // With it, the black mouse (id 1 at the start, on top) keeps id 1 below.
  out = resolve_identities(s.forward, 0, 3, 30, {}, &stats, &s.forward, &colours);
  EXPECT_EQ(stats.episodes, 1);
  EXPECT_EQ(stats.changed, 1);
  for (const FrameInstances& f : out) {
    if (f.frame < 30) {
      EXPECT_EQ(id_on_top(f), 1) << "frame " << f.frame;
    }
    if (f.frame > 39) {
      EXPECT_EQ(id_on_top(f), 2) << "frame " << f.frame;
    }
  }
  // Off by weight: as without histograms.
  IdentityResolverOptions o;
  o.appearance_weight = 0;
  out = resolve_identities(s.forward, 0, 3, 30, o, &stats, &s.forward, &colours);
  EXPECT_EQ(stats.changed, 0);
}

TEST(IdentityResolver, ColourLeavesACorrectContactAlone) {
  // Not exchanged: the mice come out where they went in, with their own colours.
  ColourScene s = exchanged_in_place(kBlack, kWhite);
  for (std::size_t t = 40; t < s.histograms.size(); ++t) std::swap(s.histograms[t][0], s.histograms[t][1]);
  IdentityResolverStats stats;
  const HeldHistograms held(s.histograms);
  const DetectionAppearances colours{s.detections, held};
  const auto out = resolve_identities(s.forward, 0, 3, 30, {}, &stats, &s.forward, &colours);
  EXPECT_EQ(stats.changed, 0);
  EXPECT_EQ(id_on_top(out.back()), 1);
}

TEST(IdentityResolver, SameCoatsDoNotPretend) {
  // Two black mice whose histograms differ only by noise: colour cannot tell them apart,
  // so the pass keeps what the trackers chose (it has no other reason to change it).
  const Appearance black_a = {0.70f, 0.20f, 0.10f, 0.00f}, black_b = {0.68f, 0.21f, 0.10f, 0.01f};
  const ColourScene s = exchanged_in_place(black_a, black_b);
  IdentityResolverStats stats;
  const HeldHistograms held(s.histograms);
  const DetectionAppearances colours{s.detections, held};
  const auto out = resolve_identities(s.forward, 0, 3, 30, {}, &stats, &s.forward, &colours);
  EXPECT_EQ(stats.episodes, 1);
  EXPECT_EQ(stats.changed, 0);
  EXPECT_EQ(id_on_top(out.back()), 1);
}

TEST(IdentityResolver, BoxesHoldingTwoMiceGiveNoColour) {
  // The same exchange with the mice 12 px apart: each box overlaps the other mouse's in
  // every frame. Whole-box histograms (appearance_histogram) then hold both mice, so none
  // is trusted and the trackers' choice stands.
  const ColourScene s = exchanged_in_place(kBlack, kWhite, 12);
  IdentityResolverStats stats;
  const HeldHistograms held(s.histograms);
  const DetectionAppearances whole_boxes{s.detections, held, false};
  const auto out = resolve_identities(s.forward, 0, 3, 30, {}, &stats, &s.forward, &whole_boxes);
  EXPECT_EQ(stats.changed, 0);
  EXPECT_EQ(id_on_top(out.back()), 1);
  // With every overlap allowed the colours decide again.
  IdentityResolverOptions o;
  o.contact_overlap = 1;
  resolve_identities(s.forward, 0, 3, 30, o, &stats, &s.forward, &whole_boxes);
  EXPECT_EQ(stats.changed, 1);
  // Histograms that leave out the neighbour's box (appearance_histograms, the default)
  // hold one mouse even so: trusted.
  const DetectionAppearances masked{s.detections, held};
  resolve_identities(s.forward, 0, 3, 30, {}, &stats, &s.forward, &masked);
  EXPECT_EQ(stats.changed, 1);
}

TEST(IdentityResolver, TrackDetectionsUsesTheColoursEndToEnd) {
  // The whole pipeline (forward tracker, backward tracker, offline pass) on the scene's
  // detections: the colours fix what both trackers get wrong.
  const ColourScene s = exchanged_in_place(kBlack, kWhite);
  TrackerOptions o;
  o.animals = 2;
  IdentityResolverStats stats;
  const auto plain = track_detections(o, Skeleton::default_mouse(), 30, 640, 480, s.detections);
  const auto coloured = track_detections(o, Skeleton::default_mouse(), 30, 640, 480, s.detections, s.histograms, &stats);
  ASSERT_FALSE(plain.empty());
  ASSERT_FALSE(coloured.empty());
  const int first = id_on_top(coloured.front());
  ASSERT_NE(first, 0);
  EXPECT_EQ(id_on_top(plain.back()), id_on_top(plain.front())) << "without colour: ids follow position";
  EXPECT_NE(id_on_top(coloured.back()), first) << "with colour: the top mouse's id went below with it";
  EXPECT_EQ(stats.changed, 1);

  // The offline half on its own, reading the histograms from CompactHistograms a frame at a
  // time (as track --video and analyze keep them), gives the same ids.
  TrackerOptions streaming_only = o;
  streaming_only.offline_identities = false;
  const auto forward = track_detections(streaming_only, Skeleton::default_mouse(), 30, 640, 480, s.detections);
  CompactHistograms kept;
  for (const auto& frame : s.histograms) kept.push_back(frame);
  const auto resolved = resolve_offline(forward, o, Skeleton::default_mouse(), 30, 640, 480, s.detections, &kept);
  ASSERT_EQ(resolved.size(), coloured.size());
  for (std::size_t t = 0; t < resolved.size(); ++t) {
    ASSERT_EQ(resolved[t].instances.size(), coloured[t].instances.size()) << "frame " << t;
    for (std::size_t k = 0; k < resolved[t].instances.size(); ++k) {
      EXPECT_EQ(resolved[t].instances[k].id, coloured[t].instances[k].id) << "frame " << t;
      EXPECT_EQ(resolved[t].instances[k].box, coloured[t].instances[k].box) << "frame " << t;
    }
  }
}

// Colour repair (colour_repair.h), the pass's last step, on a contact both mice are
// detected through, so no episode opens there: an exchange between coats is undone, for
// good or only where it lasted, also where a mouse was hidden away from the others or the
// colours show it only long after; a correct contact, a flicker, colours that change
// while the mice are apart and seen, and two mice of one coat are left alone; it can be off.
//
// Mouse 1 stays at y = 100; mouse 2 waits at y = 300, comes to touch it (y = 135, 35 px:
// closer than 0.8 body lengths) in frames 60..79 and goes back. Ids follow position (top:
// 1), as a tracker that lost them gives them: in frames [exchanged_from, exchanged_to) the
// mouse with coat_a is the lower one. Mouse 2 is undetected (interpolated, score 0) in
// frames [hidden_from, hidden_to); neither box gives a histogram in [no_colour_from,
// no_colour_to) (boxes holding two mice).
struct ContactOptions {
  int exchanged_from = 150, exchanged_to = 150;
  int hidden_from = 0, hidden_to = 0;
  int no_colour_from = 0, no_colour_to = 0;
};

ColourScene contact(const Appearance& coat_a, const Appearance& coat_b, const ContactOptions& c) {
  ColourScene s;
  for (int t = 0; t < 150; ++t) {
    const bool touching = t >= 60 && t < 80, exchanged = t >= c.exchanged_from && t < c.exchanged_to;
    const bool hidden = t >= c.hidden_from && t < c.hidden_to;
    const bool colourless = t >= c.no_colour_from && t < c.no_colour_to;
    FrameInstances f{t, {tracked(1, 200, 100, +1, 0.9), tracked(2, 200, touching ? 135 : 300, +1, hidden ? 0 : 0.9)}};
    s.forward.push_back(f);
    for (Instance& i : f.instances) i.id.reset();
    std::vector<Appearance> colours{exchanged ? coat_b : coat_a, exchanged ? coat_a : coat_b};
    if (colourless) colours = {Appearance{}, Appearance{}};
    if (hidden) f.instances.pop_back(), colours.pop_back();
    s.detections.push_back(f);
    s.histograms.push_back(colours);
  }
  return s;
}

ColourScene contact(const Appearance& coat_a, const Appearance& coat_b, int exchanged_from = 150,
                    int exchanged_to = 150) {
  ContactOptions c;
  c.exchanged_from = exchanged_from, c.exchanged_to = exchanged_to;
  return contact(coat_a, coat_b, c);
}

std::vector<FrameInstances> repair(const ColourScene& s, const IdentityResolverOptions& o, IdentityResolverStats& stats) {
  const HeldHistograms held(s.histograms);
  const DetectionAppearances colours{s.detections, held};
  return resolve_identities(s.forward, 0, 3, 30, o, &stats, &s.forward, &colours);
}

TEST(ColourRepair, UndoesAnExchangeBetweenCoatsWhereBothMiceWereDetected) {
  // The mice came out of the contact exchanged (from frame 75) and stay so.
  IdentityResolverStats stats;
  const auto out = repair(contact(kBlack, kWhite, 75), {}, stats);
  EXPECT_EQ(stats.episodes, 0) << "every mouse detected: no ambiguous contact for the tracklet pass";
  EXPECT_EQ(stats.repaired, 1);
  ASSERT_EQ(out.size(), 150u);
  // The black mouse keeps id 1: on top before, below from where the colours changed on
  // (within the averaging window, 3 frames).
  for (int t = 0; t < 72; ++t) EXPECT_EQ(id_on_top(out[t]), 1) << "frame " << t;
  for (int t = 78; t < 150; ++t) EXPECT_EQ(id_on_top(out[t]), 2) << "frame " << t;
}

TEST(ColourRepair, UndoesAnExchangeOnlyWhereItLasted) {
  // Exchanged in frames 64..73 of the fight, and back again by its end.
  IdentityResolverStats stats;
  const auto out = repair(contact(kBlack, kWhite, 64, 74), {}, stats);
  EXPECT_EQ(stats.repaired, 2) << "exchanged from frame 64 on, and back from 74 on";
  for (int t = 0; t < 61; ++t) EXPECT_EQ(id_on_top(out[t]), 1) << "frame " << t;
  for (int t = 67; t < 71; ++t) EXPECT_EQ(id_on_top(out[t]), 2) << "frame " << t;
  for (int t = 77; t < 150; ++t) EXPECT_EQ(id_on_top(out[t]), 1) << "frame " << t;
}

TEST(ColourRepair, LeavesACorrectContactAndAFlickerAlone) {
  IdentityResolverStats stats;
  auto out = repair(contact(kBlack, kWhite), {}, stats);
  EXPECT_EQ(stats.repaired, 0);
  EXPECT_EQ(id_on_top(out.back()), 1);
  // Two frames that look exchanged are shorter than repair_min_s (3 frames) once averaged.
  out = repair(contact(kBlack, kWhite, 70, 72), {}, stats);
  EXPECT_EQ(stats.repaired, 0);
  for (const FrameInstances& f : out) EXPECT_EQ(id_on_top(f), 1) << "frame " << f.frame;
}

TEST(ColourRepair, SameCoatsDoNotPretend) {
  const Appearance black_a = {0.70f, 0.20f, 0.10f, 0.00f}, black_b = {0.66f, 0.22f, 0.10f, 0.02f};
  IdentityResolverStats stats;
  const auto out = repair(contact(black_a, black_b, 75), {}, stats);
  EXPECT_EQ(stats.repaired, 0);
  EXPECT_EQ(id_on_top(out.back()), 1);
}

TEST(ColourRepair, OffWithAZeroMarginOrWithoutHistograms) {
  IdentityResolverOptions o;
  o.repair_margin = 0;
  IdentityResolverStats stats;
  auto out = repair(contact(kBlack, kWhite, 75), o, stats);
  EXPECT_EQ(stats.repaired, 0);
  EXPECT_EQ(id_on_top(out.back()), 1);
  const ColourScene s = contact(kBlack, kWhite, 75);
  out = resolve_identities(s.forward, 0, 3, 30, {}, &stats, &s.forward);
  EXPECT_EQ(stats.repaired, 0);
  EXPECT_EQ(id_on_top(out.back()), 1);
}

TEST(ColourRepair, LeavesColoursThatChangeWhileTheMiceAreApartAndSeenAlone) {
  // Exchanged from frame 115 on, 35 frames after the contact ended, with both mice detected
  // and apart since: no tracker could have exchanged them there (a change of light, not of
  // identities), so the ids stand.
  IdentityResolverStats stats;
  const auto out = repair(contact(kBlack, kWhite, 115), {}, stats);
  EXPECT_EQ(stats.repaired, 0);
  EXPECT_EQ(id_on_top(out.back()), 1);
}

TEST(ColourRepair, UndoesAnExchangeWhereAMouseWasHiddenAwayFromTheOthers) {
  // Mouse 2 is undetected in frames 100..109, far from mouse 1, and its id comes back on
  // the other coat: a re-identification gone wrong, not a contact.
  ContactOptions c;
  c.hidden_from = 100, c.hidden_to = 110, c.exchanged_from = 105;
  IdentityResolverStats stats;
  const auto out = repair(contact(kBlack, kWhite, c), {}, stats);
  EXPECT_EQ(stats.episodes, 0) << "the mice are apart: no ambiguous contact";
  EXPECT_EQ(stats.repaired, 1);
  for (int t = 0; t < 100; ++t) EXPECT_EQ(id_on_top(out[t]), 1) << "frame " << t;
  for (int t = 110; t < 150; ++t) EXPECT_EQ(id_on_top(out[t]), 2) << "frame " << t;
}

TEST(ColourRepair, UndoesAnExchangeTheColoursShowOnlyLongAfterTheContact) {
  // Exchanged in the contact (frame 70) but no box gives a clean colour until frame 130,
  // 50 frames after it: the exchange is still undone, from within the contact.
  ContactOptions c;
  c.exchanged_from = 70, c.no_colour_from = 60, c.no_colour_to = 130;
  IdentityResolverStats stats;
  const auto out = repair(contact(kBlack, kWhite, c), {}, stats);
  EXPECT_EQ(stats.repaired, 1);
  for (int t = 0; t < 60; ++t) EXPECT_EQ(id_on_top(out[t]), 1) << "frame " << t;
  for (int t = 80; t < 150; ++t) EXPECT_EQ(id_on_top(out[t]), 2) << "frame " << t;
}

TEST(IdentityResolver, RejectsBadOptions) {
  auto message = [](const IdentityResolverOptions& o, double fps = 30) {
    try {
      resolve_identities({}, 0, 3, fps, o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  IdentityResolverOptions o;
  o.contact_bodies = 0;
  EXPECT_EQ(message(o), "identity resolver: contact_bodies = 0: must be > 0");
  o = {};
  o.keep_cost = std::nan("");
  EXPECT_EQ(message(o), "identity resolver: keep_cost = nan: must be >= 0");
  o = {};
  o.iterations = 0;
  EXPECT_EQ(message(o), "identity resolver: iterations = 0: must be >= 1");
  o = {};
  o.backward_bias = -0.5;
  EXPECT_EQ(message(o), "identity resolver: backward_bias = -0.5: must be >= 0");
  o = {};
  o.appearance_weight = -1;
  EXPECT_EQ(message(o), "identity resolver: appearance_weight = -1: must be >= 0");
  o = {};
  o.appearance_min_s = 0;
  EXPECT_EQ(message(o), "identity resolver: appearance_min_s = 0: must be > 0");
  o = {};
  o.contact_overlap = 1.5;
  EXPECT_EQ(message(o), "identity resolver: contact_overlap = 1.5: must be in [0, 1]");
  o = {};
  o.repair_margin = -0.1;
  EXPECT_EQ(message(o), "identity resolver: repair_margin = -0.1: must be >= 0");
  o = {};
  o.repair_min_s = 0;
  EXPECT_EQ(message(o), "identity resolver: repair_min_s = 0: must be > 0");
  EXPECT_EQ(message({}, 0), "identity resolver: fps = 0: must be > 0");
}

}  // namespace
}  // namespace bt::track
