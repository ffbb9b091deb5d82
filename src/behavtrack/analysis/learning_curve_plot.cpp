#include "behavtrack/analysis/learning_curve_plot.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "behavtrack/core/atomic_file.h"

namespace bt::analysis {

void write_learning_curve_png(const std::filesystem::path& path, const std::vector<CurveSeries>& series,
                              const std::string& x_label, const std::string& y_label,
                              std::optional<double> target) {
  const int w = 740, h = 440, left = 70, right = 190, top = 30, bottom = 60;
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(255, 255, 255));
  double max_x = 1;
  for (const CurveSeries& s : series)
    for (const auto& [x, y] : s.points) max_x = std::max(max_x, x);
  auto px = [&](double x, double y) {
    return cv::Point(left + static_cast<int>(x / max_x * (w - left - right)),
                     h - bottom - static_cast<int>(std::clamp(y, 0.0, 1.0) * (h - top - bottom)));
  };
  const cv::Scalar grey(60, 60, 60), black(0, 0, 0);
  for (int i = 0; i <= 5; ++i) {
    const double y = i / 5.0;
    cv::line(img, px(0, y), px(max_x, y), cv::Scalar(225, 225, 225), 1);
    cv::putText(img, cv::format("%.1f", y), px(0, y) + cv::Point(-40, 5), cv::FONT_HERSHEY_SIMPLEX, 0.45, grey, 1, cv::LINE_AA);
  }
  for (int i = 0; i <= 10; ++i) {
    const int x = static_cast<int>(std::lround(max_x * i / 10.0));
    cv::putText(img, std::to_string(x), px(x, 0) + cv::Point(-8, 18), cv::FONT_HERSHEY_SIMPLEX, 0.4, grey, 1, cv::LINE_AA);
  }
  cv::line(img, px(0, 0), px(max_x, 0), black, 1);
  cv::line(img, px(0, 0), px(0, 1), black, 1);
  if (target) {
    const int step = std::max(1, static_cast<int>(max_x) / 60), dash = std::max(1, static_cast<int>(max_x) / 120);
    for (int x = 0; x < max_x; x += step)
      cv::line(img, px(x, *target), px(std::min<double>(max_x, x + dash), *target), grey, 1);
  }
  cv::putText(img, x_label, cv::Point(left + 180, h - 18), cv::FONT_HERSHEY_SIMPLEX, 0.5, black, 1, cv::LINE_AA);
  cv::putText(img, y_label, cv::Point(8, 20), cv::FONT_HERSHEY_SIMPLEX, 0.5, black, 1, cv::LINE_AA);
  const cv::Scalar colours[] = {{60, 60, 220}, {180, 110, 30}, {60, 160, 60}, {160, 60, 160}};
  for (std::size_t s = 0; s < series.size(); ++s) {
    const cv::Scalar colour = colours[s % 4];
    std::vector<cv::Point> line;
    for (const auto& [x, y] : series[s].points) line.push_back(px(x, y));
    cv::polylines(img, line, false, colour, 2, cv::LINE_AA);
    for (const cv::Point& q : line) cv::circle(img, q, 3, colour, cv::FILLED, cv::LINE_AA);
    const cv::Point key(w - right + 15, top + 20 + 22 * static_cast<int>(s));
    cv::line(img, key, key + cv::Point(25, 0), colour, 2, cv::LINE_AA);
    cv::putText(img, series[s].name, key + cv::Point(32, 5), cv::FONT_HERSHEY_SIMPLEX, 0.45, black, 1, cv::LINE_AA);
  }
  std::vector<unsigned char> png;
  cv::imencode(".png", img, png);
  write_file_atomically(path, std::string(png.begin(), png.end()));
}

}  // namespace bt::analysis
