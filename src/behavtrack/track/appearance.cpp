#include "behavtrack/track/appearance.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

namespace bt::track {

Appearance appearance_histogram(const cv::Mat& image, const Box& box) {
  const Box b = box.enlarged(-0.2).clipped(image.cols, image.rows);
  const cv::Rect r(static_cast<int>(std::floor(b.x1)), static_cast<int>(std::floor(b.y1)),
                   static_cast<int>(std::ceil(b.width())), static_cast<int>(std::ceil(b.height())));
  const cv::Rect roi = r & cv::Rect(0, 0, image.cols, image.rows);
  if (roi.width <= 0 || roi.height <= 0) return {};
  cv::Mat hist;
  if (image.channels() == 3) {
    cv::Mat hsv;
    cv::cvtColor(image(roi), hsv, cv::COLOR_BGR2HSV);
    const int channels[] = {0, 1}, sizes[] = {8, 4};
    const float hue[] = {0, 180}, sat[] = {0, 256};
    const float* ranges[] = {hue, sat};
    cv::calcHist(&hsv, 1, channels, cv::Mat(), hist, 2, sizes, ranges);
  } else {
    const cv::Mat crop = image(roi);
    const int channels[] = {0}, sizes[] = {16};
    const float gray[] = {0, 256};
    const float* ranges[] = {gray};
    cv::calcHist(&crop, 1, channels, cv::Mat(), hist, 1, sizes, ranges);
  }
  hist = hist.reshape(1, 1);
  const double total = cv::sum(hist)[0];
  if (!(total > 0)) return {};
  Appearance out(hist.cols);
  for (int i = 0; i < hist.cols; ++i) out[i] = static_cast<float>(hist.at<float>(0, i) / total);
  return out;
}

}  // namespace bt::track
