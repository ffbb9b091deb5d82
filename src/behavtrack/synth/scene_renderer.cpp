#include "behavtrack/synth/scene_renderer.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <opencv2/imgproc.hpp>

namespace bt::synth {
namespace {

constexpr double kPi = 3.141592653589793;
constexpr int kShift = 4;                 // fixed-point bits for OpenCV drawing
constexpr double kFixed = 1 << kShift;
constexpr int kNoiseMarginPx = 32;        // the noise bank is this much larger than a frame

// Fixed-point OpenCV position of a point given in pixel-edge coordinates (a pixel's centre
// is at i + 0.5 here and at i for OpenCV), relative to `origin`.
cv::Point fixed(Vec2 p, cv::Point origin = {0, 0}) {
  return {static_cast<int>(std::lround((p.x - 0.5 - origin.x) * kFixed)),
          static_cast<int>(std::lround((p.y - 0.5 - origin.y) * kFixed))};
}
int fixed_length(double px) { return std::max(1, static_cast<int>(std::lround(px * kFixed))); }

// Colours (BGR) of the three coats: fur at the body's edge and along the back (fur
// catches the light on the curved back), ears, tail, eyes.
struct CoatColors {
  cv::Vec3f fur_edge, fur_top;
  cv::Scalar ear, ear_inner, tail, tail_tip, eye, nose;
  bool pink_nose;
};
CoatColors coat_colors(Coat coat) {
  switch (coat) {
    case Coat::kWhite:
      return {{186, 194, 212}, {242, 245, 248}, {172, 176, 226}, {150, 150, 214},
              {168, 174, 214}, {186, 192, 226}, {50, 40, 120},  {165, 160, 232}, true};
    case Coat::kAgouti:
      return {{34, 46, 62},  {78, 100, 128}, {62, 74, 100}, {88, 98, 132},
              {62, 74, 96},  {96, 108, 132}, {14, 14, 18},  {0, 0, 0},       false};
    case Coat::kBlack:
    default:
      return {{17, 18, 19},  {50, 52, 54},  {58, 60, 70},  {84, 88, 108},
              {52, 52, 60},  {92, 94, 104}, {12, 12, 14},  {0, 0, 0},       false};
  }
}

// The body geometry mapped from arena centimetres to image pixels.
BodyGeometry to_pixels(const BodyGeometry& cm, const ArenaLayout& l) {
  BodyGeometry px = cm;
  const double k = l.px_per_cm;
  for (int i = 0; i < kSpinePoints; ++i) {
    px.spine[i] = l.to_px(cm.spine[i]);
    px.half_width[i] = cm.half_width[i] * k;
  }
  for (Ellipse* e : {&px.rump, &px.snout, &px.ear_left, &px.ear_right}) {
    e->center = l.to_px(e->center);
    e->radius_along *= k;
    e->radius_across *= k;
  }
  px.nose = l.to_px(cm.nose);
  px.ear_left_point = l.to_px(cm.ear_left_point);
  px.ear_right_point = l.to_px(cm.ear_right_point);
  px.tail_base = l.to_px(cm.tail_base);
  px.length_cm = cm.length_cm;
  return px;
}

void fill_ellipse(cv::Mat& img, const Ellipse& e, cv::Point origin, const cv::Scalar& color,
                  int line_type, double scale = 1.0, Vec2 offset = {}) {
  cv::ellipse(img, fixed(e.center + offset, origin),
              cv::Size(fixed_length(e.radius_along * scale), fixed_length(e.radius_across * scale)),
              e.angle * 180 / kPi, 0, 360, color, cv::FILLED, line_type, kShift);
}

// The dome-shaped "height" of the body used for shading and the shadow: the mask blurred
// over about a tenth of the body length.
double dome_sigma_px(const BodyGeometry& px, double px_per_cm) {
  return std::max(1.0, 0.09 * px.length_cm * px_per_cm);
}

cv::Mat smooth_field(Random& rng, int rows, int cols, int cells_x, int cells_y) {
  cv::Mat coarse(cells_y, cells_x, CV_32F);
  for (int r = 0; r < cells_y; ++r)
    for (int c = 0; c < cells_x; ++c) coarse.at<float>(r, c) = static_cast<float>(rng.uniform(-1, 1));
  cv::Mat fine;
  cv::resize(coarse, fine, cv::Size(cols, rows), 0, 0, cv::INTER_CUBIC);
  return fine;
}

}  // namespace

ArenaLayout arena_layout(int width_px, int height_px) {
  ArenaLayout l;
  const double border = std::max(2.0, std::round(0.035 * std::min(width_px, height_px)));
  l.floor_x_px = border;
  l.floor_y_px = border;
  l.floor_w_px = width_px - 2 * border;
  l.floor_h_px = height_px - 2 * border;
  l.px_per_cm = std::max(l.floor_w_px, l.floor_h_px) / kArenaLongSideCm;
  return l;
}

// ---- the empty arena --------------------------------------------------------------------

SceneRenderer::SceneRenderer(const SceneOptions& options)
    : options_(options),
      layout_(arena_layout(options.width_px, options.height_px)),
      rng_(options.seed, 3) {
  if (options.draw) build_background();
}

void SceneRenderer::build_background() {
  const SceneOptions& options = options_;
  Random scene(options.seed, 2);
  const int W = options.width_px, H = options.height_px;
  const cv::Rect floor(static_cast<int>(layout_.floor_x_px), static_cast<int>(layout_.floor_y_px),
                       static_cast<int>(layout_.floor_w_px), static_cast<int>(layout_.floor_h_px));

  // Floor texture: plain white plastic, or wood-chip bedding.
  cv::Mat texture(H, W, CV_8UC3, cv::Scalar(192, 194, 195));
  if (options.bedding) {
    texture.setTo(cv::Scalar(92, 126, 156));
    const double k = layout_.px_per_cm;
    const double area_cm2 = layout_.width_cm() * layout_.height_cm();
    const int n_chips = static_cast<int>(area_cm2 / 0.045);
    for (int c = 0; c < n_chips; ++c) {
      const Vec2 at{layout_.floor_x_px + scene.uniform() * layout_.floor_w_px,
                    layout_.floor_y_px + scene.uniform() * layout_.floor_h_px};
      const double light = scene.uniform(0.72, 1.12);
      const cv::Scalar color(scene.uniform(118, 150) * light, scene.uniform(160, 184) * light,
                             scene.uniform(190, 214) * light);
      const Ellipse chip{at, scene.uniform(0.12, 0.32) * k, scene.uniform(0.05, 0.12) * k,
                         scene.uniform(0, kPi)};
      fill_ellipse(texture, chip, {0, 0}, color, cv::LINE_AA);
    }
    cv::GaussianBlur(texture, texture, cv::Size(3, 3), 0.6);
  }

  // Light: a broad uneven field, darker corners (vignetting) and a soft shade along the
  // walls; the walls' top edges are grey with a dark seam where they meet the floor.
  const cv::Mat unevenness = smooth_field(scene, H, W, 7, 5);
  const double shade_px = 0.8 * layout_.px_per_cm;
  background_.create(H, W, CV_8UC3);
  for (int y = 0; y < H; ++y) {
    for (int x = 0; x < W; ++x) {
      const double cx = (x + 0.5) / W - 0.5, cy = (y + 0.5) / H - 0.5;
      const double vignette = 1 - 0.24 * (cx * cx + cy * cy);
      const double dx = std::min(x + 0.5 - floor.x, floor.br().x - (x + 0.5));
      const double dy = std::min(y + 0.5 - floor.y, floor.br().y - (y + 0.5));
      const double wall_distance = std::min(dx, dy);  // < 0 outside the floor
      cv::Vec3f color;
      if (wall_distance < 0) {
        const double edge = std::min({x + 0.5, y + 0.5, W - x - 0.5, H - y - 0.5});
        const double g = 0.8 + 0.2 * std::clamp(edge / floor.x, 0.0, 1.0);
        color = cv::Vec3f(172, 174, 176) * static_cast<float>(g);
        if (wall_distance > -1.5) color = cv::Vec3f(104, 106, 108);
      } else {
        const cv::Vec3b t = texture.at<cv::Vec3b>(y, x);
        const double light = (1 + 0.035 * unevenness.at<float>(y, x)) *
                             (1 - 0.14 * std::exp(-wall_distance / shade_px));
        color = cv::Vec3f(t[0], t[1], t[2]) * static_cast<float>(light);
      }
      color *= static_cast<float>(vignette);
      background_.at<cv::Vec3b>(y, x) =
          cv::Vec3b(cv::saturate_cast<uchar>(color[0]), cv::saturate_cast<uchar>(color[1]),
                    cv::saturate_cast<uchar>(color[2]));
    }
  }

  // Sensor noise bank: mostly luminance with a little colour, split into the positive and
  // negative parts so that adding it to 8-bit frames is two saturating SIMD operations.
  if (options.noise > 0) {
    const double sigma = 3.5 * options.noise;
    noise_up_.create(H + kNoiseMarginPx, W + kNoiseMarginPx, CV_8UC3);
    noise_down_.create(noise_up_.size(), CV_8UC3);
    Random noise(options.seed, 4);
    for (int y = 0; y < noise_up_.rows; ++y) {
      for (int x = 0; x < noise_up_.cols; ++x) {
        const double luma = noise.normal() * sigma;
        cv::Vec3b up, down;
        for (int c = 0; c < 3; ++c) {
          const long v = std::lround(luma + noise.normal() * 0.3 * sigma);
          up[c] = cv::saturate_cast<uchar>(std::max(v, 0L));
          down[c] = cv::saturate_cast<uchar>(std::max(-v, 0L));
        }
        noise_up_.at<cv::Vec3b>(y, x) = up;
        noise_down_.at<cv::Vec3b>(y, x) = down;
      }
    }
  }
  drift_phase_[0] = scene.uniform(0, 2 * kPi);
  drift_phase_[1] = scene.uniform(0, 2 * kPi);
}

// ---- rasterisation and truth ------------------------------------------------------------

void SceneRenderer::rasterize_body(const MouseState& mouse, Body& body) const {
  body.px = to_pixels(body_geometry(mouse.pose), layout_);
  const BodyGeometry& g = body.px;
  double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
  auto extend = [&](Vec2 p, double r) {
    x0 = std::min(x0, p.x - r);
    y0 = std::min(y0, p.y - r);
    x1 = std::max(x1, p.x + r);
    y1 = std::max(y1, p.y + r);
  };
  for (int i = 0; i < kSpinePoints; ++i) extend(g.spine[i], g.half_width[i]);
  for (const Ellipse* e : {&g.rump, &g.snout, &g.ear_left, &g.ear_right})
    extend(e->center, std::max(e->radius_along, e->radius_across));
  // Room for the blurred dome and the shadow around the body.
  const double margin = 3 + 3 * dome_sigma_px(g, layout_.px_per_cm);
  const cv::Rect wanted(cv::Point(static_cast<int>(std::floor(x0 - margin)),
                                  static_cast<int>(std::floor(y0 - margin))),
                        cv::Point(static_cast<int>(std::ceil(x1 + margin)),
                                  static_cast<int>(std::ceil(y1 + margin))));
  body.roi = wanted & cv::Rect(0, 0, options_.width_px, options_.height_px);
  body.mask.create(body.roi.size(), CV_8UC1);
  body.mask.setTo(0);
  if (body.roi.empty()) return;
  const cv::Point origin = body.roi.tl();

  // Trapezoids between spine sections, discs along the middle (so that a strongly bent
  // spine cannot fold the outline), then the rounded ends and the ears.
  for (int i = 0; i + 1 < kSpinePoints; ++i) {
    const Vec2 l0 = left_of(g.direction[i]) * g.half_width[i];
    const Vec2 l1 = left_of(g.direction[i + 1]) * g.half_width[i + 1];
    const cv::Point quad[4] = {fixed(g.spine[i] + l0, origin), fixed(g.spine[i + 1] + l1, origin),
                               fixed(g.spine[i + 1] - l1, origin), fixed(g.spine[i] - l0, origin)};
    const cv::Point* polys[1] = {quad};
    const int counts[1] = {4};
    cv::fillPoly(body.mask, polys, counts, 1, cv::Scalar(255), cv::LINE_8, kShift);
  }
  for (int i = 2; i + 2 < kSpinePoints; ++i)
    cv::circle(body.mask, fixed(g.spine[i], origin), fixed_length(g.half_width[i]),
               cv::Scalar(255), cv::FILLED, cv::LINE_8, kShift);
  for (const Ellipse* e : {&g.rump, &g.snout, &g.ear_left, &g.ear_right})
    fill_ellipse(body.mask, *e, origin, cv::Scalar(255), cv::LINE_8);
  // Keypoints lie inside these shapes; rounding at the outline must not drop their pixel.
  for (Vec2 k : {g.nose, g.ear_left_point, g.ear_right_point, g.tail_base}) {
    const cv::Point p(static_cast<int>(std::floor(k.x)) - origin.x,
                      static_cast<int>(std::floor(k.y)) - origin.y);
    if (p.inside(cv::Rect(0, 0, body.mask.cols, body.mask.rows))) body.mask.at<uchar>(p) = 255;
  }
}

void SceneRenderer::rasterize(const std::vector<MouseState>& mice, cv::Mat& labels,
                              std::vector<MouseTruth>& truth) {
  const int n = static_cast<int>(mice.size());
  bodies_.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) rasterize_body(mice[i], bodies_[i]);
  order_.resize(static_cast<std::size_t>(n));
  std::iota(order_.begin(), order_.end(), 0);
  std::stable_sort(order_.begin(), order_.end(),
                   [&](int a, int b) { return mice[a].z < mice[b].z; });

