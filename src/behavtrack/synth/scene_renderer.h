// Draws the colony from above (private to synth): the arena floor and walls, each mouse's
// shadow, tail and shaded body (motion-blurred when it moves fast), then illumination
// drift, optical blur and sensor noise.
//
// Rasterisation comes first and also serves truth-only runs: each body (rump, trapezoids
// along the spine, snout, ears; the tail excluded) is filled into its own mask, the mask
// gives the mouse's tight box, and the masks in drawing order give a label image whose
// pixel is the id of the topmost body there (0 = floor). A keypoint is covered
// (visibility 1) when that label is another mouse. The keypoint pixels always belong to
// their own mask, so truth and pixels agree exactly.
// Coordinates: the arena (cm) maps to a floor rectangle of the image; a pixel (i, j)
// covers [i, i+1) x [j, j+1), so OpenCV drawing positions are shifted by half a pixel.
// Thread safety: a SceneRenderer belongs to one thread.
#pragma once

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "behavtrack/core/types.h"
#include "behavtrack/synth/colony.h"
#include "behavtrack/synth/random.h"

namespace bt::synth {

// Where the arena floor lies in the image and how big a centimetre is.
struct ArenaLayout {
  double floor_x_px = 0, floor_y_px = 0;  // top-left corner of the floor
  double floor_w_px = 0, floor_h_px = 0;
  double px_per_cm = 0;
  double width_cm() const { return floor_w_px / px_per_cm; }
  double height_cm() const { return floor_h_px / px_per_cm; }
  Vec2 to_px(Vec2 cm) const { return {floor_x_px + cm.x * px_per_cm, floor_y_px + cm.y * px_per_cm}; }
};
// The floor fills the image less a wall border; its longer side is kArenaLongSideCm.
inline constexpr double kArenaLongSideCm = 45.0;
ArenaLayout arena_layout(int width_px, int height_px);

struct SceneOptions {
  int width_px = 640, height_px = 480;
  bool bedding = false;
  double noise = 1.0;  // scale of sensor noise, blur and illumination drift; 0 = clean
  double fps = 30;     // frames per second (the exposure for motion blur)
  std::uint64_t seed = 1;
  bool draw = true;    // false: rasterise only (no background, no noise bank)
};

// The truth of one mouse in image pixels.
struct MouseTruth {
  Box box;                          // tight box of the body's pixels (tail excluded)
  std::vector<Keypoint> keypoints;  // nose, earL, earR, tailB
};

class SceneRenderer {
 public:
  explicit SceneRenderer(const SceneOptions& options);

  // Fills the masks, the label image (CV_8UC1) and every mouse's truth (id order).
  void rasterize(const std::vector<MouseState>& mice, cv::Mat& labels,
                 std::vector<MouseTruth>& truth);
  // Draws the last rasterised mice into `image` (CV_8UC3 BGR) at time t.
  void render(const std::vector<MouseState>& mice, double time_s, cv::Mat& image);

  const ArenaLayout& layout() const { return layout_; }
  // The empty arena, before illumination drift, blur and noise.
  const cv::Mat& background() const { return background_; }

 private:
  struct Body {
    BodyGeometry px;  // the geometry in image pixels
    cv::Rect roi;     // where the mask lies in the image
    cv::Mat mask;     // CV_8UC1, 255 on the body
    cv::Mat dome;     // the mask blurred: a height field for shading and the shadow
  };
  void build_background();
  void rasterize_body(const MouseState& mouse, Body& body) const;
  void make_dome(Body& body) const;
  void draw_shadow(const Body& body, cv::Mat& image) const;
  void draw_tail(const MouseState& mouse, cv::Mat& image) const;
  void draw_body(const MouseState& mouse, const Body& body, cv::Mat& image) const;
  void smear(const Body& body, Vec2 velocity_cm_s, cv::Mat& image) const;
  void finish_frame(double time_s, cv::Mat& image);

  SceneOptions options_;
  ArenaLayout layout_;
  cv::Mat background_;
  cv::Mat noise_up_, noise_down_;  // sensor noise bank, larger than the frame
  Random rng_;                     // per-frame noise offsets and flicker
  double drift_phase_[2] = {0, 0};
  std::vector<Body> bodies_;
  std::vector<int> order_;         // drawing order (indices into mice)
};

}  // namespace bt::synth
