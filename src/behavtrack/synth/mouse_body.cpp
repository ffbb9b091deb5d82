#include "behavtrack/synth/mouse_body.h"

#include <algorithm>

namespace bt::synth {
namespace {

constexpr double kPi = 3.141592653589793;

// Half-width of an adult mouse seen from above, as a fraction of its nose-to-tail-base
// length L, at spine fractions s (tail base 0, nose 1): broad hips, a slight waist, the
// neck, the head at the ears and the tapering snout. Read off top-view frames of the DLC
// open-field data (a C57BL/6 is ~3.2 cm wide at the hips for ~8.5 cm of body).
constexpr std::array<double, 12> kProfileS = {0.00, 0.08, 0.20, 0.32, 0.45, 0.58,
                                              0.68, 0.74, 0.80, 0.88, 0.95, 1.00};
constexpr std::array<double, 12> kProfileHalfWidth = {0.080, 0.150, 0.185, 0.190,
                                                      0.175, 0.150, 0.122, 0.118,
                                                      0.112, 0.088, 0.055, 0.030};
constexpr double kNeckS = 0.62, kHeadS = 0.78;  // where the head yaw ramps in
constexpr double kEarS = 0.73;                  // ears sit at the back of the head

double profile(double s) {
  const auto it = std::upper_bound(kProfileS.begin(), kProfileS.end(), s);
  if (it == kProfileS.begin()) return kProfileHalfWidth.front();
  if (it == kProfileS.end()) return kProfileHalfWidth.back();
  const std::size_t i = static_cast<std::size_t>(it - kProfileS.begin());
  const double t = (s - kProfileS[i - 1]) / (kProfileS[i] - kProfileS[i - 1]);
  return kProfileHalfWidth[i - 1] + t * (kProfileHalfWidth[i] - kProfileHalfWidth[i - 1]);
}

double smoothstep(double lo, double hi, double x) {
  const double t = std::clamp((x - lo) / (hi - lo), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

// Spine direction at fraction s: the body bends evenly along its length and the head
// turns on the neck.
double spine_angle(const MousePose& p, double s) {
  return p.heading + p.bend * (s - 0.5) + p.head_yaw * smoothstep(kNeckS, kHeadS, s);
}

}  // namespace

double wrap_angle(double a) {
  a = std::fmod(a + kPi, 2 * kPi);
  if (a <= 0) a += 2 * kPi;
  return a - kPi;
}

BodyGeometry body_geometry(const MousePose& p) {
  BodyGeometry b;
  constexpr int kMid = kSpinePoints / 2;
  const double ds = 1.0 / (kSpinePoints - 1);
  b.length_cm = p.length_cm * p.length_scale;
  const double step = b.length_cm * ds;
  b.spine[kMid] = p.center;
  // Integrate the spine outwards from the centre with the mid-segment direction.
  for (int i = kMid + 1; i < kSpinePoints; ++i)
    b.spine[i] = b.spine[i - 1] + Vec2::from_angle(spine_angle(p, (i - 0.5) * ds)) * step;
  for (int i = kMid - 1; i >= 0; --i)
    b.spine[i] = b.spine[i + 1] - Vec2::from_angle(spine_angle(p, (i + 0.5) * ds)) * step;
  for (int i = 0; i < kSpinePoints; ++i) {
    const double s = i * ds;
    b.direction[i] = Vec2::from_angle(spine_angle(p, s));
    const double head = smoothstep(kNeckS, kHeadS, s);
    b.half_width[i] = profile(s) * p.length_cm * p.width_scale * (1 + (p.head_scale - 1) * head);
  }

  b.tail_base = b.spine.front();
  b.nose = b.spine.back();
  const double L = p.length_cm;
  b.rump = {b.tail_base, 0.05 * L, b.half_width.front(),
            std::atan2(b.direction.front().y, b.direction.front().x)};
  b.snout = {b.nose, 0.035 * L * p.head_scale, b.half_width.back(),
             std::atan2(b.direction.back().y, b.direction.back().x)};

  // Ears: rounded flaps at the back of the head, sticking out sideways and slightly back.
  const Vec2 ear_base = body_point(b, kEarS, 0);
  const Vec2 dir = Vec2::from_angle(spine_angle(p, kEarS));
  const Vec2 left = left_of(dir);
  const double head_hw = profile(kEarS) * L * p.width_scale * p.head_scale;
  const double ear_r = 0.062 * L * p.head_scale;
  const double ear_out = head_hw * 0.85;
  const double head_angle = std::atan2(dir.y, dir.x);
  b.ear_left = {ear_base + left * ear_out - dir * (0.01 * L), 0.75 * ear_r, ear_r,
                head_angle - 0.35};
  b.ear_right = {ear_base - left * ear_out - dir * (0.01 * L), 0.75 * ear_r, ear_r,
                 head_angle + 0.35};
  b.ear_left_point = b.ear_left.center;
  b.ear_right_point = b.ear_right.center;
  return b;
}

Vec2 body_point(const BodyGeometry& b, double s, double side) {
  const double x = std::clamp(s, 0.0, 1.0) * (kSpinePoints - 1);
  const int i = std::min(static_cast<int>(x), kSpinePoints - 2);
  const double t = x - i;
  const Vec2 on_spine = b.spine[i] * (1 - t) + b.spine[i + 1] * t;
  const Vec2 dir = b.direction[i] * (1 - t) + b.direction[i + 1] * t;
  const double hw = b.half_width[i] * (1 - t) + b.half_width[i + 1] * t;
  return on_spine + left_of(dir) * (side * hw / std::max(dir.norm(), 1e-9));
}

}  // namespace bt::synth