  labels.create(options_.height_px, options_.width_px, CV_8UC1);
  labels.setTo(0);
  for (int i : order_) labels(bodies_[i].roi).setTo(mice[i].id, bodies_[i].mask);

  truth.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const Body& b = bodies_[i];
    const cv::Rect r = cv::boundingRect(b.mask);
    truth[i].box = Box::from_xywh(b.roi.x + r.x, b.roi.y + r.y, r.width, r.height);
    truth[i].keypoints.clear();
    for (Vec2 k : {b.px.nose, b.px.ear_left_point, b.px.ear_right_point, b.px.tail_base}) {
      const int col = std::clamp(static_cast<int>(std::floor(k.x)), 0, options_.width_px - 1);
      const int row = std::clamp(static_cast<int>(std::floor(k.y)), 0, options_.height_px - 1);
      const int top = labels.at<uchar>(row, col);
      const bool covered = top != 0 && top != mice[i].id;
      truth[i].keypoints.push_back(
          {k.x, k.y, covered ? Visibility::kOccluded : Visibility::kVisible});
    }
  }
}

// ---- drawing ----------------------------------------------------------------------------

void SceneRenderer::render(const std::vector<MouseState>& mice, double time_s, cv::Mat& image) {
  background_.copyTo(image);
  for (Body& b : bodies_) make_dome(b);
  for (const Body& b : bodies_) draw_shadow(b, image);
  for (const MouseState& m : mice) draw_tail(m, image);
  for (int i : order_) {
    draw_body(mice[i], bodies_[i], image);
    smear(bodies_[i], mice[i].velocity_cm_s, image);
  }
  finish_frame(time_s, image);
}

