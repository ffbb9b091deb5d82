// Top-view geometry of a synthetic mouse (private to synth): from a pose (where the body
// is, how it is bent and foreshortened) to the outline pieces the renderer fills and the
// exact positions of the four keypoints.
//
// Units are arena centimetres, x to the right, y down (the image's orientation). Angles are
// radians in that frame: direction (cos a, sin a), so a positive angle turns clockwise on
// screen. An animal heading along d has its own left at (d.y, -d.x) seen from above.
// The spine runs from the tail base (s = 0) to the nose (s = 1); the body is the union of
// trapezoids between consecutive spine sections, a rounded rump behind the tail base, a
// rounded snout in front of the nose and two ear ellipses. The body is ~0.38 L wide at
// the hips and tapers to the snout (L = nose-to-tail-base length, ~8.5 cm for an adult).
// Thread safety: plain functions on values.
#pragma once

#include <array>
#include <cmath>

namespace bt::synth {

struct Vec2 {
  double x = 0, y = 0;
  Vec2 operator+(Vec2 o) const { return {x + o.x, y + o.y}; }
  Vec2 operator-(Vec2 o) const { return {x - o.x, y - o.y}; }
  Vec2 operator*(double k) const { return {x * k, y * k}; }
  Vec2& operator+=(Vec2 o) { x += o.x; y += o.y; return *this; }
  Vec2& operator-=(Vec2 o) { x -= o.x; y -= o.y; return *this; }
  double norm() const { return std::hypot(x, y); }
  static Vec2 from_angle(double a) { return {std::cos(a), std::sin(a)}; }
};
inline double dot(Vec2 a, Vec2 b) { return a.x * b.x + a.y * b.y; }
// The animal's own left for heading direction d, seen from above with y down.
inline Vec2 left_of(Vec2 d) { return {d.y, -d.x}; }
// Angle wrapped to (-pi, pi].
double wrap_angle(double a);

// Where a mouse is and how its body is held; all in arena centimetres and radians.
struct MousePose {
  Vec2 center;               // middle of the spine (s = 0.5)
  double heading = 0;        // spine direction at the centre, tail base -> nose
  double length_cm = 8.5;    // nose to tail base, stretched normally
  double length_scale = 1;   // < 1 foreshortened (rearing, curled up), > 1 stretched
  double width_scale = 1;    // body width relative to normal
  double head_scale = 1;     // head size (> 1 when raised towards the camera)
  double bend = 0;           // spine direction change from tail base to nose, radians
  double head_yaw = 0;       // head angle relative to the body, radians
};

inline constexpr int kSpinePoints = 15;  // s = i / 14; the centre is point 7

struct Ellipse {
  Vec2 center;
  double radius_along = 0, radius_across = 0;  // cm, along / across `angle`
  double angle = 0;
};

struct BodyGeometry {
  std::array<Vec2, kSpinePoints> spine;        // tail base .. nose
  std::array<Vec2, kSpinePoints> direction;    // unit spine tangent at each point
  std::array<double, kSpinePoints> half_width; // cm
  Ellipse rump, snout, ear_left, ear_right;
  Vec2 nose, ear_left_point, ear_right_point, tail_base;  // the keypoints
  double length_cm = 0;                        // current spine length (L * length_scale)
};

BodyGeometry body_geometry(const MousePose& pose);

// A point of the body at spine fraction s in [0, 1], moved `side` half-widths to the
// animal's left (negative: right). side 0 is the spine itself.
Vec2 body_point(const BodyGeometry& body, double s, double side);

}  // namespace bt::synth
