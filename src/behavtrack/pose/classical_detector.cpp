#include "behavtrack/pose/classical_detector.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "behavtrack/core/error.h"

namespace bt::pose {

void ClassicalOptions::validate() const {
  if (n_animals < 0) throw_invalid(fmt::format("n_animals = {}: must be >= 0", n_animals));
  if (!(min_area_fraction > 0 && min_area_fraction < 0.5))
    throw_invalid(fmt::format("min_area_fraction = {}: must be in (0, 0.5)", min_area_fraction));
  if (!(min_contrast >= 1 && min_contrast < 255))
    throw_invalid(fmt::format("min_contrast = {}: must be in [1, 255)", min_contrast));
  if (!(motion_min_px >= 0))
    throw_invalid(fmt::format("motion_min_px = {}: must be >= 0", motion_min_px));
}

namespace {

cv::Mat to_gray(const cv::Mat& image) {
  if (image.type() == CV_8UC1) return image;
  if (image.type() != CV_8UC3) throw_invalid("classical detector: expected an 8-bit image");
  cv::Mat g;
  cv::cvtColor(image, g, cv::COLOR_BGR2GRAY);
  return g;
}

// Shape of one body, the axis pointing to the end that the shape says is anterior.
struct BodyShape {
  cv::Point2d center, axis;   // axis: unit vector
  double t_front = 0, t_back = 0;  // projections of the extreme body pixels (front > back)
  std::vector<cv::Point2d> pixels;  // body pixels (tail removed)
  double head_margin = 0;     // [0, 1]: how sure the shape is of the anterior end
  double elongation = 1;      // major / minor standard deviation
  double area = 0;
  Box box;
};

double half_width_at(const BodyShape& s, cv::Point2d axis, double t, double band) {
  const cv::Point2d side(-axis.y, axis.x);
  double w = 0;
  for (const auto& p : s.pixels) {
    const cv::Point2d d = p - s.center;
    if (std::abs(d.dot(axis) - t) <= band) w = std::max(w, std::abs(d.dot(side)));
  }
  return w;
}

BodyShape analyse_blob(const cv::Mat& blob_mask, cv::Rect roi) {
  BodyShape s;
  cv::Mat dist;
  cv::distanceTransform(blob_mask, dist, cv::DIST_L2, 3);
  double half_width = 0;
  cv::minMaxLoc(dist, nullptr, &half_width);
  // The tail is a few pixels wide, the body 2 x half_width: an opening with a disc of about
  // half the body's half width removes the tail and keeps the body.
  const int k = std::max(3, static_cast<int>(half_width) | 1);
  cv::Mat body;
  cv::morphologyEx(blob_mask, body, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(k, k)));
  if (cv::countNonZero(body) < 0.3 * cv::countNonZero(blob_mask)) body = blob_mask.clone();
  std::vector<cv::Point2d> removed;
  for (int y = 0; y < body.rows; ++y)
    for (int x = 0; x < body.cols; ++x) {
      const cv::Point2d p(x + roi.x, y + roi.y);
      if (body.at<uchar>(y, x)) s.pixels.push_back(p);
      else if (blob_mask.at<uchar>(y, x)) removed.push_back(p);
    }
  s.area = static_cast<double>(s.pixels.size());
  // PCA of the body pixels: the major axis is the body axis.
  cv::Point2d mean(0, 0);
  for (const auto& p : s.pixels) mean += p;
  mean *= 1.0 / std::max<size_t>(1, s.pixels.size());
  double sxx = 0, syy = 0, sxy = 0;
  for (const auto& p : s.pixels) {
    const cv::Point2d d = p - mean;
    sxx += d.x * d.x, syy += d.y * d.y, sxy += d.x * d.y;
  }
  const double theta = 0.5 * std::atan2(2 * sxy, sxx - syy);
  cv::Point2d axis(std::cos(theta), std::sin(theta));
  const double tr = sxx + syy, det = sxx * syy - sxy * sxy;
  const double l1 = tr / 2 + std::sqrt(std::max(0.0, tr * tr / 4 - det));
  const double l2 = tr / 2 - std::sqrt(std::max(0.0, tr * tr / 4 - det));
  s.elongation = std::sqrt(l1 / std::max(1e-9, l2));
  s.center = mean;
  s.axis = axis;
  double tmin = 0, tmax = 0;
  double x1 = 1e18, y1 = 1e18, x2 = -1e18, y2 = -1e18;
  for (const auto& p : s.pixels) {
    const double t = (p - mean).dot(axis);
    tmin = std::min(tmin, t), tmax = std::max(tmax, t);
    x1 = std::min(x1, p.x), y1 = std::min(y1, p.y), x2 = std::max(x2, p.x + 1),
    y2 = std::max(y2, p.y + 1);
  }
  s.box = {x1, y1, x2, y2};
  const double length = tmax - tmin;
  // Anterior cues: the snout tapers (narrower 12% from its tip than the hips are 12% from
  // theirs), and the removed tail pixels lie at the posterior end.
  const double band = std::max(1.5, 0.04 * length);
  const double w_plus = half_width_at(s, axis, tmax - 0.12 * length, band);
  const double w_minus = half_width_at(s, axis, tmin + 0.12 * length, band);
  double tail_plus = 0, tail_minus = 0;
  for (const auto& p : removed) {
    const double t = (p - mean).dot(axis);
    if (t > tmax - 0.3 * length) tail_plus += 1;
    if (t < tmin + 0.3 * length) tail_minus += 1;
  }
  const double taper = (w_minus - w_plus) / std::max(1.0, std::max(w_plus, w_minus));
  const double tail = (tail_minus - tail_plus) / std::max(10.0, tail_minus + tail_plus);
  const double cue = taper + tail;  // > 0: the + end is anterior
  if (cue < 0) {
    s.axis = -axis;
    std::swap(tmin, tmax);
    tmin = -tmin, tmax = -tmax;
  }
  s.t_front = tmax;
  s.t_back = tmin;
  s.head_margin = std::min(1.0, std::abs(cue));
  return s;
}

BodyShape flipped(const BodyShape& s) {
  BodyShape f = s;
  f.axis = -s.axis;
  f.t_front = -s.t_back;
  f.t_back = -s.t_front;
  return f;
}

Instance to_instance(const BodyShape& s, double median_area, double head_margin) {
  Instance inst;
  inst.box = s.box;
  const double length = s.t_front - s.t_back;
  const cv::Point2d left(s.axis.y, -s.axis.x);  // heading (1, 0) -> left (0, -1)
  const cv::Point2d nose = s.center + s.axis * s.t_front;
  const cv::Point2d tail = s.center + s.axis * (s.t_back + 0.03 * length);
  const double t_ears = s.t_front - 0.22 * length;
  const double ear_offset =
      0.6 * half_width_at(s, s.axis, t_ears, std::max(1.5, 0.04 * length));
  const cv::Point2d ears = s.center + s.axis * t_ears;
  const cv::Point2d ear_l = ears + left * ear_offset, ear_r = ears - left * ear_offset;
  const float end_score = static_cast<float>(0.5 + 0.5 * head_margin);
  const float ear_score = static_cast<float>(0.5 * end_score);
  for (const auto& [p, score] : {std::pair{nose, end_score}, std::pair{ear_l, ear_score},
                                 std::pair{ear_r, ear_score}, std::pair{tail, end_score}}) {
    inst.keypoints.push_back({p.x, p.y, score >= 0.5f ? Visibility::kVisible
                                                      : Visibility::kOccluded});
    inst.keypoint_scores.push_back(score);
  }
  // A mouse seen from above is 2-3.5 times as long as wide, and about as large as the others.
  const double shape = std::clamp((s.elongation - 1.0) / 1.5, 0.0, 1.0);
  const double size = median_area > 0 ? std::min(s.area, median_area) / std::max(s.area, median_area)
                                      : 1.0;
  inst.score = static_cast<float>(0.2 + 0.8 * std::sqrt(shape * size));
  return inst;
}

// Splits a blob's mask in two by k-means on its pixel positions.
std::pair<cv::Mat, cv::Mat> split_in_two(const cv::Mat& mask) {
  std::vector<cv::Point> pts;
  cv::findNonZero(mask, pts);
  cv::Mat samples(static_cast<int>(pts.size()), 2, CV_32F);
  for (int i = 0; i < samples.rows; ++i) {
    samples.at<float>(i, 0) = static_cast<float>(pts[i].x);
    samples.at<float>(i, 1) = static_cast<float>(pts[i].y);
  }
  cv::Mat labels, centers;
  cv::setRNGSeed(1);  // deterministic splits
  cv::kmeans(samples, 2, labels,
             cv::TermCriteria(cv::TermCriteria::EPS | cv::TermCriteria::COUNT, 20, 0.5), 3,
             cv::KMEANS_PP_CENTERS, centers);
  cv::Mat a = cv::Mat::zeros(mask.size(), CV_8U), b = a.clone();
  for (int i = 0; i < samples.rows; ++i) (labels.at<int>(i) ? b : a).at<uchar>(pts[i]) = 255;
  return {a, b};
}

}  // namespace