// Two box filters of width w approximate a Gaussian of variance 2 (w^2 - 1) / 12 at a
// cost independent of the width (running sums).
void SceneRenderer::make_dome(Body& body) const {
  if (body.mask.empty()) return;
  const double sigma = dome_sigma_px(body.px, layout_.px_per_cm);
  const int w = std::max(1, static_cast<int>(std::lround(std::sqrt(6 * sigma * sigma + 1))));
  cv::blur(body.mask, body.dome, cv::Size(w, w), cv::Point(-1, -1), cv::BORDER_CONSTANT);
  cv::blur(body.dome, body.dome, cv::Size(w, w), cv::Point(-1, -1), cv::BORDER_CONSTANT);
}

// A soft shadow, offset as if lit from the top-left.
void SceneRenderer::draw_shadow(const Body& body, cv::Mat& image) const {
  const int dx = static_cast<int>(std::lround(0.15 * layout_.px_per_cm));
  const int dy = static_cast<int>(std::lround(0.22 * layout_.px_per_cm));
  for (int r = 0; r < body.dome.rows; ++r) {
    const int y = body.roi.y + r + dy;
    if (y < 0 || y >= image.rows) continue;
    const uchar* dome = body.dome.ptr<uchar>(r);
    cv::Vec3b* out = image.ptr<cv::Vec3b>(y);
    for (int c = 0; c < body.dome.cols; ++c) {
      const int x = body.roi.x + c + dx;
      if (dome[c] == 0 || x < 0 || x >= image.cols) continue;
      const float keep = 1.0f - 0.35f * dome[c] / 255.0f;
      for (int k = 0; k < 3; ++k) out[x][k] = static_cast<uchar>(out[x][k] * keep);
    }
  }
}

