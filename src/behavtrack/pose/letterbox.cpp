#include "behavtrack/pose/letterbox.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "behavtrack/core/error.h"

namespace bt::pose {

void validate_input_px(int input_px, const char* field) {
  if (input_px < 32 || input_px > 4096 || input_px % 32 != 0)
    throw_invalid(fmt::format("{} = {}: must be a multiple of 32 between 32 and 4096", field,
                              input_px));
}

namespace {

// Scale, input size and padding for an input of at most input_w x input_h.
Letterbox fit_into(int original_w, int original_h, int input_w, int input_h) {
  if (original_w <= 0 || original_h <= 0)
    throw_invalid(fmt::format("letterbox: image size {}x{} is empty", original_w, original_h));
  Letterbox lb;
  lb.input_w = input_w;
  lb.input_h = input_h;
  lb.original_w = original_w;
  lb.original_h = original_h;
  lb.scale = std::min(double(input_w) / original_w, double(input_h) / original_h);
  // Resized size rounded like Ultralytics (round), padding split evenly (left/top get the floor).
  const int new_w = static_cast<int>(std::lround(original_w * lb.scale));
  const int new_h = static_cast<int>(std::lround(original_h * lb.scale));
  lb.pad_x = std::floor((input_w - new_w) / 2.0);
  lb.pad_y = std::floor((input_h - new_h) / 2.0);
  return lb;
}

int round_up_32(double px) { return 32 * static_cast<int>(std::ceil(px / 32 - 1e-9)); }

}  // namespace

Letterbox Letterbox::fit(int original_w, int original_h, int input_px) {
  validate_input_px(input_px, "input_px");
  return fit_into(original_w, original_h, input_px, input_px);
}

Letterbox Letterbox::fit_rect(int original_w, int original_h, int input_px) {
  validate_input_px(input_px, "input_px");
  if (original_w <= 0 || original_h <= 0)
    throw_invalid(fmt::format("letterbox: image size {}x{} is empty", original_w, original_h));
  // The longer side fills input_px; the shorter one is padded up to the next multiple of 32.
  const double scale = double(input_px) / std::max(original_w, original_h);
  const int w = std::max(32, round_up_32(std::lround(original_w * scale)));
  const int h = std::max(32, round_up_32(std::lround(original_h * scale)));
  return fit_into(original_w, original_h, w, h);
}

cv::Mat Letterbox::apply(const cv::Mat& image) const {
  if (image.cols != original_w || image.rows != original_h)
    throw_invalid(fmt::format("letterbox: image is {}x{}, expected {}x{}", image.cols,
                              image.rows, original_w, original_h));
  const int new_w = static_cast<int>(std::lround(original_w * scale));
  const int new_h = static_cast<int>(std::lround(original_h * scale));
  cv::Mat resized;
  if (new_w == image.cols && new_h == image.rows)
    resized = image;
  else
    cv::resize(image, resized, cv::Size(new_w, new_h), 0, 0, cv::INTER_LINEAR);
  cv::Mat out(input_h, input_w, image.type(), cv::Scalar::all(kLetterboxFill));
  resized.copyTo(out(cv::Rect(int(pad_x), int(pad_y), new_w, new_h)));
  return out;
}

Box Letterbox::to_original(const Box& b) const {
  return {to_original_x(b.x1), to_original_y(b.y1), to_original_x(b.x2), to_original_y(b.y2)};
}

Box Letterbox::to_input(const Box& b) const {
  return {b.x1 * scale + pad_x, b.y1 * scale + pad_y, b.x2 * scale + pad_x,
          b.y2 * scale + pad_y};
}

Keypoint Letterbox::to_original(const Keypoint& k) const {
  return {to_original_x(k.x), to_original_y(k.y), k.v};
}

Keypoint Letterbox::to_input(const Keypoint& k) const {
  return {k.x * scale + pad_x, k.y * scale + pad_y, k.v};
}

Instance Letterbox::to_original(Instance instance) const {
  instance.box = to_original(instance.box);
  for (auto& k : instance.keypoints) k = to_original(k);
  return instance;
}

Instance Letterbox::to_input(Instance instance) const {
  instance.box = to_input(instance.box);
  for (auto& k : instance.keypoints) k = to_input(k);
  return instance;
}

}  // namespace bt::pose
