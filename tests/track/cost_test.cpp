// Association costs and the appearance cue on hand cases.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <opencv2/imgproc.hpp>

#include "behavtrack/core/error.h"
#include "behavtrack/track/appearance.h"
#include "behavtrack/track/association.h"
#include "behavtrack/track/cost.h"

namespace bt::track {
namespace {

Instance make(const Box& b) {
  Instance i;
  i.box = b;
  i.keypoints = {{b.x1 + 5, b.cy(), Visibility::kVisible}, {b.cx(), b.y1 + 3, Visibility::kVisible},
                 {b.cx(), b.y2 - 3, Visibility::kVisible}, {b.x2 - 5, b.cy(), Visibility::kVisible}};
  return i;
}

TEST(Cost, MixedCostOnHandCases) {
  const Instance a = make({0, 0, 60, 30});
  EXPECT_NEAR(mixed_cost(a, a, CostWeights{}), 0.0, 1e-12);
  // Far apart: IoU 0 (0.4), centre distance capped at 1 (0.3), OKS ~0 (0.3).
  EXPECT_NEAR(mixed_cost(a, make({300, 300, 360, 330}), CostWeights{}), 1.0, 1e-9);
  // Shifted 30 px right: IoU = 30*30 / (2*1800 - 900) = 1/3; centre 30 / diag(60, 30).
  const double diag = std::hypot(60.0, 30.0);
  CostWeights box_only{0.5, 0.5, 0.0, 0.15};
  EXPECT_NEAR(mixed_cost(a, make({30, 0, 90, 30}), box_only), 0.5 * (1 - 1.0 / 3) + 0.5 * 30 / diag, 1e-9);
}

TEST(Cost, OksIsOneForIdenticalKeypointsAndDropsWithDistance) {
  const Instance a = make({0, 0, 100, 100});
  EXPECT_DOUBLE_EQ(oks(a, a, 0.1), 1.0);
  Instance b = a;
  for (Keypoint& k : b.keypoints) k.x += 10;
  // exp(-d^2 / (2 s^2 k^2)) with d = 10, s^2 = 10000, k = 0.1: exp(-100 / 200) = exp(-0.5)
  EXPECT_NEAR(oks(a, b, 0.1), std::exp(-0.5), 1e-12);
  for (Keypoint& k : b.keypoints) k.v = Visibility::kAbsent;
  EXPECT_DOUBLE_EQ(oks(a, b, 0.1), -1.0);
}

TEST(Cost, BehavTrackCostRange) {
  const Instance a = make({0, 0, 60, 30});
  EXPECT_NEAR(behavtrack_cost(a, a, 800, {}), -1.0, 1e-6);  // D = 0, I > 0
  EXPECT_NEAR(behavtrack_cost(a, make({400, 400, 460, 430}), 800, {}), 1.0, 1e-6);  // I = 0
  EXPECT_LT(behavtrack_cost(a, make({5, 0, 65, 30}), 800, {}), BehavTrackCostOptions{}.threshold);
}

TEST(Cost, WeightsAreValidated) {
  CostWeights w;
  w.iou = 1.5;
  try {
    w.validate();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cost weights: iou = 1.500000: must be in [0, 1]");
  }
}

TEST(Appearance, ColourHistogramsTellCoatsApart) {
  cv::Mat img(100, 200, CV_8UC3, cv::Scalar(230, 230, 230));
  cv::rectangle(img, cv::Rect(10, 10, 60, 40), cv::Scalar(20, 20, 20), cv::FILLED);      // black mouse
  cv::rectangle(img, cv::Rect(110, 10, 60, 40), cv::Scalar(40, 90, 160), cv::FILLED);    // agouti-ish
  cv::rectangle(img, cv::Rect(10, 55, 60, 40), cv::Scalar(25, 25, 25), cv::FILLED);      // black again
  const Appearance black = appearance_histogram(img, {10, 10, 70, 50});
  const Appearance brown = appearance_histogram(img, {110, 10, 170, 50});
  const Appearance black2 = appearance_histogram(img, {10, 55, 70, 95});
  ASSERT_EQ(black.size(), 32u);
  EXPECT_NEAR(std::accumulate(black.begin(), black.end(), 0.0), 1.0, 1e-6);
  EXPECT_LT(appearance_distance(black, black2), 0.1);
  EXPECT_GT(appearance_distance(black, brown), 0.5);
  EXPECT_TRUE(appearance_histogram(img, {500, 500, 600, 600}).empty());  // off the image
  EXPECT_DOUBLE_EQ(appearance_distance({}, black), 0.5);
}

TEST(Appearance, HistogramsOfAFrameKeepOneMouseAndNoFloor) {
  // A light floor; a black mouse (box 10..70) and a brown one (box 50..110) side by side,
  // overlapping: the black box's central region reaches into the brown mouse. A white
  // mouse apart (box 120..150), brighter than the floor.
  cv::Mat img(60, 160, CV_8UC3, cv::Scalar(192, 194, 195));
  cv::rectangle(img, cv::Rect(10, 10, 40, 40), cv::Scalar(20, 20, 20), cv::FILLED);
  cv::rectangle(img, cv::Rect(50, 10, 60, 40), cv::Scalar(40, 90, 160), cv::FILLED);
  cv::rectangle(img, cv::Rect(120, 10, 30, 40), cv::Scalar(242, 245, 248), cv::FILLED);
  auto mouse = [](double x1, double x2) {
    Instance m;
    m.box = {x1, 10, x2, 50};
    return m;
  };
  const std::vector<Instance> three = {mouse(10, 70), mouse(50, 110), mouse(120, 150)};
  const std::vector<Appearance> h = appearance_histograms(img, three);
  ASSERT_EQ(h.size(), 3u);
  ASSERT_EQ(h[0].size(), 128u);
  EXPECT_NEAR(std::accumulate(h[0].begin(), h[0].end(), 0.0), 1.0, 1e-6);
  // The same black mouse alone, with floor around it: the same histogram (floor left out).
  const Appearance alone = appearance_histograms(img, {mouse(5, 55)})[0];
  EXPECT_LT(appearance_distance(h[0], alone), 0.05) << "neighbour's box and floor left out";
  EXPECT_GT(appearance_distance(h[0], h[1]), 0.9) << "black vs brown";
  EXPECT_GT(appearance_distance(h[0], h[2]), 0.9) << "black vs white";
  EXPECT_GT(appearance_distance(h[1], h[2]), 0.9) << "brown vs white";
  // The plain box histogram of the black box holds both mice.
  EXPECT_GT(appearance_distance(appearance_histogram(img, three[0].box), appearance_histogram(img, {10, 10, 50, 50})),
            0.3);
  // A box almost inside its neighbour's has too little of its own left; floor alone none.
  EXPECT_TRUE(appearance_histograms(img, {mouse(52, 108), mouse(50, 110)})[0].empty());
  Instance floor_only;
  floor_only.box = {0, 52, 160, 60};
  EXPECT_TRUE(appearance_histograms(img, {floor_only})[0].empty());
}

}  // namespace
}  // namespace bt::track
