#include "behavtrack/pose/augment.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "behavtrack/core/error.h"
#include "behavtrack/pose/letterbox.h"

namespace bt::pose {
namespace {

double uniform(std::mt19937& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

cv::Point2d apply(const cv::Matx23d& m, double x, double y) {
  return {m(0, 0) * x + m(0, 1) * y + m(0, 2), m(1, 0) * x + m(1, 1) * y + m(1, 2)};
}

// original -> output: translate `center` to the origin, mirror, rotate and scale, then
// move to the output centre plus a shift.
cv::Matx23d view_map(cv::Point2d center, double scale, double angle_deg, bool mirror,
                     cv::Point2d out_center) {
  const double a = angle_deg * CV_PI / 180;
  const double c = std::cos(a) * scale, s = std::sin(a) * scale;
  const double mx = mirror ? -1 : 1;
  // [x'; y'] = R S diag(mx, 1) ([x; y] - center) + out_center
  cv::Matx23d m(c * mx, -s, 0, s * mx, c, 0);
  const cv::Point2d t = apply(m, center.x, center.y);
  m(0, 2) = out_center.x - t.x;
  m(1, 2) = out_center.y - t.y;
  return m;
}

std::vector<Instance> transform_all(const std::vector<Instance>& instances, const cv::Matx23d& m,
                                    bool mirror, const Skeleton& skeleton, int w, int h) {
  std::vector<Instance> out;
  for (const auto& inst : instances) {
    Instance t = transform_instance(inst, m, mirror, skeleton, w, h);
    const Box inside = t.box.clipped(w, h);
    if (t.box.area() > 0 && inside.area() >= 0.5 * t.box.area()) {
      t.box = inside;
      out.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace

void AugmentOptions::validate() const {
  auto prob = [](double p, const char* name) {
    if (!(p >= 0 && p <= 1)) throw_invalid(fmt::format("{} = {}: must be in [0, 1]", name, p));
  };
  prob(flip_probability, "flip_probability");
  prob(blur_probability, "blur_probability");
  if (!(rotate_deg >= 0 && rotate_deg <= 180))
    throw_invalid(fmt::format("rotate_deg = {}: must be in [0, 180]", rotate_deg));
  if (!(scale_range >= 0 && scale_range < 1))
    throw_invalid(fmt::format("scale_range = {}: must be in [0, 1)", scale_range));
  if (!(translate_fraction >= 0 && translate_fraction <= 0.5))
    throw_invalid(fmt::format("translate_fraction = {}: must be in [0, 0.5]", translate_fraction));
  if (!(brightness >= 0 && contrast >= 0 && contrast < 1 && gamma >= 0 && gamma < 1 &&
        noise_sigma >= 0))
    throw_invalid("photometric ranges: brightness, noise_sigma >= 0; contrast, gamma in [0, 1)");
}

void flip_horizontal(cv::Mat& image, std::vector<Instance>& instances, const Skeleton& skeleton) {
  cv::flip(image, image, 1);
  const cv::Matx23d m(-1, 0, image.cols, 0, 1, 0);
  for (auto& inst : instances)
    inst = transform_instance(inst, m, true, skeleton, image.cols, image.rows);
}

Instance transform_instance(const Instance& instance, const cv::Matx23d& m, bool mirror,
                            const Skeleton& skeleton, int out_w, int out_h) {
  Instance out = instance;
  const size_t k = instance.keypoints.size();
  for (size_t i = 0; i < k; ++i) {
    // In a mirrored view, the point labelled i is where the animal's mirror part flip[i] is.
    const size_t src = mirror && i < skeleton.flip.size() ? skeleton.flip[i] : i;
    const Keypoint& kp = instance.keypoints[src];
    const cv::Point2d p = apply(m, kp.x, kp.y);
    Keypoint moved{p.x, p.y, kp.v};
    if (!(p.x >= 0 && p.y >= 0 && p.x < out_w && p.y < out_h)) moved = Keypoint{};
    out.keypoints[i] = moved;
    if (src < instance.keypoint_scores.size()) out.keypoint_scores[i] = instance.keypoint_scores[src];
  }
  // Box of the rotated inscribed ellipse: half extents sqrt((a m00)^2 + (b m01)^2) etc.
  const double a = instance.box.width() / 2, b = instance.box.height() / 2;
  const cv::Point2d c = apply(m, instance.box.cx(), instance.box.cy());
  const double hw = std::hypot(a * m(0, 0), b * m(0, 1));
  const double hh = std::hypot(a * m(1, 0), b * m(1, 1));
  out.box = Box::from_cxcywh(c.x, c.y, 2 * hw, 2 * hh);
  for (size_t i = 0; i < k; ++i) {
    const Keypoint& kp = out.keypoints[i];
    if (!kp.present() || !instance.keypoints[i].present()) continue;
    out.box.x1 = std::min(out.box.x1, kp.x);
    out.box.y1 = std::min(out.box.y1, kp.y);
    out.box.x2 = std::max(out.box.x2, kp.x);
    out.box.y2 = std::max(out.box.y2, kp.y);
  }
  return out;
}

Augmented crop_view(const cv::Mat& image, const std::vector<Instance>& instances,
                    const Skeleton& skeleton, cv::Point2d center, double scale,
                    double angle_deg, bool mirror, int out_px, cv::Matx23d* map_out) {
  const cv::Matx23d m =
      view_map(center, scale, angle_deg, mirror, {out_px / 2.0, out_px / 2.0});
  Augmented out;
  cv::warpAffine(image, out.image, cv::Mat(m), cv::Size(out_px, out_px), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar::all(kLetterboxFill));
  out.instances = transform_all(instances, m, mirror, skeleton, out_px, out_px);
  if (map_out) *map_out = m;
  return out;
}

Augmented random_view(const cv::Mat& image, const std::vector<Instance>& instances,
                      const Skeleton& skeleton, int out_px, const AugmentOptions& o,
                      std::mt19937& rng) {
  const Letterbox lb = Letterbox::fit(image.cols, image.rows, out_px);
  const double scale = lb.scale * uniform(rng, 1 - o.scale_range, 1 + o.scale_range);
  const double quarter = o.quarter_turns ? 90.0 * std::uniform_int_distribution<int>(0, 3)(rng) : 0;
  const double angle = quarter + uniform(rng, -o.rotate_deg, o.rotate_deg);
  const bool mirror = uniform(rng, 0, 1) < o.flip_probability;
  const double t = o.translate_fraction * out_px;
  const cv::Point2d shift(uniform(rng, -t, t), uniform(rng, -t, t));
  const cv::Matx23d m = view_map({image.cols / 2.0, image.rows / 2.0}, scale, angle, mirror,
                                 cv::Point2d(out_px / 2.0, out_px / 2.0) + shift);
  Augmented out;
  cv::warpAffine(image, out.image, cv::Mat(m), cv::Size(out_px, out_px), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar::all(kLetterboxFill));
  out.instances = transform_all(instances, m, mirror, skeleton, out_px, out_px);
  photometric(out.image, o, rng);
  return out;
}

void photometric(cv::Mat& image, const AugmentOptions& o, std::mt19937& rng) {
  const double gain = uniform(rng, 1 - o.contrast, 1 + o.contrast);
  const double bias = uniform(rng, -o.brightness, o.brightness) * 255;
  const double gamma = uniform(rng, 1 - o.gamma, 1 + o.gamma);
  // v' = 255 ((gain (v - 128) + 128 + bias) / 255)^gamma, through a lookup table.
  cv::Mat lut(1, 256, CV_8U);
  for (int v = 0; v < 256; ++v) {
    const double lin = std::clamp((gain * (v - 128) + 128 + bias) / 255.0, 0.0, 1.0);
    lut.at<uchar>(v) = cv::saturate_cast<uchar>(255 * std::pow(lin, gamma));
  }
  cv::LUT(image, lut, image);
  if (uniform(rng, 0, 1) < o.blur_probability) {
    const double sigma = uniform(rng, 0.5, 1.5);
    cv::GaussianBlur(image, image, cv::Size(0, 0), sigma);
  }
  if (o.noise_sigma > 0) {
    cv::Mat noise(image.size(), CV_16SC(image.channels()));
    cv::RNG noise_rng(rng());  // seeded from the caller's engine: runs are reproducible
    noise_rng.fill(noise, cv::RNG::NORMAL, 0, uniform(rng, 0, o.noise_sigma));
    cv::Mat wide;
    image.convertTo(wide, CV_16S);
    wide += noise;
    wide.convertTo(image, image.type());
  }
}

}  // namespace bt::pose
