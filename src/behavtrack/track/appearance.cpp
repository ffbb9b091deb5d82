#include "behavtrack/track/appearance.h"

#include <algorithm>
#include <cmath>
#include <vector>
#include <opencv2/imgproc.hpp>

namespace bt::track {
namespace {

constexpr int kMinMousePixels = 30;  // fewer left after the masks: no histogram

// The central 80% of the box in whole pixels, clipped to the image.
cv::Rect region_of(const cv::Mat& image, const Box& box) {
  const Box b = box.enlarged(-0.2).clipped(image.cols, image.rows);
  const cv::Rect r(static_cast<int>(std::floor(b.x1)), static_cast<int>(std::floor(b.y1)),
                   static_cast<int>(std::ceil(b.width())), static_cast<int>(std::ceil(b.height())));
  return r & cv::Rect(0, 0, image.cols, image.rows);
}

// Normalised histogram of the pixels of image(roi) where mask (roi-sized, or empty: all).
Appearance histogram_of(const cv::Mat& image, const cv::Rect& roi, const cv::Mat& mask) {
  cv::Mat hist;
  if (image.channels() == 3) {
    cv::Mat hsv;
    cv::cvtColor(image(roi), hsv, cv::COLOR_BGR2HSV);
    const int channels[] = {0, 1}, sizes[] = {8, 4};
    const float hue[] = {0, 180}, sat[] = {0, 256};
    const float* ranges[] = {hue, sat};
    cv::calcHist(&hsv, 1, channels, mask, hist, 2, sizes, ranges);
  } else {
    const cv::Mat crop = image(roi);
    const int channels[] = {0}, sizes[] = {16};
    const float gray[] = {0, 256};
    const float* ranges[] = {gray};
    cv::calcHist(&crop, 1, channels, mask, hist, 1, sizes, ranges);
  }
  hist = hist.reshape(1, 1);
  const double total = cv::sum(hist)[0];
  if (!(total > 0)) return {};
  Appearance out(hist.cols);
  for (int i = 0; i < hist.cols; ++i) out[i] = static_cast<float>(hist.at<float>(0, i) / total);
  return out;
}

}  // namespace

Appearance appearance_histogram(const cv::Mat& image, const Box& box) {
  const cv::Rect roi = region_of(image, box);
  if (roi.width <= 0 || roi.height <= 0) return {};
  return histogram_of(image, roi, cv::Mat());
}

// The floor's colour: the per-channel median of a sparse grid over the frame (the floor
// covers most of a top-view arena image).
cv::Vec3b floor_colour(const cv::Mat& image) {
  std::vector<uchar> channel[3];
  const int step = std::max(1, std::min(image.cols, image.rows) / 40);
  for (int y = step / 2; y < image.rows; y += step)
    for (int x = step / 2; x < image.cols; x += step) {
      const cv::Vec3b p = image.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) channel[c].push_back(p[c]);
    }
  cv::Vec3b out;
  for (int c = 0; c < 3; ++c) {
    auto mid = channel[c].begin() + static_cast<std::ptrdiff_t>(channel[c].size() / 2);
    std::nth_element(channel[c].begin(), mid, channel[c].end());
    out[c] = *mid;
  }
  return out;
}

std::vector<Appearance> appearance_histograms(const cv::Mat& image, const std::vector<Instance>& detections,
                                              double min_visible) {
  std::vector<Appearance> out(detections.size());
  if (image.empty() || image.type() != CV_8UC3) {
    for (std::size_t k = 0; k < detections.size(); ++k) out[k] = appearance_histogram(image, detections[k].box);
    return out;
  }
  const cv::Vec3b floor = floor_colour(image);
  for (std::size_t k = 0; k < detections.size(); ++k) {
    const cv::Rect roi = region_of(image, detections[k].box);
    if (roi.width <= 0 || roi.height <= 0) continue;
    cv::Mat mask(roi.size(), CV_8UC1, cv::Scalar(255));
    for (std::size_t j = 0; j < detections.size(); ++j) {
      if (j == k) continue;
      const Box& b = detections[j].box;
      const cv::Rect other = cv::Rect(static_cast<int>(std::floor(b.x1)), static_cast<int>(std::floor(b.y1)),
                                      static_cast<int>(std::ceil(b.x2) - std::floor(b.x1)),
                                      static_cast<int>(std::ceil(b.y2) - std::floor(b.y1))) &
                             roi;
      if (other.area() > 0) mask(other - roi.tl()).setTo(0);
    }
    if (cv::countNonZero(mask) < min_visible * roi.area()) continue;
    // Pixels within kFloorDistance grey levels (every channel) of the floor are floor.
    constexpr int kFloorDistance = 32;
    cv::Mat near_floor;
    cv::inRange(image(roi), cv::Scalar(floor[0] - kFloorDistance, floor[1] - kFloorDistance, floor[2] - kFloorDistance),
                cv::Scalar(floor[0] + kFloorDistance, floor[1] + kFloorDistance, floor[2] + kFloorDistance), near_floor);
    mask.setTo(0, near_floor);
    if (cv::countNonZero(mask) < kMinMousePixels) continue;
    cv::Mat hsv, hist;
    cv::cvtColor(image(roi), hsv, cv::COLOR_BGR2HSV);
    const int channels[] = {0, 1, 2}, sizes[] = {8, 4, 4};
    const float hue[] = {0, 180}, sat[] = {0, 256}, val[] = {0, 256};
    const float* ranges[] = {hue, sat, val};
    cv::calcHist(&hsv, 1, channels, mask, hist, 3, sizes, ranges);
    const double total = cv::sum(hist)[0];
    if (!(total > 0)) continue;
    Appearance a(static_cast<std::size_t>(8 * 4 * 4));
    const float* h = hist.ptr<float>();
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(h[i] / total);
    out[k] = std::move(a);
  }
  return out;
}

}  // namespace bt::track
