// The streaming tracker on small hand-made scenes: crossings, a mouse that hides, gap
// interpolation, bounded output delay, head/tail flips, and input errors.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "behavtrack/core/error.h"
#include "behavtrack/track/track_state.h"
#include "behavtrack/track/tracker.h"
#include "track_fixtures.h"

namespace bt::track {
namespace {

// A mouse heading along (dx, dy): box 60 x 30 (or 30 x 60), nose ahead of the tail.
Instance mouse(double cx, double cy, double dx, double dy, double score = 0.9) {
  Instance m;
  const bool horizontal = std::abs(dx) >= std::abs(dy);
  m.box = Box::from_cxcywh(cx, cy, horizontal ? 60 : 30, horizontal ? 30 : 60);
  const double n = std::hypot(dx, dy) > 0 ? std::hypot(dx, dy) : 1, ux = dx / n, uy = dy / n;
  m.keypoints = {{cx + 25 * ux, cy + 25 * uy, Visibility::kVisible},
                 {cx + 15 * ux - 6 * uy, cy + 15 * uy + 6 * ux, Visibility::kVisible},
                 {cx + 15 * ux + 6 * uy, cy + 15 * uy - 6 * ux, Visibility::kVisible},
                 {cx - 25 * ux, cy - 25 * uy, Visibility::kVisible}};
  m.score = static_cast<float>(score);
  return m;
}

std::vector<FrameInstances> run(const TrackerOptions& o, const std::vector<FrameInstances>& dets) {
  return test::track_all(o, dets);
}

// The id of the instance nearest (x, y) in a frame, or 0.
int id_near(const FrameInstances& f, double x, double y) {
  for (const Instance& i : f.instances)
    if (std::hypot(i.box.cx() - x, i.box.cy() - y) < 15) return i.id->value;
  return 0;
}

TEST(Tracker, TwoMiceCrossingKeepTheirIds) {
  // Mouse a runs right along y = 200, mouse b runs left along y = 210: their boxes overlap
  // for several frames in the middle.
  std::vector<FrameInstances> dets;
  for (int f = 0; f < 90; ++f)
    dets.push_back({f, {mouse(100 + 5 * f, 200, 1, 0), mouse(550 - 5 * f, 210, -1, 0)}});
  TrackerOptions o;
  o.animals = 2;
  const auto out = run(o, dets);
  ASSERT_EQ(out.size(), 90u);
  const int a = id_near(out[0], 100, 200), b = id_near(out[0], 550, 210);
  ASSERT_NE(a, 0);
  ASSERT_NE(b, 0);
  EXPECT_NE(a, b);
  EXPECT_EQ(id_near(out[89], 100 + 5 * 89, 200), a);
  EXPECT_EQ(id_near(out[89], 550 - 5 * 89, 210), b);
}

TEST(Tracker, HiddenMouseKeepsItsIdWithAKnownCount) {
  // Mouse b hides for 2 s (60 frames) and reappears 40 px away; with --animals 2 it gets
  // its own id back; with an unknown count (lost after 1 s) it becomes a third id.
  std::vector<FrameInstances> dets;
  for (int f = 0; f < 150; ++f) {
    FrameInstances fr{f, {mouse(100, 100, 1, 0)}};
    if (f < 40) fr.instances.push_back(mouse(400, 300, 1, 0));
    if (f >= 100) fr.instances.push_back(mouse(440, 300, 1, 0));
    dets.push_back(fr);
  }
  TrackerOptions known;
  known.animals = 2;
  auto out = run(known, dets);
  const int b = id_near(out[10], 400, 300);
  EXPECT_EQ(id_near(out[140], 440, 300), b);
  std::set<int> ids;
  for (const auto& f : out)
    for (const auto& i : f.instances) ids.insert(i.id->value);
  EXPECT_EQ(ids, (std::set<int>{1, 2}));

  TrackerOptions unknown;
  unknown.max_lost_s = 1.0;
  out = run(unknown, dets);
  EXPECT_EQ(id_near(out[140], 440, 300), 3);
}

TEST(Tracker, AmbiguousDetectionInAPileGoesToNeither) {
  // Two mice lie side by side (boxes overlapping). In frame 30 one box is dropped and the
  // only detection sits half-way between them: either could own it. With a switch margin
  // neither takes it and both are filled in by interpolation (score 0); without, one of
  // them takes it (the coin toss that swaps ids in a spinning pile).
  std::vector<FrameInstances> dets;
  for (int f = 0; f < 60; ++f) {
    if (f == 30) dets.push_back({f, {mouse(210, 202, 1, 0)}});
    else dets.push_back({f, {mouse(200, 200, 1, 0), mouse(220, 204, 1, 0)}});
  }
  TrackerOptions o;
  o.animals = 2;
  auto out = run(o, dets);
  ASSERT_EQ(out.size(), 60u);
  ASSERT_EQ(out[30].instances.size(), 2u);
  for (const Instance& i : out[30].instances) EXPECT_EQ(i.score, 0.0f) << "frame 30 should be interpolated";
  EXPECT_EQ(id_near(out[59], 200, 200), id_near(out[0], 200, 200));

  o.switch_margin = 0;
  out = run(o, dets);
  int taken = 0;
  for (const Instance& i : out[30].instances) taken += i.score > 0;
  EXPECT_EQ(taken, 1);
}

TEST(Tracker, ShortGapsAreInterpolatedLongOnesAreNot) {
  std::vector<FrameInstances> dets;
  for (int f = 0; f < 60; ++f) {
    FrameInstances fr{f, {}};
    const bool hidden = (f >= 10 && f < 15) || (f >= 20 && f < 55);  // 5 frames, then 35
    if (!hidden) fr.instances.push_back(mouse(100 + 2 * f, 100, 1, 0));
    dets.push_back(fr);
  }
  TrackerOptions o;
  o.animals = 1;
  o.max_gap_s = 0.5;  // 15 frames at 30 fps
  o.smooth_s = 0;
  const auto out = run(o, dets);
  ASSERT_EQ(out.size(), 60u);
  ASSERT_EQ(out[12].instances.size(), 1u);
  EXPECT_NEAR(out[12].instances[0].box.cx(), 124, 1e-6);  // halfway along the line
  EXPECT_FLOAT_EQ(out[12].instances[0].score, 0.0f);      // marks an interpolated box
  EXPECT_EQ(out[12].instances[0].keypoints[0].v, Visibility::kOccluded);
  EXPECT_TRUE(out[30].instances.empty());                 // 35-frame gap stays empty
  EXPECT_EQ(out[56].instances[0].id, out[5].instances[0].id);
}

TEST(Tracker, OutputDelayIsBoundedByTheLag) {
  TrackerOptions o;
  o.animals = 1;
  Tracker tracker(o, Skeleton::default_mouse(), 30, 640, 480);
  size_t emitted = 0;
  for (int f = 0; f < 300; ++f) {
    emitted += tracker.push({f, {mouse(100 + f, 100, 1, 0)}}).size();
    EXPECT_EQ(static_cast<int>(emitted), std::max(0, f + 1 - tracker.lag_frames()));
  }
  EXPECT_LE(tracker.lag_frames(), 31);  // max_gap_s = 1 s at 30 fps, + 1
  emitted += tracker.flush().size();
  EXPECT_EQ(emitted, 300u);
}

TEST(Tracker, SmoothingReducesKeypointJitter) {
  std::vector<FrameInstances> dets;
  for (int f = 0; f < 60; ++f) {
    Instance m = mouse(100 + 2 * f, 100, 1, 0);
    m.keypoints[0].y += (f % 2 ? 3 : -3);  // +-3 px jitter on the nose
    dets.push_back({f, {m}});
  }
  TrackerOptions o;
  o.animals = 1;
  o.smooth_s = 0.2;
  const auto out = run(o, dets);
  for (int f = 10; f < 50; ++f) EXPECT_NEAR(out[f].instances[0].keypoints[0].y, 100, 1.0) << f;
}

TEST(Tracker, SingleFlippedDetectionIsTurnedBack) {
  std::vector<FrameInstances> dets;
  for (int f = 0; f < 40; ++f) {
    Instance m = mouse(100 + 3 * f, 100, 1, 0);
    if (f == 20) std::swap(m.keypoints[0], m.keypoints[3]);
    dets.push_back({f, {m}});
  }
  TrackerOptions o;
  o.animals = 1;
  o.smooth_s = 0;
  const auto out = run(o, dets);
  const Instance& i = out[20].instances[0];
  EXPECT_GT(i.keypoints[0].x, i.keypoints[3].x);  // nose ahead again
}

TEST(Tracker, StillMouseWhoseFirstDetectionWasFlippedFollowsTheDetector) {
  // A mouse that does not move, so its motion cannot vote: only its first detection has
  // nose and tail base exchanged. The track starts backwards; the detections that follow
  // all contradict it, and after flip_trust_detector_s it takes theirs, turning back the
  // frames of that run. A single flipped detection later on is still turned back.
  std::vector<FrameInstances> dets;
  for (int f = 0; f < 40; ++f) {
    Instance m = mouse(200, 200, 1, 0);
    if (f == 0 || f == 25) std::swap(m.keypoints[0], m.keypoints[3]);
    dets.push_back({f, {m}});
  }
  TrackerOptions o;
  o.animals = 1;
  o.smooth_s = 0;
  const auto out = run(o, dets);
  for (int f = 1; f < 40; ++f)
    EXPECT_GT(out[f].instances[0].keypoints[0].x, out[f].instances[0].keypoints[3].x) << f;
}

TEST(Tracker, TrackStartedBackwardsIsTurnedByItsMotion) {
  // Every detection has nose and tail base exchanged, so history alone would keep the
  // error; running at 4 body lengths/s the track turns itself around after flip_after_s.
  std::vector<FrameInstances> dets;
  for (int f = 0; f < 60; ++f) {
    Instance m = mouse(100 + 9 * f, 200, 1, 0);
    std::swap(m.keypoints[0], m.keypoints[3]);
    dets.push_back({f, {m}});
  }
  TrackerOptions o;
  o.animals = 1;
  o.smooth_s = 0;
  const auto out = run(o, dets);
  EXPECT_LT(out[2].instances[0].keypoints[0].x, out[2].instances[0].keypoints[3].x);  // not yet
  for (int f = 30; f < 60; ++f) EXPECT_GT(out[f].instances[0].keypoints[0].x, out[f].instances[0].keypoints[3].x) << f;
}

// A mouse turning in place, 30 degrees a frame: its pose at heading `degrees`.
Instance turned_mouse(double degrees) {
  const double a = degrees * M_PI / 180;
  return mouse(300, 200, std::cos(a), std::sin(a));
}

TEST(Tracker, TurningMouseIsPredictedOnItsTurn) {
  TrackerOptions o;
  const TrackerFrames frames = to_frames(o, 30);
  Track track(o, frames, turned_mouse(0), 0, 30);
  track.predict();
  track.update(turned_mouse(30), 1);
  track.predict();
  // The nose, 25 px ahead of the centre, goes on turning: 60 degrees now.
  const Keypoint& nose = track.predicted().keypoints[0];
  EXPECT_NEAR(nose.x, 300 + 25 * std::cos(M_PI / 3), 3);
  EXPECT_NEAR(nose.y, 200 + 25 * std::sin(M_PI / 3), 3);
  // Each keypoint on its own velocity leaves the circle along the tangent instead. (A Track
  // keeps a pointer to its options, so this one gets its own.)
  TrackerOptions own_velocities = o;
  own_velocities.turn_model = false;
  Track straight(own_velocities, frames, turned_mouse(0), 0, 30);
  straight.predict();
  straight.update(turned_mouse(30), 1);
  straight.predict();
  EXPECT_GT(std::hypot(straight.predicted().keypoints[0].x - nose.x, straight.predicted().keypoints[0].y - nose.y), 5);
}

TEST(Tracker, LowScoreDetectionsContinueButNeverStartTracks) {
  std::vector<FrameInstances> dets;
  for (int f = 0; f < 30; ++f) {
    FrameInstances fr{f, {mouse(100 + 2 * f, 100, 1, 0, f < 10 ? 0.9 : 0.3)}};
    fr.instances.push_back(mouse(400, 400, 1, 0, 0.3));  // never high: never a track
    dets.push_back(fr);
  }
  const auto out = run(TrackerOptions{}, dets);
  for (const auto& f : out) {
    ASSERT_EQ(f.instances.size(), 1u) << f.frame;
    EXPECT_EQ(f.instances[0].id, TrackId(1));
  }
}

TEST(Tracker, KnownCountNeverExceeded) {
  // Three persistent boxes but --animals 2: only two ids exist.
  std::vector<FrameInstances> dets;
  for (int f = 0; f < 30; ++f)
    dets.push_back({f, {mouse(100, 100, 1, 0), mouse(300, 100, 1, 0), mouse(500, 300, 1, 0)}});
  TrackerOptions o;
  o.animals = 2;
  std::set<int> ids;
  for (const auto& f : run(o, dets))
    for (const auto& i : f.instances) ids.insert(i.id->value);
  EXPECT_EQ(ids, (std::set<int>{1, 2}));
}

TEST(Tracker, RejectsFramesOutOfOrder) {
  Tracker t(TrackerOptions{}, Skeleton::default_mouse(), 30, 640, 480);
  t.push({5, {}});
  try {
    t.push({5, {}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "tracker: frame 5 pushed after frame 5; frames must increase");
  }
}

TEST(Tracker, RejectsDetectionsOfAnotherSkeleton) {
  Tracker t(TrackerOptions{}, Skeleton::default_mouse(), 30, 640, 480);
  Instance m = mouse(100, 100, 1, 0);
  m.keypoints.pop_back();
  try {
    t.push({0, {m}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "detections: frame 0 instance 0 has 3 keypoints; the skeleton has 4");
  }
}

TEST(Tracker, OptionsNameTheBadField) {
  TrackerOptions o;
  o.max_gap_s = std::nan("");
  try {
    o.validate();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "tracker options: max_gap_s = nan: must be in [0, 60]");
  }
  EXPECT_THROW(Tracker(TrackerOptions{}, Skeleton::default_mouse(), 0, 640, 480), Error);
}

}  // namespace
}  // namespace bt::track
