// Zero-label mouse detector for clean arenas (the default before any model is trained):
// background model -> foreground -> blobs -> keypoints from the body shape.
//
//   bt::pose::ClassicalDetector det(options);
//   det.set_background(bt::pose::median_background(sampled_frames));
//   std::vector<bt::Instance> mice = det.detect(frame);   // one frame
//   std::vector<bt::Instance> mice = det.track(frame);    // video: head/tail from motion
//
// Steps (one image):
//  1. foreground = |frame - background| (grey) above a threshold (Otsu's on the difference,
//     never below min_contrast), closed and opened;
//  2. blobs by connected contours with an area of at least min_area_fraction x the image;
//     when the animal count is known and blobs are fewer, the largest blobs are split
//     (k-means on pixel positions, 2 parts) while that brings the count closer;
//  3. per blob: the tail (thin) is removed by an opening with a disc of a quarter of the body
//     width; body axis by PCA of the remaining pixels; the anterior end is the one that
//     tapers (narrower profile near the tip) and does not carry the removed tail pixels;
//     nose = the anterior tip, tail base = the posterior tip where the tail leaves, ears
//     either side of the axis 22% of the body length behind the nose (the animal's left
//     is on the left of its heading seen from above: heading (1, 0) puts it at y < 0).
//  4. scores: detection score from the elongation and the area relative to the median
//     blob; nose/tail scores from the head/tail margin; ears at most 0.5 (they are
//     placed by body proportions, not seen).
// track() keeps the previous frame's heading per blob (nearest centroid) and picks the
// orientation agreeing with it and with the direction of motion when the mouse moves.
// Output coordinates are frame pixels. Thread safety: one detector per thread.
#pragma once

#include <opencv2/core/mat.hpp>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::pose {

struct ClassicalOptions {
  int n_animals = 0;                // expected mice per frame; 0 = unknown (no splitting)
  double min_area_fraction = 0.002; // smallest blob, fraction of the image area
  double min_contrast = 20;         // grey levels; foreground threshold floor
  double motion_min_px = 2;         // centroid speed (px/frame) from which motion decides
  void validate() const;
};

// Per-pixel median of frames (grey); needs at least one frame, all of one size.
cv::Mat median_background(const std::vector<cv::Mat>& frames);

class ClassicalDetector {
 public:
  explicit ClassicalDetector(ClassicalOptions options = {});
  void set_background(const cv::Mat& background);
  std::vector<Instance> detect(const cv::Mat& frame) const;
  // detect() plus head/tail continuity across consecutive calls.
  std::vector<Instance> track(const cv::Mat& frame);
  // The foreground mask of the last frame seen (for tests and debugging).
  cv::Mat foreground(const cv::Mat& frame) const;

 private:
  struct Blob;
  std::vector<Instance> detect_impl(const cv::Mat& frame, std::vector<cv::Point2d>* headings) const;

  ClassicalOptions options_;
  cv::Mat background_;  // CV_8UC1
  std::vector<cv::Point2d> prev_centers_, prev_headings_;
};

}  // namespace bt::pose
