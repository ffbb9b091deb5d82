// Letterbox: fit a frame into a network input keeping its aspect ratio, padding the rest
// with grey (114), as YOLO models expect. Two shapes:
//  - fit(): a square input_px x input_px input (training views, Ultralytics exports, whose
//    input size is fixed);
//  - fit_rect(): the frame's longer side scaled to input_px and each side of the input
//    rounded up to a multiple of 32 (Ultralytics' "rect"/"auto" letterbox): a 640x480 frame
//    at 320 gives a 320x256 input, 20% fewer pixels than 320x320 for a fully convolutional
//    detector, which gives the same answer on the picture's pixels.
//
//   bt::pose::Letterbox lb = bt::pose::Letterbox::fit(640, 480, 320);  // scale 0.5, pad_y 40
//   cv::Mat input = lb.apply(frame);                  // 320x320 BGR
//   bt::Box original = lb.to_original(input_box);     // back to frame pixels
//   bt::pose::Letterbox::fit_rect(640, 480, 320);     // 320x256, scale 0.5, pad_y 8
//
// Coordinates: input = original * scale + pad; original = (input - pad) / scale; both in
// pixels, origin top-left. Thread safety: plain value.
#pragma once

#include <opencv2/core/mat.hpp>

#include "behavtrack/core/types.h"

namespace bt::pose {

constexpr int kLetterboxFill = 114;

struct Letterbox {
  double scale = 1;             // input pixels per original pixel
  double pad_x = 0, pad_y = 0;  // input pixels of padding on the left and on the top
  int input_w = 0, input_h = 0; // input size, pixels (multiples of 32)
  int original_w = 0, original_h = 0;

  // Both throw bt::Error when a size is not positive or input_px is not a multiple of 32.
  static Letterbox fit(int original_w, int original_h, int input_px);
  static Letterbox fit_rect(int original_w, int original_h, int input_px);

  cv::Mat apply(const cv::Mat& image) const;
  double to_original_x(double x) const { return (x - pad_x) / scale; }
  double to_original_y(double y) const { return (y - pad_y) / scale; }
  Box to_original(const Box& b) const;
  Box to_input(const Box& b) const;
  Keypoint to_original(const Keypoint& k) const;
  Keypoint to_input(const Keypoint& k) const;
  Instance to_original(Instance instance) const;
  Instance to_input(Instance instance) const;
};

// Throws bt::Error naming `field` unless 32 <= input_px <= 4096 and input_px % 32 == 0.
void validate_input_px(int input_px, const char* field);

}  // namespace bt::pose
