// MOT metrics on small cases computed by hand (the working is in the comments), including
// a swap and swap-back and a track split.
#include <gtest/gtest.h>

#include <cmath>

#include "behavtrack/core/error.h"
#include "behavtrack/track/metrics.h"

namespace bt::track {
namespace {

const Box kA{0, 0, 10, 10}, kB{100, 0, 110, 10};

Instance at(const Box& b, int id) {
  Instance i;
  i.box = b;
  i.keypoints = {{b.x1 + 2, b.y1 + 2, Visibility::kVisible}, {b.x2 - 2, b.y2 - 2, Visibility::kVisible}};
  i.id = TrackId(id);
  return i;
}

std::vector<FrameInstances> frames(const std::vector<std::vector<Instance>>& per_frame) {
  std::vector<FrameInstances> out;
  for (size_t f = 0; f < per_frame.size(); ++f) out.push_back({static_cast<FrameIndex>(f), per_frame[f]});
  return out;
}

TEST(Metrics, PerfectTracking) {
  const auto truth = frames({{at(kA, 1), at(kB, 2)}, {at(kA, 1), at(kB, 2)}, {at(kA, 1), at(kB, 2)}});
  const auto pred = frames({{at(kA, 10), at(kB, 20)}, {at(kA, 10), at(kB, 20)}, {at(kA, 10), at(kB, 20)}});
  const MotMetrics m = evaluate_tracking(truth, pred, {});
  EXPECT_DOUBLE_EQ(m.mota, 1.0);
  EXPECT_DOUBLE_EQ(m.motp, 1.0);
  EXPECT_DOUBLE_EQ(m.idf1, 1.0);
  EXPECT_DOUBLE_EQ(m.hota, 1.0);
  EXPECT_EQ(m.id_switches, 0);
  EXPECT_EQ(m.fragmentations, 0);
  EXPECT_EQ(m.mostly_tracked, 2);
}

TEST(Metrics, SwapAndSwapBack) {
  // Truth: 1 at A, 2 at B in frames 0..3. Prediction swaps ids in frame 1, back in frame 2.
  const auto truth = frames({{at(kA, 1), at(kB, 2)}, {at(kA, 1), at(kB, 2)}, {at(kA, 1), at(kB, 2)},
                             {at(kA, 1), at(kB, 2)}});
  const auto pred = frames({{at(kA, 10), at(kB, 20)}, {at(kA, 20), at(kB, 10)}, {at(kA, 10), at(kB, 20)},
                            {at(kA, 10), at(kB, 20)}});
  const MotMetrics m = evaluate_tracking(truth, pred, {});
  // CLEAR: every box matched (TP 8, FP 0, FN 0); switches: 1 and 2 in frame 1, again in
  // frame 2 -> 4. MOTA = 1 - 4/8 = 0.5. MOTP = mean IoU = 1. Tracked every frame: no frag.
  EXPECT_EQ(m.tp, 8);
  EXPECT_EQ(m.id_switches, 4);
  EXPECT_DOUBLE_EQ(m.mota, 0.5);
  EXPECT_DOUBLE_EQ(m.motp, 1.0);
  EXPECT_EQ(m.fragmentations, 0);
  // Identity: co-occurrence 1-10: 3, 1-20: 1, 2-20: 3, 2-10: 1 -> best mapping 1-10, 2-20,
  // IDTP 6 of 8 truth and 8 predicted: IDF1 = IDP = IDR = 12/16 = 0.75.
  EXPECT_EQ(m.idtp, 6);
  EXPECT_DOUBLE_EQ(m.idf1, 0.75);
  EXPECT_DOUBLE_EQ(m.idp, 0.75);
  EXPECT_DOUBLE_EQ(m.idr, 0.75);
  // HOTA: every frame's pairs have IoU 1 (all alphas): DetA = 1. Matches per id pair equal
  // the co-occurrences; each id has 4 detections. AssA = (3*3/5 + 1*1/7 + 3*3/5 + 1*1/7)/8
  // = 0.485714...; HOTA = sqrt(DetA * AssA) = 0.696932...
  EXPECT_DOUBLE_EQ(m.deta, 1.0);
  EXPECT_NEAR(m.assa, (1.8 + 1.8 + 2.0 / 7) / 8, 1e-12);
  EXPECT_NEAR(m.hota, std::sqrt((1.8 + 1.8 + 2.0 / 7) / 8), 1e-12);
  EXPECT_NEAR(m.loca, 1.0, 1e-12);
}

TEST(Metrics, TrackSplitIntoTwoIds) {
  // Truth 1 at A and 2 at B in frames 0..3. Prediction: 10 at A in frames 0-1, nothing at A
  // in frame 2, then 11 at A in frame 3; 20 follows B throughout.
  const auto truth = frames({{at(kA, 1), at(kB, 2)}, {at(kA, 1), at(kB, 2)}, {at(kA, 1), at(kB, 2)},
                             {at(kA, 1), at(kB, 2)}});
  const auto pred = frames({{at(kA, 10), at(kB, 20)}, {at(kA, 10), at(kB, 20)}, {at(kB, 20)},
                            {at(kA, 11), at(kB, 20)}});
  const MotMetrics m = evaluate_tracking(truth, pred, {});
  // CLEAR: TP 7, FN 1 (A in frame 2), FP 0, one switch (1: 10 -> 11) -> MOTA = 1 - 2/8.
  // Truth 1 is tracked in two runs (frames 0-1 and 3): one fragmentation.
  EXPECT_EQ(m.tp, 7);
  EXPECT_EQ(m.fn, 1);
  EXPECT_EQ(m.fp, 0);
  EXPECT_EQ(m.id_switches, 1);
  EXPECT_EQ(m.fragmentations, 1);
  EXPECT_DOUBLE_EQ(m.mota, 0.75);
  // Identity: 1-10: 2, 1-11: 1, 2-20: 4 -> IDTP 6; truth 8, pred 7.
  // IDF1 = 12/15 = 0.8; IDP = 6/7; IDR = 6/8.
  EXPECT_DOUBLE_EQ(m.idf1, 0.8);
  EXPECT_DOUBLE_EQ(m.idp, 6.0 / 7);
  EXPECT_DOUBLE_EQ(m.idr, 0.75);
  // HOTA: DetA = 7/8. AssA = (2*2/(4+2-2) + 1*1/(4+1-1) + 4*4/(4+4-4)) / 7 = 5.25/7 = 0.75.
  // HOTA = sqrt(0.875 * 0.75).
  EXPECT_DOUBLE_EQ(m.deta, 0.875);
  EXPECT_DOUBLE_EQ(m.assa, 0.75);
  EXPECT_NEAR(m.hota, std::sqrt(0.875 * 0.75), 1e-12);
}

TEST(Metrics, HalfOverlapCountsOnlyBelowAlpha) {
  // One frame, IoU exactly 0.5. CLEAR (threshold 0.5): a match, MOTP 0.5.
  // HOTA: matched for alpha 0.05..0.50 (10 of 19 alphas, DetA = AssA = 1 there), unmatched
  // for the 9 others (0) -> HOTA = DetA = AssA = 10/19. LocA: 0.5 on 10 alphas, 1 on the
  // rest (nothing matched) -> (5 + 9)/19.
  const auto truth = frames({{at(kA, 1)}});
  const auto pred = frames({{at(Box{0, 0, 10, 5}, 7)}});
  const MotMetrics m = evaluate_tracking(truth, pred, {});
  EXPECT_DOUBLE_EQ(m.mota, 1.0);
  EXPECT_DOUBLE_EQ(m.motp, 0.5);
  EXPECT_NEAR(m.hota, 10.0 / 19, 1e-12);
  EXPECT_NEAR(m.deta, 10.0 / 19, 1e-12);
  EXPECT_NEAR(m.assa, 10.0 / 19, 1e-12);
  EXPECT_NEAR(m.loca, 14.0 / 19, 1e-12);
}

TEST(Metrics, FalsePositivesAndMissesLowerMota) {
  // Frame 0: truth A matched, a false box far away. Frame 1: truth A missed.
  // TP 1, FP 1, FN 1 over 2 truth -> MOTA = 1 - 2/2 = 0.
  const auto truth = frames({{at(kA, 1)}, {at(kA, 1)}});
  const auto pred = frames({{at(kA, 5), at(kB, 6)}, {}});
  const MotMetrics m = evaluate_tracking(truth, pred, {});
  EXPECT_EQ(m.fp, 1);
  EXPECT_EQ(m.fn, 1);
  EXPECT_DOUBLE_EQ(m.mota, 0.0);
  EXPECT_DOUBLE_EQ(m.idf1, 2.0 * 1 / (2 + 2));
}

TEST(Metrics, KeypointMatchingUsesOks) {
  // Same boxes, keypoints of the prediction 30 px off: OKS ~ 0, so no keypoint match.
  const auto truth = frames({{at(Box{0, 0, 100, 100}, 1)}});
  Instance p = at(Box{0, 0, 100, 100}, 1);
  for (Keypoint& k : p.keypoints) k.x += 30;
  const auto pred = frames({{p}});
  EvaluateOptions o;
  EXPECT_DOUBLE_EQ(evaluate_tracking(truth, pred, o).mota, 1.0);
  o.match = MatchBy::kKeypoints;
  EXPECT_DOUBLE_EQ(evaluate_tracking(truth, pred, o).mota, -1.0);  // 1 FN + 1 FP over 1
}

TEST(Metrics, InstancesWithoutIdsAreRejected) {
  auto pred = frames({{at(kA, 1)}});
  pred[0].instances[0].id.reset();
  try {
    evaluate_tracking(frames({{at(kA, 1)}}), pred, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "pred: frame 0 instance 0 has no id; evaluate needs tracks");
  }
}

}  // namespace
}  // namespace bt::track
