// OKS, COCO AP and keypoint errors on hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "behavtrack/core/error.h"
#include "behavtrack/pose/metrics.h"

namespace bt::pose {
namespace {

Instance square_mouse(double x, double y, float score = 1.0f) {
  Instance m;
  m.box = Box::from_xywh(x, y, 100, 100);
  m.score = score;
  for (int k = 0; k < 4; ++k) m.keypoints.push_back({x + 20.0 * (k + 1), y + 50, Visibility::kVisible});
  return m;
}

TEST(PoseMetrics, OksOfAHandComputedOffset) {
  const Instance truth = square_mouse(0, 0);
  Instance pred = truth;
  pred.keypoints[0].x += 10;  // one keypoint 10 px off, the others exact
  const std::vector<double> sigmas(4, 0.25);
  // e = d^2 / (2 s^2 (2 sigma)^2) with s^2 = 100 * 100 * 0.53 = 5300: 100 / (2 * 5300 * 0.25)
  const double e = 100.0 / (2 * 5300 * 0.25);
  EXPECT_NEAR(oks(pred, truth, sigmas, 0.53), (3 + std::exp(-e)) / 4, 1e-9);
  EXPECT_NEAR(oks(truth, truth, sigmas, 0.53), 1.0, 1e-12);
  // Unlabelled keypoints do not count.
  Instance partial = truth;
  partial.keypoints[1].v = Visibility::kAbsent;
  partial.keypoints[2].v = Visibility::kAbsent;
  partial.keypoints[3].v = Visibility::kAbsent;
  EXPECT_NEAR(oks(pred, partial, sigmas, 0.53), std::exp(-e), 1e-9);
}

TEST(PoseMetrics, AveragePrecisionOfHandCases) {
  // Two truths; predictions by score: TP, FP, TP. Precision envelope: 1 up to recall 0.5,
  // then 2/3 up to recall 1: AP = (51 * 1 + 50 * 2/3) / 101.
  EXPECT_NEAR(average_precision({0.9f, 0.8f, 0.7f}, {true, false, true}, 2),
              (51 + 50 * 2.0 / 3) / 101, 1e-9);
  EXPECT_NEAR(average_precision({0.9f}, {true}, 1), 1.0, 1e-12);
  // Half the truths found, perfectly: precision 1 up to recall 0.5 (51 of 101 points).
  EXPECT_NEAR(average_precision({0.9f}, {true}, 2), 51.0 / 101, 1e-12);
  EXPECT_EQ(average_precision({}, {}, 3), 0.0);
}

TEST(PoseMetrics, EvaluateCountsMissesAndKeypointErrors) {
  const Skeleton sk = Skeleton::default_mouse();
  // Image 0: one mouse found with its nose 3 px and tail 12 px off. Image 1: mouse missed,
  // one false positive far away.
  std::vector<std::vector<Instance>> truth = {{square_mouse(0, 0)}, {square_mouse(300, 300)}};
  Instance p0 = square_mouse(0, 0, 0.9f);
  p0.keypoints[0].x += 3;
  p0.keypoints[3].y += 12;
  std::vector<std::vector<Instance>> pred = {{p0}, {square_mouse(0, 0, 0.8f)}};
  const PoseMetrics m = evaluate_pose(truth, pred, sk, {});
  EXPECT_EQ(m.n_truth, 2);
  EXPECT_EQ(m.n_matched, 1);
  EXPECT_EQ(m.n_missed, 1);
  // Box AP50: TP (0.9) then FP (0.8) over 2 truths: precision 1 up to recall 0.5.
  EXPECT_NEAR(m.box_ap50, 51.0 / 101, 1e-9);
  EXPECT_NEAR(m.rmse_px, std::sqrt((9.0 + 144.0) / 4), 1e-9);
  EXPECT_NEAR(m.mean_error_px, (3.0 + 12.0) / 4, 1e-9);
  EXPECT_NEAR(m.pck5, 3.0 / 4, 1e-12);
  EXPECT_NEAR(m.pck10, 3.0 / 4, 1e-12);
  ASSERT_EQ(m.per_keypoint.size(), 4u);
  EXPECT_EQ(m.per_keypoint[3].name, "tailB");
  EXPECT_NEAR(m.per_keypoint[3].rmse_px, 12, 1e-9);
  EXPECT_EQ(m.per_keypoint[3].pck10, 0.0);
  EXPECT_EQ(m.per_keypoint[0].pck5, 1.0);
}

TEST(PoseMetrics, PerfectPredictionsScoreOne) {
  std::vector<std::vector<Instance>> truth = {{square_mouse(0, 0), square_mouse(200, 0)}};
  const PoseMetrics m = evaluate_pose(truth, truth, Skeleton::default_mouse(), {});
  EXPECT_DOUBLE_EQ(m.box_ap50_95, 1.0);
  EXPECT_DOUBLE_EQ(m.oks_ap50_95, 1.0);
  EXPECT_DOUBLE_EQ(m.rmse_px, 0.0);
  EXPECT_DOUBLE_EQ(m.pck5, 1.0);
}

TEST(PoseMetrics, RejectsSigmasOfTheWrongLength) {
  MetricsOptions o;
  o.sigmas = {0.1, 0.1};
  try {
    evaluate_pose({}, {}, Skeleton::default_mouse(), o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "sigmas: 2 values for 4 keypoints");
  }
}

}  // namespace
}  // namespace bt::pose
