// The offline pass's colour repair (colour_repair.h) on a hand-made contact that both mice
// are detected through, so no episode opens there: an exchange between coats is undone,
// for good or only where it lasted, a correct contact, a flicker and two mice of one coat
// are left alone, and it can be off.
#include <gtest/gtest.h>

#include "behavtrack/track/identity_resolver.h"

namespace bt::track {
namespace {

// A detected mouse: box 60 x 30 centred at (cx, cy), nose 25 px right, tail base 25 px left.
Instance detected_mouse(int id, double cx, double cy) {
  Instance m;
  m.id = TrackId(id);
  m.box = Box::from_cxcywh(cx, cy, 60, 30);
  m.keypoints = {{cx + 25, cy, Visibility::kVisible},
                 {cx + 15, cy - 6, Visibility::kVisible},
                 {cx + 15, cy + 6, Visibility::kVisible},
                 {cx - 25, cy, Visibility::kVisible}};
  m.score = 0.9f;
  return m;
}

// Mouse 1 stays at y = 100; mouse 2 waits at y = 300, comes to touch it (y = 135, 35 px:
// closer than 0.8 body lengths) in frames 60..79 and goes back. Both are detected in every
// frame. Ids follow position (top: 1), as a tracker that lost them in a fight gives them:
// in frames [exchanged_from, exchanged_to) the mouse with coat_a is the lower one.
struct Scene {
  std::vector<FrameInstances> tracked, detections;
  std::vector<std::vector<Appearance>> histograms;
};
Scene contact(const Appearance& coat_a, const Appearance& coat_b, int exchanged_from = 150, int exchanged_to = 150) {
  Scene s;
  for (int t = 0; t < 150; ++t) {
    const bool touching = t >= 60 && t < 80, exchanged = t >= exchanged_from && t < exchanged_to;
    FrameInstances f{t, {detected_mouse(1, 200, 100), detected_mouse(2, 200, touching ? 135 : 300)}};
    s.tracked.push_back(f);
    for (Instance& i : f.instances) i.id.reset();
    s.detections.push_back(f);
    s.histograms.push_back({exchanged ? coat_b : coat_a, exchanged ? coat_a : coat_b});
  }
  return s;
}

int id_on_top(const FrameInstances& f) {
  for (const Instance& i : f.instances)
    if (i.box.cy() < 110) return i.id->value;
  return 0;
}

const Appearance kBlack = {0.7f, 0.2f, 0.1f, 0.0f}, kWhite = {0.0f, 0.1f, 0.2f, 0.7f};

std::vector<FrameInstances> resolve(const Scene& s, const IdentityResolverOptions& o, IdentityResolverStats& stats) {
  const HeldHistograms held(s.histograms);
  const DetectionAppearances colours{s.detections, held};
  return resolve_identities(s.tracked, 0, 3, 30, o, &stats, &s.tracked, &colours);
}

TEST(ColourRepair, UndoesAnExchangeBetweenCoatsWhereBothMiceWereDetected) {
  // The mice came out of the contact exchanged (from frame 75) and stay so.
  IdentityResolverStats stats;
  const auto out = resolve(contact(kBlack, kWhite, 75), {}, stats);
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
  const auto out = resolve(contact(kBlack, kWhite, 64, 74), {}, stats);
  EXPECT_EQ(stats.repaired, 1);
  for (int t = 0; t < 61; ++t) EXPECT_EQ(id_on_top(out[t]), 1) << "frame " << t;
  for (int t = 67; t < 71; ++t) EXPECT_EQ(id_on_top(out[t]), 2) << "frame " << t;
  for (int t = 77; t < 150; ++t) EXPECT_EQ(id_on_top(out[t]), 1) << "frame " << t;
}

TEST(ColourRepair, LeavesACorrectContactAndAFlickerAlone) {
  IdentityResolverStats stats;
  auto out = resolve(contact(kBlack, kWhite), {}, stats);
  EXPECT_EQ(stats.repaired, 0);
  EXPECT_EQ(id_on_top(out.back()), 1);
  // Two frames that look exchanged are shorter than repair_min_s (3 frames) once averaged.
  out = resolve(contact(kBlack, kWhite, 70, 72), {}, stats);
  EXPECT_EQ(stats.repaired, 0);
  for (const FrameInstances& f : out) EXPECT_EQ(id_on_top(f), 1) << "frame " << f.frame;
}

TEST(ColourRepair, SameCoatsDoNotPretend) {
  const Appearance black_a = {0.70f, 0.20f, 0.10f, 0.00f}, black_b = {0.66f, 0.22f, 0.10f, 0.02f};
  IdentityResolverStats stats;
  const auto out = resolve(contact(black_a, black_b, 75), {}, stats);
  EXPECT_EQ(stats.repaired, 0);
  EXPECT_EQ(id_on_top(out.back()), 1);
}

TEST(ColourRepair, OffWithAZeroMarginOrWithoutHistograms) {
  IdentityResolverOptions o;
  o.repair_margin = 0;
  IdentityResolverStats stats;
  auto out = resolve(contact(kBlack, kWhite, 75), o, stats);
  EXPECT_EQ(stats.repaired, 0);
  EXPECT_EQ(id_on_top(out.back()), 1);
  const Scene s = contact(kBlack, kWhite, 75);
  out = resolve_identities(s.tracked, 0, 3, 30, {}, &stats, &s.tracked);
  EXPECT_EQ(stats.repaired, 0);
  EXPECT_EQ(id_on_top(out.back()), 1);
}

TEST(ColourRepair, LooksOnlyAsFarAsTheWindowAfterTheContact) {
  // Exchanged from frame 115 on, 35 frames after the contact ended: not a contact's doing
  // as far as the repair can tell (repair_window_s = 1 s), so left alone; a longer window
  // reaches it.
  IdentityResolverStats stats;
  resolve(contact(kBlack, kWhite, 115), {}, stats);
  EXPECT_EQ(stats.repaired, 0);
  IdentityResolverOptions o;
  o.repair_window_s = 2;
  const auto out = resolve(contact(kBlack, kWhite, 115), o, stats);
  EXPECT_EQ(stats.repaired, 1);
  EXPECT_EQ(id_on_top(out.back()), 2);
}

}  // namespace
}  // namespace bt::track