cv::Mat median_background(const std::vector<cv::Mat>& frames) {
  if (frames.empty()) throw_invalid("background: no frames to build it from");
  std::vector<cv::Mat> gray;
  for (const auto& f : frames) {
    gray.push_back(to_gray(f));
    if (gray.back().size() != gray.front().size())
      throw_invalid("background: frames differ in size");
  }
  cv::Mat out(gray[0].size(), CV_8UC1);
  std::vector<uchar> values(gray.size());
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x) {
      for (size_t i = 0; i < gray.size(); ++i) values[i] = gray[i].at<uchar>(y, x);
      std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
      out.at<uchar>(y, x) = values[values.size() / 2];
    }
  return out;
}

ClassicalDetector::ClassicalDetector(ClassicalOptions options) : options_(options) {
  options_.validate();
}

void ClassicalDetector::set_background(const cv::Mat& background) {
  background_ = to_gray(background).clone();
  prev_centers_.clear();
  prev_headings_.clear();
}

cv::Mat ClassicalDetector::foreground(const cv::Mat& frame) const {
  if (background_.empty()) throw_invalid("classical detector: no background set");
  const cv::Mat gray = to_gray(frame);
  if (gray.size() != background_.size())
    throw_invalid(fmt::format("classical detector: frame {}x{} differs from the background {}x{}",
                              gray.cols, gray.rows, background_.cols, background_.rows));
  cv::Mat diff, mask;
  cv::absdiff(gray, background_, diff);
  cv::GaussianBlur(diff, diff, cv::Size(5, 5), 0);
  const double otsu = cv::threshold(diff, mask, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  cv::threshold(diff, mask, std::max(otsu, options_.min_contrast), 255, cv::THRESH_BINARY);
  const cv::Mat disc = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5));
  cv::morphologyEx(mask, mask, cv::MORPH_CLOSE, disc);
  cv::morphologyEx(mask, mask, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, {3, 3}));
  return mask;
}