// The tail: a tapering line from about 3 mm wide at the base to a thin tip.
void SceneRenderer::draw_tail(const MouseState& mouse, cv::Mat& image) const {
  const CoatColors colors = coat_colors(mouse.coat);
  const int n = static_cast<int>(mouse.tail.size());
  const double base_px = std::max(1.0, 0.3 * layout_.px_per_cm);
  for (int k = 0; k + 1 < n; ++k) {
    const double t = static_cast<double>(k) / std::max(1, n - 2);
    const int thickness = std::max(1, static_cast<int>(std::lround(base_px * (1 - 0.75 * t))));
    const cv::Scalar color = colors.tail * (1 - t) + colors.tail_tip * t;
    cv::line(image, fixed(layout_.to_px(mouse.tail[k])), fixed(layout_.to_px(mouse.tail[k + 1])),
             color, thickness, cv::LINE_AA, kShift);
  }
}

// Fur shaded by the dome (lighter along the back), edges antialiased by a 3x3 box filter
// of the mask, then ears, eyes and nose on top.
void SceneRenderer::draw_body(const MouseState& mouse, const Body& body, cv::Mat& image) const {
  const CoatColors colors = coat_colors(mouse.coat);
  if (body.mask.empty()) return;
  cv::Mat alpha;
  cv::blur(body.mask, alpha, cv::Size(3, 3));
  const cv::Mat& dome = body.dome;
  for (int r = 0; r < alpha.rows; ++r) {
    const uchar* a = alpha.ptr<uchar>(r);
    const uchar* d = dome.ptr<uchar>(r);
    cv::Vec3b* out = image.ptr<cv::Vec3b>(body.roi.y + r) + body.roi.x;
    for (int c = 0; c < alpha.cols; ++c) {
      if (a[c] == 0) continue;
      const float h = d[c] / 255.0f;
      const cv::Vec3f fur = colors.fur_edge + (colors.fur_top - colors.fur_edge) * (h * h);
      const float w = a[c] / 255.0f;
      for (int k = 0; k < 3; ++k)
        out[c][k] = static_cast<uchar>(out[c][k] * (1 - w) + fur[k] * w + 0.5f);
    }
  }
  const BodyGeometry& g = body.px;
  const Vec2 head_dir = (g.spine.back() - g.spine[kSpinePoints - 3]);
  const Vec2 forward = head_dir * (1 / std::max(head_dir.norm(), 1e-9));
  for (const Ellipse* ear : {&g.ear_left, &g.ear_right}) {
    fill_ellipse(image, *ear, {0, 0}, colors.ear, cv::LINE_AA);
    fill_ellipse(image, *ear, {0, 0}, colors.ear_inner, cv::LINE_AA, 0.55, forward * (0.15 * ear->radius_across));
  }
  const double eye_r = std::max(0.6, 0.022 * g.length_cm * layout_.px_per_cm);
  for (double side : {1.0, -1.0}) {
    const Vec2 eye = body_point(g, 0.88, 0.62 * side);
    cv::circle(image, fixed(eye), fixed_length(eye_r), colors.eye, cv::FILLED, cv::LINE_AA, kShift);
  }
  if (colors.pink_nose)
    cv::circle(image, fixed(g.nose), fixed_length(std::max(0.6, 0.5 * g.half_width.back())),
               colors.nose, cv::FILLED, cv::LINE_AA, kShift);
}

