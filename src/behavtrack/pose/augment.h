// Training augmentations for top-view cages: geometric (left/right flip through the
// skeleton's flip map, rotation by any angle, scale, translation) and photometric
// (brightness, contrast, gamma, blur, sensor noise).
//
//   std::mt19937 rng(seed);
//   bt::pose::AugmentOptions o;
//   bt::pose::Augmented a = bt::pose::random_view(image, truth, skeleton, 320, o, rng);
//   // a.image: 320x320 letterboxed, rotated, maybe mirrored; a.instances in its pixels
//
// A mirror swaps the animal's left and right: keypoint i takes the place of flip[i]
// (earL <-> earR). Boxes after a rotation are the box of the ellipse inscribed in the
// original box (a body is rounded, so the rotated corners would overstate it), grown to
// hold the moved keypoints. Keypoints that leave the image become absent (v = 0); an
// instance whose box leaves the image by more than half is dropped.
// Thread safety: pure functions; the caller owns the random engine.
#pragma once

#include <opencv2/core.hpp>
#include <random>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::pose {

struct AugmentOptions {
  double flip_probability = 0.5;
  // Detector views turn by a random multiple of 90 degrees (quarter_turns) plus a tilt
  // uniform in [-rotate_deg, rotate_deg]. Quarter turns map an axis-aligned box exactly; a
  // tilt makes the box a guess (below), poor for a long thin mouse lying diagonally (a 45
  // degree turn of a 115x40 px mouse's box gives a target of IoU ~0.4 with its true box), so
  // the tilt stays small. Refiner crops turn by any angle (they need no box).
  double rotate_deg = 10;
  bool quarter_turns = true;
  double scale_range = 0.25;    // zoom factor uniform in [1 - s, 1 + s]
  double translate_fraction = 0.1;  // shift up to this fraction of the output side
  double brightness = 0.2;      // added, fraction of 255
  double contrast = 0.25;       // multiplier in [1 - c, 1 + c]
  double gamma = 0.3;           // exponent in [1 - g, 1 + g]
  double blur_probability = 0.2;
  double noise_sigma = 6;       // Gaussian noise, grey levels, uniform in [0, sigma]
  void validate() const;
};

// Mirrors an image left/right and its instances through the flip map.
void flip_horizontal(cv::Mat& image, std::vector<Instance>& instances, const Skeleton& skeleton);

// Applies a 2x3 affine map to an instance (mirror: whether the map reverses orientation,
// so left and right keypoints swap through skeleton.flip).
Instance transform_instance(const Instance& instance, const cv::Matx23d& map, bool mirror,
                            const Skeleton& skeleton, int out_w, int out_h);

struct Augmented {
  cv::Mat image;
  std::vector<Instance> instances;
};

// A random view of the frame, letterboxed into out_px x out_px.
Augmented random_view(const cv::Mat& image, const std::vector<Instance>& instances,
                      const Skeleton& skeleton, int out_px, const AugmentOptions& options,
                      std::mt19937& rng);

// A view of the region around `center` (original pixels) rotated by angle_deg, scaled by
// `scale` (output pixels per original pixel), optionally mirrored, into out_px x out_px.
// Returns the map used (original -> output pixels) in *map_out when not null.
Augmented crop_view(const cv::Mat& image, const std::vector<Instance>& instances,
                    const Skeleton& skeleton, cv::Point2d center, double scale,
                    double angle_deg, bool mirror, int out_px, cv::Matx23d* map_out);

// Brightness/contrast/gamma, blur and noise, in place on an 8-bit image.
void photometric(cv::Mat& image, const AugmentOptions& options, std::mt19937& rng);

}  // namespace bt::pose
