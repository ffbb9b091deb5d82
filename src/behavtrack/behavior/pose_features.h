// Per-mouse, per-frame pose features from tracked keypoints and boxes, over several centred
// time windows, computed in one streaming pass (memory bounded by the longest window,
// whatever the video length). The input of the pose-feature behaviour classifier
// (ref: MARS, Segalin et al. 2021, eLife 10:e63720; JABS, Beane et al. 2022).
//
//   bt::behavior::PoseFeatureOptions o;  o.fps = 30;  o.width = 640;  o.height = 480;
//   bt::behavior::PoseFeatureExtractor fx(o);
//   for (const auto& frame : tracks.frames)
//     fx.push(frame, [&](FrameIndex f, TrackId id, const float* values) { ... });
//   fx.finish(sink);                  // emits the last frames (windows clipped at the end)
//   fx.feature_names();               // one name per value, in order
//
// Rows come out in frame order, about half the longest window after their frame was pushed.
// Only instances with an id are used; a mouse missing in a frame has no row for it.
// A value that cannot be computed (no other mouse, keypoint absent, first frame of a track)
// is NaN, which XGBoost treats as missing.
//
// Base signals, per mouse m in frame t (pixels, seconds; c = box centre; "nose", "tail" and
// "ears" are the keypoints named in the options; ear mid = mean of the present ears, else the
// nose-tail midpoint; "other" = every other tracked mouse in the frame):
// | name | definition |
// |---|---|
// | body_len_px | abs(nose - tail): foreshortened when rearing (top view) |
// | body_len_rel | body_len_px / slow running mean of the mouse's body_len_px (EMA, 10 s) |
// | bend_rad | abs angle between head direction (nose - ear mid) and body axis (ear mid - tail) |
// | box_aspect | longer / shorter side of the box |
// | box_area_px2 | box area |
// | wall_px | distance from c to the nearest image border (the arena wall in a cropped video) |
// | nose_wall_px | distance from the nose to the nearest image border |
// | speed_px_s | speed of c |
// | nose_speed_px_s, tail_speed_px_s | speed of the nose and of the tail base |
// | accel_px_s2 | change of speed_px_s per second |
// | turn_rad_s | abs change of body-axis heading (tail -> nose) per second |
// | body_len_rate_px_s | change of body_len_px per second |
// | nose_nose_px | min over others of abs(nose_m - nose_o) |
// | nose_tail_px | min over others of abs(nose_m - tail_o) |
// | nose_body_px | min over others of abs(nose_m - c_o) |
// | body_body_px | min over others of abs(c_m - c_o); the minimiser is "the partner" |
// | rel_heading_rad | abs heading difference to the partner |
// | facing_rad | abs angle between m's heading and the direction from m's nose to the partner's c |
// | n_close | number of others with abs(c_m - c_o) < 1.5 body_len_px |
// | approach_px_s | -(change of body_body_px per second): positive when closing in |
// | partner_speed_px_s | the partner's speed_px_s |
// Features: each base signal at t, then for each window w (centred, windows_s rounded to an
// odd number of frames) the mean and the standard deviation of each base signal over the
// frames of the window where it is defined: `<signal>`, `<signal>_mean_<w>f`, `<signal>_std_<w>f`.
// Thread safety: one extractor per thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::behavior {

struct PoseFeatureOptions {
  double fps = 30;                          // frames per second of the tracks (> 0)
  int width = 0, height = 0;                // frame size, pixels (> 0): walls are its borders
  Skeleton skeleton = Skeleton::default_mouse();
  std::string nose_keypoint = "nose";
  std::string tail_keypoint = "tailB";
  std::vector<std::string> ear_keypoints = {"earL", "earR"};  // optional: names not in the skeleton are skipped
  std::vector<double> windows_s = {0.2, 0.6, 2.0};             // centred window lengths, seconds

  // Throws bt::Error naming the field and value (fps, size, windows, keypoint names).
  void validate() const;
  // windows_s in frames, each odd and >= 1.
  std::vector<int> window_frames() const;
};

// Receives one row: the frame, the mouse and feature_names().size() values.
using FeatureSink = std::function<void(FrameIndex frame, TrackId id, const float* values)>;

class PoseFeatureExtractor {
 public:
  explicit PoseFeatureExtractor(PoseFeatureOptions options);
  ~PoseFeatureExtractor();
  PoseFeatureExtractor(const PoseFeatureExtractor&) = delete;
  PoseFeatureExtractor& operator=(const PoseFeatureExtractor&) = delete;

  const std::vector<std::string>& feature_names() const;
  // The base signal names (the table above), in order.
  static const std::vector<std::string>& base_signal_names();
  // Frames must come in increasing order; gaps are allowed (missing frames have no mice).
  void push(const FrameInstances& frame, const FeatureSink& sink);
  // Emits every frame still pending. The extractor can then take a new video.
  void finish(const FeatureSink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bt::behavior