// Motion blur of a moving mouse: the camera's exposure (half a frame interval at noise 1)
// smears it along its velocity. The image around the body is replaced by its blur along a
// line of the smear length, weighted by the smeared mask so the floor further away stays
// sharp.
void SceneRenderer::smear(const Body& body, Vec2 velocity_cm_s, cv::Mat& image) const {
  const double exposure_s = std::min(1.0, options_.noise) * 0.5 / options_.fps;
  const Vec2 d = velocity_cm_s * (exposure_s * layout_.px_per_cm);
  const double length = d.norm();
  if (length < 1.5 || body.mask.empty()) return;
  const int k = 2 * static_cast<int>(std::ceil(length / 2)) + 1;
  cv::Mat kernel = cv::Mat::zeros(k, k, CV_32F);
  const Vec2 c{k / 2.0, k / 2.0}, half = d * 0.5;
  cv::line(kernel, fixed(c - half), fixed(c + half), cv::Scalar(1), 1, cv::LINE_AA, kShift);
  kernel /= cv::sum(kernel)[0];
  cv::Mat roi = image(body.roi), blurred, weight;
  cv::filter2D(roi, blurred, -1, kernel, cv::Point(-1, -1), 0, cv::BORDER_REPLICATE);
  cv::filter2D(body.mask, weight, -1, kernel, cv::Point(-1, -1), 0, cv::BORDER_CONSTANT);
  for (int r = 0; r < roi.rows; ++r) {
    const uchar* w = weight.ptr<uchar>(r);
    const uchar* m = body.mask.ptr<uchar>(r);
    const cv::Vec3b* b = blurred.ptr<cv::Vec3b>(r);
    cv::Vec3b* out = roi.ptr<cv::Vec3b>(r);
    for (int x = 0; x < roi.cols; ++x) {
      const float a = std::max(w[x], m[x]) / 255.0f;
      if (a == 0) continue;
      for (int ch = 0; ch < 3; ++ch)
        out[x][ch] = static_cast<uchar>(out[x][ch] * (1 - a) + b[x][ch] * a + 0.5f);
    }
  }
}

// Illumination drift (slow gain waves and flicker), optical blur, sensor noise.
void SceneRenderer::finish_frame(double time_s, cv::Mat& image) {
  const double noise = options_.noise;
  if (!(noise > 0)) return;
  const double gain = 1 + noise * (0.045 * std::sin(2 * kPi * time_s / 21.0 + drift_phase_[0]) +
                                   0.025 * std::sin(2 * kPi * time_s / 6.7 + drift_phase_[1]) +
                                   0.006 * rng_.normal());
  image.convertTo(image, CV_8U, gain);
  const double sigma = 0.55 * noise;
  const int k = 2 * static_cast<int>(std::ceil(2.5 * sigma)) + 1;
  cv::GaussianBlur(image, image, cv::Size(k, k), sigma);
  const cv::Rect window(rng_.index(kNoiseMarginPx + 1), rng_.index(kNoiseMarginPx + 1),
                        options_.width_px, options_.height_px);
  cv::add(image, noise_up_(window), image);
  cv::subtract(image, noise_down_(window), image);
}

}  // namespace bt::synth