std::vector<Instance> ClassicalDetector::detect(const cv::Mat& frame) const {
  return detect_impl(frame, nullptr);
}

std::vector<Instance> ClassicalDetector::detect_impl(const cv::Mat& frame,
                                                     std::vector<cv::Point2d>* headings) const {
  const cv::Mat mask = foreground(frame);
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  const double min_area = options_.min_area_fraction * mask.total();
  std::vector<cv::Mat> blobs;  // full-size masks
  for (const auto& c : contours) {
    if (cv::contourArea(c) < min_area) continue;
    cv::Mat m = cv::Mat::zeros(mask.size(), CV_8U);
    cv::drawContours(m, std::vector<std::vector<cv::Point>>{c}, 0, cv::Scalar(255), cv::FILLED);
    blobs.push_back(m & mask);
  }
  // Touching mice: split the largest blob while there are fewer blobs than animals.
  while (options_.n_animals > 0 && !blobs.empty() &&
         static_cast<int>(blobs.size()) < options_.n_animals) {
    auto largest = std::max_element(blobs.begin(), blobs.end(), [](const cv::Mat& a, const cv::Mat& b) {
      return cv::countNonZero(a) < cv::countNonZero(b);
    });
    if (cv::countNonZero(*largest) < 2 * min_area) break;
    auto [a, b] = split_in_two(*largest);
    *largest = a;
    blobs.push_back(b);
  }
  std::vector<BodyShape> shapes;
  for (const auto& m : blobs) {
    const cv::Rect roi = cv::boundingRect(m);
    shapes.push_back(analyse_blob(m(roi), roi));
  }
  std::vector<double> areas;
  for (const auto& s : shapes) areas.push_back(s.area);
  double median_area = 0;
  if (!areas.empty()) {
    std::nth_element(areas.begin(), areas.begin() + areas.size() / 2, areas.end());
    median_area = areas[areas.size() / 2];
  }
  std::vector<Instance> out;
  for (auto& s : shapes) {
    if (headings) {
      // Video: agree with the previous heading of the nearest blob and with the motion.
      const cv::Point2d* prev = nullptr;
      const cv::Point2d* prev_c = nullptr;
      double best = 1e18;
      for (size_t i = 0; i < prev_centers_.size(); ++i) {
        const double d = cv::norm(prev_centers_[i] - s.center);
        if (d < best && d < (s.t_front - s.t_back)) best = d, prev = &prev_headings_[i],
                                                    prev_c = &prev_centers_[i];
      }
      if (prev) {
        double vote = 2 * s.head_margin + 1.5 * s.axis.dot(*prev);
        const cv::Point2d motion = s.center - *prev_c;
        if (cv::norm(motion) >= options_.motion_min_px)
          vote += 1.0 * s.axis.dot(motion / cv::norm(motion));
        if (vote < 0) s = flipped(s);
      }
      headings->push_back(s.axis);
    }
    out.push_back(to_instance(s, median_area, s.head_margin));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Instance& a, const Instance& b) { return a.score > b.score; });
  if (options_.n_animals > 0 && static_cast<int>(out.size()) > options_.n_animals)
    out.resize(options_.n_animals);
  return out;
}

std::vector<Instance> ClassicalDetector::track(const cv::Mat& frame) {
  std::vector<cv::Point2d> headings;
  std::vector<Instance> found = detect_impl(frame, &headings);
  // Headings were recorded per shape before sorting; recompute from the keypoints instead
  // so that centres and headings stay paired with the sorted instances.
  prev_centers_.clear();
  prev_headings_.clear();
  for (const auto& inst : found) {
    const cv::Point2d nose(inst.keypoints[0].x, inst.keypoints[0].y);
    const cv::Point2d tail(inst.keypoints[3].x, inst.keypoints[3].y);
    const cv::Point2d axis = nose - tail;
    const double n = cv::norm(axis);
    prev_centers_.push_back((nose + tail) * 0.5);
    prev_headings_.push_back(n > 0 ? axis / n : cv::Point2d(1, 0));
  }
  return found;
}

}  // namespace bt::pose
