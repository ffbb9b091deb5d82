#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "behavtrack/analysis/acquisition.h"
#include "behavtrack/core/error.h"

namespace bt::analysis {
namespace {

Instance mouse(double x, double y, float score, float kp_score) {
  Instance m;
  m.box = {x - 20, y - 10, x + 20, y + 10};
  m.score = score;
  m.keypoints = {{x + 15, y, Visibility::kVisible}, {x + 8, y - 5, Visibility::kVisible},
                 {x + 8, y + 5, Visibility::kVisible}, {x - 15, y, Visibility::kVisible}};
  m.keypoint_scores.assign(4, kp_score);
  return m;
}

// What a perfect model predicts on the mirror image of `m` in an image `w` wide: the mirror
// keypoints, with the ears' names swapped (the animal's left ear appears on the other side).
Instance mirror_of(const Instance& m, int w) {
  Instance r = m;
  r.box = {w - m.box.x2, m.box.y1, w - m.box.x1, m.box.y2};
  const int flip[] = {0, 2, 1, 3};
  for (int k = 0; k < 4; ++k) {
    r.keypoints[k] = m.keypoints[flip[k]];
    r.keypoints[k].x = w - r.keypoints[k].x;
  }
  return r;
}

TEST(Acquisition, ConsistentConfidentPredictionIsCertain) {
  const Skeleton s = Skeleton::default_mouse();
  const Instance m = mouse(100, 50, 1.0f, 1.0f);
  const FrameUncertainty u = score_frame({m}, {mirror_of(m, 640)}, s, 640, 1, {});
  EXPECT_NEAR(u.flip, 0.0, 1e-12);
  EXPECT_NEAR(u.total, 0.0, 1e-12);
}

TEST(Acquisition, UnmirrorIsTheInverseOfMirroring) {
  const Skeleton s = Skeleton::default_mouse();
  const Instance m = mouse(100, 50, 0.9f, 0.8f);
  const Instance back = unmirror({mirror_of(m, 640)}, s, 640)[0];
  EXPECT_EQ(back.box, m.box);
  EXPECT_EQ(back.keypoints, m.keypoints);
}

TEST(Acquisition, EachTermOnAHandCase) {
  const Skeleton s = Skeleton::default_mouse();
  const Instance m = mouse(100, 50, 0.6f, 0.5f);
  Instance wrong = mirror_of(m, 640);
  std::swap(wrong.keypoints[0], wrong.keypoints[3]);  // nose and tail confused in the mirror
  const FrameUncertainty u = score_frame({m}, {wrong}, s, 640, 2, {});
  EXPECT_NEAR(u.detection, 0.4, 1e-6);
  EXPECT_NEAR(u.keypoints, 0.5, 1e-6);
  // Nose and tail each 30 px off over a 44.72 px diagonal; ears exact: (2 * 30/44.72) / 4.
  EXPECT_NEAR(u.flip, 2 * (30 / std::hypot(40.0, 20.0)) / 4, 1e-9);
  EXPECT_NEAR(u.count, 0.5, 1e-12);  // 1 mouse of 2 expected
  EXPECT_NEAR(u.total, u.detection + u.keypoints + 2 * u.flip + u.count, 1e-12);  // the default weights
}

TEST(Acquisition, NothingDetectedWhenMiceAreExpectedIsMaximallyUncertain) {
  const FrameUncertainty u = score_frame({}, {}, Skeleton::default_mouse(), 640, 3, {});
  EXPECT_EQ(u.detection, 1.0);
  EXPECT_EQ(u.count, 1.0);
}

std::vector<Candidate> pool_of(const std::vector<std::pair<float, double>>& feature_and_uncertainty) {
  std::vector<Candidate> pool;
  for (std::size_t i = 0; i < feature_and_uncertainty.size(); ++i)
    pool.push_back({static_cast<std::int64_t>(i), static_cast<int>(i % 2),
                    {feature_and_uncertainty[i].first, 0.0f}, feature_and_uncertainty[i].second});
  return pool;
}

TEST(Acquisition, UncertaintySkipsNearDuplicates) {
  // Frames 0 and 1 are near-identical and the most uncertain; 2 and 3 are far apart.
  const auto pool = pool_of({{0.0f, 0.9}, {0.001f, 0.85}, {1.0f, 0.5}, {2.0f, 0.1}});
  EXPECT_EQ(select_frames(pool, {}, 2, Strategy::kUncertainty, 1), (std::vector<std::size_t>{0, 2}));
  // Asked for everything, the duplicate comes last.
  EXPECT_EQ(select_frames(pool, {}, 4, Strategy::kUncertainty, 1), (std::vector<std::size_t>{0, 2, 3, 1}));
}

TEST(Acquisition, DiversityPicksFarthestFromLabelled) {
  const auto pool = pool_of({{0.1f, 0.9}, {5.0f, 0.0}, {2.5f, 0.0}});
  // Labelled frame at 0: the farthest is 5, then 2.5 (halfway between 0 and 5).
  EXPECT_EQ(select_frames(pool, {{0.0f, 0.0f}}, 2, Strategy::kDiversity, 1), (std::vector<std::size_t>{1, 2}));
}

TEST(Acquisition, HybridNeedsBothUncertaintyAndNovelty) {
  // 0: novel but certain; 1: uncertain but a copy of a labelled frame; 2: both.
  const auto pool = pool_of({{5.0f, 0.05}, {0.0f, 1.0}, {4.0f, 0.8}});
  EXPECT_EQ(select_frames(pool, {{0.0f, 0.0f}}, 1, Strategy::kHybrid, 1), (std::vector<std::size_t>{2}));
}

TEST(Acquisition, HybridLeansTowardsDiversityBeforeItsRamp) {
  // 0: far from the labelled frame but fairly certain; 1: near it and the most uncertain.
  const auto pool = pool_of({{10.0f, 0.1}, {3.0f, 1.0}});
  const std::vector<std::vector<float>> one_labelled = {{0.0f, 0.0f}};
  // Full uncertainty weight: 0.1 x 1 < 1 x 0.3, the uncertain frame.
  EXPECT_EQ(select_frames(pool, one_labelled, 1, Strategy::kHybrid, 1, 0), (std::vector<std::size_t>{1}));
  EXPECT_EQ(select_frames(pool, one_labelled, 1, Strategy::kHybrid, 1, 1), (std::vector<std::size_t>{1}));
  // 1 labelled frame of a 40-frame ramp: weight 0.1^(1/40) = 0.94 x 1 > 1 x 0.3, the far frame.
  EXPECT_EQ(select_frames(pool, one_labelled, 1, Strategy::kHybrid, 1, 40), (std::vector<std::size_t>{0}));
}

TEST(Acquisition, RandomStratifiedIsSeededAndCoversStrata) {
  std::vector<Candidate> pool;
  for (int i = 0; i < 40; ++i) pool.push_back({i, i < 30 ? 0 : 1, {static_cast<float>(i)}, 0});
  const auto a = select_frames(pool, {}, 8, Strategy::kRandomStratified, 7);
  EXPECT_EQ(a, select_frames(pool, {}, 8, Strategy::kRandomStratified, 7));
  EXPECT_NE(a, select_frames(pool, {}, 8, Strategy::kRandomStratified, 8));
  ASSERT_EQ(a.size(), 8u);
  const auto from_small = std::count_if(a.begin(), a.end(), [&](std::size_t i) { return pool[i].stratum == 1; });
  EXPECT_EQ(from_small, 2);  // quota floor(10/40 * 8) = 2
  EXPECT_EQ(std::set<std::size_t>(a.begin(), a.end()).size(), 8u);
}

TEST(Acquisition, RandomStratifiedPicksNoMoreThanAskedWhenStrataOutnumberIt) {
  // 8 strata of 10, 30, 5, ... frames; 3 asked for: one each from the 3 largest strata
  // (BehavTrack's one-per-stratum floor would give 8).
  const std::vector<int> sizes = {10, 30, 5, 4, 20, 3, 2, 6};
  std::vector<Candidate> pool;
  for (int s = 0; s < static_cast<int>(sizes.size()); ++s)
    for (int i = 0; i < sizes[s]; ++i) pool.push_back({static_cast<std::int64_t>(pool.size()), s, {0.0f}, 0});
  const auto picked = select_frames(pool, {}, 3, Strategy::kRandomStratified, 7);
  ASSERT_EQ(picked.size(), 3u);
  std::set<int> strata;
  for (std::size_t i : picked) strata.insert(pool[i].stratum);
  EXPECT_EQ(strata, (std::set<int>{0, 1, 4}));
  EXPECT_EQ(select_frames(pool, {}, 8, Strategy::kRandomStratified, 7).size(), 8u);
}

TEST(Acquisition, PoseLayoutFeatureSaysWhereHowCrowdedHowStretchedAndWhichWay) {
  // mouse(): box 40 x 20 (short over long 0.5), nose 15 px right of the centre, tail base
  // 15 px left: facing +x (quadrant 0). Image 400 x 400: grid cells 100 px.
  const Instance left_top = mouse(50, 50, 1, 1), right_bottom = mouse(350, 350, 1, 1);
  std::vector<float> f = pose_layout_feature({left_top, right_bottom}, 400, 400, 2);
  ASSERT_EQ(f.size(), 29u);
  EXPECT_FLOAT_EQ(f[0], 0.5f) << "grid cell (0, 0)";
  EXPECT_FLOAT_EQ(f[15], 0.5f) << "grid cell (3, 3)";
  EXPECT_FLOAT_EQ(f[16 + 3], 1.0f) << "both 10 body lengths from the other: the farthest bin";
  EXPECT_FLOAT_EQ(f[20 + 1], 1.0f) << "short over long side 0.5: the second bin";
  EXPECT_FLOAT_EQ(f[24 + 0], 1.0f) << "both face +x";
  EXPECT_FLOAT_EQ(f[28], 0.0f) << "as many mice as expected";

  // Touching (centres 10 px apart, a quarter body length), one of three missing; a square
  // box; a mouse facing up the image (-y: quadrant 3).
  Instance square = mouse(60, 50, 1, 1);
  square.box = {40, 30, 80, 70};
  square.keypoints = {{60, 35, Visibility::kVisible}, {55, 42, Visibility::kVisible},
                      {65, 42, Visibility::kVisible}, {60, 65, Visibility::kVisible}};  // nose above the tail base
  f = pose_layout_feature({left_top, square}, 400, 400, 3);
  EXPECT_NEAR(f[0], 2.0 / 3, 1e-6) << "both in cell (0, 0), a third each of the three expected";
  EXPECT_NEAR(f[16 + 0], 2.0 / 3, 1e-6) << "both within half a body length of the other";
  EXPECT_NEAR(f[20 + 3], 1.0 / 3, 1e-6) << "the square box";
  EXPECT_NEAR(f[24 + 3], 1.0 / 3, 1e-6) << "the mouse facing up";
  EXPECT_NEAR(f[28], 1.0 / 3, 1e-6) << "one of three missing";

  // A lone mouse has no neighbour: the crowding bins stay empty; no mice, no layout.
  f = pose_layout_feature({left_top}, 400, 400, 1);
  for (int b = 16; b < 20; ++b) EXPECT_EQ(f[b], 0.0f) << "bin " << b;
  f = pose_layout_feature({}, 400, 400, 2);
  EXPECT_EQ(std::count(f.begin(), f.end(), 0.0f), 28) << "only the count term is set";
  EXPECT_FLOAT_EQ(f[28], 1.0f);
}

TEST(Acquisition, DiversityFeaturesByName) {
  EXPECT_EQ(diversity_features_from_string("layout"), DiversityFeatures::kLayout);
  EXPECT_EQ(diversity_features_from_string("appearance"), DiversityFeatures::kAppearance);
  EXPECT_STREQ(to_string(DiversityFeatures::kLayout), "layout");
  EXPECT_STREQ(to_string(DiversityFeatures::kAppearance), "appearance");
  try {
    diversity_features_from_string("colour");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "diversity features 'colour': expected appearance or layout");
  }
}

TEST(Acquisition, UnknownStrategyNamesTheValue) {
  try {
    strategy_from_string("greedy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "strategy 'greedy': expected uncertainty, diversity, hybrid or random-stratified");
  }
}

}  // namespace
}  // namespace bt::analysis
