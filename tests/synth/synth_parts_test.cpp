// The synth subsystem's inner parts: the seeded random numbers and the mouse geometry.
#include <gtest/gtest.h>

#include <cmath>

#include "behavtrack/synth/mouse_body.h"
#include "behavtrack/synth/random.h"

namespace bt::synth {
namespace {

constexpr double kPi = 3.141592653589793;

TEST(SynthRandom, StreamsAreReproducibleAndIndependent) {
  Random a(7, 1), b(7, 1), c(7, 2), d(8, 1);
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    EXPECT_NE(x, c.next_u64());
    EXPECT_NE(x, d.next_u64());
  }
}

TEST(SynthRandom, DistributionsHaveTheirMoments) {
  Random r(3, 0);
  const int n = 200000;
  double sum_u = 0, sum_z = 0, sum_z2 = 0;
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum_u += u;
    const double z = r.normal();
    sum_z += z;
    sum_z2 += z * z;
    ++counts[r.weighted({1, 2, 1})];
  }
  EXPECT_NEAR(sum_u / n, 0.5, 0.005);
  EXPECT_NEAR(sum_z / n, 0.0, 0.01);
  EXPECT_NEAR(sum_z2 / n, 1.0, 0.02);
  EXPECT_NEAR(counts[1] / static_cast<double>(n), 0.5, 0.01);
  EXPECT_NEAR(counts[0] / static_cast<double>(n), 0.25, 0.01);
}

TEST(MouseBody, StraightMouseHasItsLengthAndKeypointsOnTheAxis) {
  MousePose p;
  p.center = {20, 10};
  p.heading = 0;  // facing +x
  p.length_cm = 8;
  const BodyGeometry b = body_geometry(p);
  EXPECT_NEAR(b.nose.x, 24, 1e-9);
  EXPECT_NEAR(b.nose.y, 10, 1e-9);
  EXPECT_NEAR(b.tail_base.x, 16, 1e-9);
  EXPECT_NEAR(b.tail_base.y, 10, 1e-9);
  // Facing +x with y down, the animal's left is -y (up on screen).
  EXPECT_LT(b.ear_left_point.y, 10);
  EXPECT_GT(b.ear_right_point.y, 10);
  EXPECT_NEAR(b.ear_left_point.x, b.ear_right_point.x, 1e-9);
  EXPECT_GT(b.ear_left_point.x, 20);  // ears on the head, in front of the centre
  // Widest at the hips: about 0.38 body lengths.
  double widest = 0;
  for (double hw : b.half_width) widest = std::max(widest, 2 * hw);
  EXPECT_NEAR(widest / p.length_cm, 0.38, 0.01);
}

TEST(MouseBody, ForeshorteningAndBendingMoveTheNose) {
  MousePose p;
  p.length_cm = 8;
  p.length_scale = 0.6;
  const BodyGeometry rearing = body_geometry(p);
  EXPECT_NEAR((rearing.nose - rearing.tail_base).norm(), 4.8, 1e-6);

  p.length_scale = 1;
  p.bend = 1.2;
  p.head_yaw = 0.8;
  const BodyGeometry curled = body_geometry(p);
  // Bent to the animal's right (positive angles turn clockwise on screen, +y).
  EXPECT_GT(curled.nose.y, 0.5);
  EXPECT_LT((curled.nose - curled.tail_base).norm(), 8 * 0.9);
}

TEST(MouseBody, BodyPointFollowsTheSides) {
  MousePose p;
  p.heading = kPi / 2;  // facing down the screen: the animal's left is +x
  const BodyGeometry b = body_geometry(p);
  const Vec2 left = body_point(b, 0.5, 1.0), right = body_point(b, 0.5, -1.0);
  EXPECT_GT(left.x, 0);
  EXPECT_LT(right.x, 0);
  EXPECT_NEAR(left.x, -right.x, 1e-9);
  EXPECT_NEAR(wrap_angle(3 * kPi), kPi, 1e-12);
  EXPECT_NEAR(wrap_angle(-kPi / 2 - 2 * kPi), -kPi / 2, 1e-12);
}

}  // namespace
}  // namespace bt::synth
