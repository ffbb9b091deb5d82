// Zero-label mouse detector for clean arenas (the default before any model is trained):
// background model -> signed foreground -> blobs split to the known count -> keypoints from
// the body shape.
//
//   cv::Mat bg = bt::pose::video_background("cage1.mp4", 25);  // or median_background(frames)
//   bt::pose::ClassicalDetector det(options);
//   det.set_background(bg);
//   std::vector<bt::Instance> mice = det.detect(frame);   // one frame
//   std::vector<bt::Instance> mice = det.track(frame);    // video: head/tail from motion
//
// Background (median_background): the per-pixel median of sampled frames, per colour
// channel. A mouse that rests through most samples survives a median, so the median is
// compared with a floor model (a median filter a third of the short side wide: the floor
// varies slowly, mice are compact); compact deviations of 0.2-8% of the image that differ by
// 45 grey levels or more somewhere are resting mice, replaced by the samples there that
// agree with the floor (the floor seen while the mouse was away), or by the floor model where
// the mouse never left. Elsewhere the median stays (real floors have texture and lighting a
// smooth model does not follow).
//
// Steps (one frame):
//  1. illumination: the frame's gain relative to the background as a smooth field (median
//     ratios in 32-px cells, mice left out; lamps flicker, cameras adjust exposure);
//  2. signed difference d = frame - gain x background (smoothed): dark coats give d < 0,
//     white coats d > 0 (for light coats, the largest excess over the colour channels: a
//     white mouse's edge is floor-grey but pinkish). Each sign is segmented on its own
//     (seeds |d| >= min_contrast, wider than an eye, grown by hysteresis into
//     |d| >= min_contrast / 2), closed and opened, so a white mouse touching a black one
//     gives two blobs. Dark seeds must also be darker than any shadow (shadow_max_fraction
//     of the floor's light), so a white mouse's shadow rim is no mouse. Filled blobs of at
//     least min_area_fraction x the image are kept;
//  3. when the animal count is known and blobs are fewer, each blob of at least 60% of a
//     mouse's area holds one mouse and each further mouse goes to the blob with the most
//     area per mouse (D'Hondt's rule), as long as each part keeps 60% of a mouse's area
//     (the mean body area of the blobs when all mice were apart, in track(); otherwise the
//     foreground area / count); a blob given k mice is split by k-means on its pixels;
//  4. per blob: the tail (thin) is removed by an opening with a disc of a quarter of the body
//     width; body axis by PCA of the remaining pixels; the anterior end is the one that
//     tapers (narrower profile near the tip) and does not carry the removed tail pixels;
//     nose = the anterior tip, tail base = the posterior tip where the tail leaves, ears
//     either side of the axis 22% of the body length behind the nose (the animal's left
//     is on the left of its heading seen from above: heading (1, 0) puts it at y < 0);
//  5. scores: detection score from the elongation and the area relative to the median
//     blob; nose/tail scores from the head/tail margin; ears at most 0.5 (they are
//     placed by body proportions, not seen). Above the known count, the blobs with the
//     lowest score x mean contrast go (a lighting change on a real floor has less contrast
//     than a coat); instances come out in that order.
// track() keeps the previous frame's heading per blob (nearest centroid) and picks the
// orientation agreeing with it and with the direction of motion when the mouse moves.
// Output coordinates are frame pixels. Thread safety: one detector per thread; the free
// functions are reentrant.
#pragma once

#include <filesystem>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::pose {

struct ClassicalOptions {
  int n_animals = 0;                // expected mice per frame; 0 = unknown (no splitting)
  double min_area_fraction = 0.002; // smallest blob, fraction of the image area
  double min_contrast = 20;         // grey levels; foreground seeds differ at least this much
  double shadow_max_fraction = 0.4; // a shadow takes at most this fraction of the floor's
                                    // light: dark mice are seeded only where darker
  double motion_min_px = 2;         // centroid speed (px/frame) from which motion decides
  void validate() const;
};

// Background from frames of one arena (BGR when all frames are BGR, else grey; 8-bit): the
// per-pixel median with resting mice replaced by the floor (see above). Needs at least one
// frame, all of one size.
cv::Mat median_background(const std::vector<cv::Mat>& frames);

// median_background() of n_samples frames spread evenly over the whole video (fewer when
// the video is shorter): the mice move, the arena does not. Throws bt::Error when the video
// cannot be read or n_samples < 1.
cv::Mat video_background(const std::filesystem::path& video, int n_samples);

class ClassicalDetector {
 public:
  explicit ClassicalDetector(ClassicalOptions options = {});
  void set_background(const cv::Mat& background);
  std::vector<Instance> detect(const cv::Mat& frame) const;
  // detect() plus head/tail continuity and the learnt size of a mouse across consecutive
  // calls.
  std::vector<Instance> track(const cv::Mat& frame);
  // The foreground mask (both signs) of a frame (for tests and debugging).
  cv::Mat foreground(const cv::Mat& frame) const;

 private:
  struct Segmentation;
  Segmentation segment(const cv::Mat& frame) const;
  std::vector<Instance> detect_impl(const cv::Mat& frame, double mouse_area_px,
                                    std::vector<double>* apart_areas, bool use_headings) const;

  ClassicalOptions options_;
  cv::Mat background_;       // CV_32FC3 (BGR) or CV_32FC1, as given
  cv::Mat background_gray_;  // CV_32FC1
  std::vector<cv::Point2d> prev_centers_, prev_headings_;
  double mouse_area_px_ = 0;  // running mean blob area when all mice were apart; 0 = unknown
};

}  // namespace bt::pose
