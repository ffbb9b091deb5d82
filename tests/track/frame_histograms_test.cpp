// FrameHistograms: what the offline identity pass gets back is exactly what was kept, in
// either form.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "behavtrack/core/error.h"
#include "behavtrack/track/appearance.h"
#include "behavtrack/track/frame_histograms.h"

namespace bt::track {
namespace {

using Frame = std::vector<Appearance>;

Instance mouse_at(float x, float y) {
  Instance m;
  m.box = {x, y, x + 60, y + 30};
  return m;
}

// A floor with a black, a white and a brown mouse, two of them touching.
cv::Mat cage_image() {
  cv::Mat image(240, 320, CV_8UC3, cv::Scalar(170, 180, 175));
  cv::ellipse(image, {60, 55}, {28, 12}, 0, 0, 360, cv::Scalar(25, 25, 25), cv::FILLED);
  cv::ellipse(image, {200, 115}, {28, 12}, 20, 0, 360, cv::Scalar(245, 245, 245), cv::FILLED);
  cv::ellipse(image, {245, 125}, {28, 12}, -10, 0, 360, cv::Scalar(40, 80, 140), cv::FILLED);
  return image;
}

TEST(CompactHistograms, RoundTripIsExactForRealHistogramsAndEmptyOnes) {
  const cv::Mat image = cage_image();
  const std::vector<Instance> mice = {mouse_at(30, 40), mouse_at(170, 100), mouse_at(215, 110)};
  const Frame colour = appearance_histograms(image, mice);
  ASSERT_EQ(colour.size(), 3u);
  for (const auto& h : colour) ASSERT_EQ(h.size(), 128u);  // hue x saturation x value
  cv::Mat gray;
  cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
  const Frame grey = appearance_histograms(gray, mice);
  const Frame partly_unknown = {colour[0], {}, colour[2]};  // a mouse hidden behind the others

  const std::vector<Frame> frames = {colour, {}, grey, partly_unknown, {{}}};
  CompactHistograms kept;
  for (const Frame& f : frames) kept.push_back(f);
  ASSERT_EQ(kept.size(), frames.size());
  const HeldHistograms held(frames);
  ASSERT_EQ(held.size(), frames.size());
  for (std::size_t f = 0; f < frames.size(); ++f) {
    EXPECT_EQ(kept.frame(f), frames[f]) << "frame " << f;  // float for float, empty lists and histograms included
    EXPECT_EQ(held.frame(f), frames[f]) << "frame " << f;
  }
  EXPECT_THROW(kept.frame(5), std::out_of_range);
  EXPECT_THROW(held.frame(5), std::out_of_range);
}

TEST(CompactHistograms, KeepsOnlyTheNonZeroBins) {
  const Frame colour = appearance_histograms(cage_image(), {mouse_at(30, 40), mouse_at(170, 100)});
  std::size_t nonzero = 0;
  for (const auto& h : colour)
    for (float v : h) nonzero += v != 0;
  CompactHistograms kept;
  kept.push_back(colour);
  EXPECT_EQ(kept.nonzero_bins(), nonzero);
  EXPECT_LT(nonzero, 2u * 128 / 4) << "a single mouse's histogram should be sparse";
  EXPECT_LT(kept.bytes(), 2u * 128 * sizeof(float) / 2);
}

TEST(CompactHistograms, AHistogramTooLongToNumberItsBinsIsRefused) {
  CompactHistograms kept;
  try {
    kept.push_back({Appearance(70000, 0.5f)});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "colour histogram: 70000 bins; at most 65536 can be kept");
  }
  EXPECT_EQ(kept.size(), 0u);  // nothing half-kept
}

}  // namespace
}  // namespace bt::track
