#include "behavtrack/track/appearance.h"

#include <algorithm>
#include <cmath>
#include <vector>
#include <opencv2/imgproc.hpp>

namespace bt::track {
namespace {

constexpr int kMinMousePixels = 30;  // fewer left after the masks: no histogram
constexpr int kValueBins = 4;        // appearance_histograms: value too, so black, white and floor differ

// The central 80% of the box in whole pixels, clipped to the image.
cv::Rect region_of(const cv::Mat& image, const Box& box) {
  const Box b = box.enlarged(-0.2).clipped(image.cols, image.rows);
  const cv::Rect r(static_cast<int>(std::floor(b.x1)), static_cast<int>(std::floor(b.y1)),
                   static_cast<int>(std::ceil(b.width())), static_cast<int>(std::ceil(b.height())));
  return r & cv::Rect(0, 0, image.cols, image.rows);
}

// A histogram's bins divided by their sum; empty when no pixel was counted.
Appearance normalised(const cv::Mat& hist) {
  const double total = cv::sum(hist)[0];
  if (!(total > 0)) return {};
  const float* h = hist.ptr<float>();  // calcHist's output is continuous, of any dimension
  Appearance out(hist.total());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(h[i] / total);
  return out;
}

// Normalised histogram of the pixels of image(roi) where mask is set (roi-sized, or empty:
// all): hue x saturation, and value when value_bins > 0, for colour frames; 16 grey levels
// otherwise.
Appearance histogram_of(const cv::Mat& image, const cv::Rect& roi, const cv::Mat& mask, int value_bins) {
  cv::Mat hist;
  if (image.channels() == 3) {
    cv::Mat hsv;
    cv::cvtColor(image(roi), hsv, cv::COLOR_BGR2HSV);
    const int channels[] = {0, 1, 2}, sizes[] = {8, 4, value_bins};
    const float hue[] = {0, 180}, sat[] = {0, 256}, val[] = {0, 256};
    const float* ranges[] = {hue, sat, val};
    cv::calcHist(&hsv, 1, channels, mask, hist, value_bins > 0 ? 3 : 2, sizes, ranges);
  } else {
    const cv::Mat crop = image(roi);
    const int channels[] = {0}, sizes[] = {16};
    const float gray[] = {0, 256};
    const float* ranges[] = {gray};
    cv::calcHist(&crop, 1, channels, mask, hist, 1, sizes, ranges);
  }
  return normalised(hist);
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

}  // namespace

Appearance appearance_histogram(const cv::Mat& image, const Box& box) {
  const cv::Rect roi = region_of(image, box);
  if (roi.width <= 0 || roi.height <= 0) return {};
  return histogram_of(image, roi, cv::Mat(), 0);
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
    out[k] = histogram_of(image, roi, mask, kValueBins);
  }
  return out;
}

}  // namespace bt::track
