// The constant-velocity Kalman filter: one predict/update step computed by hand, and
// convergence on a constant-velocity signal.
#include <gtest/gtest.h>

#include <cmath>

#include "behavtrack/core/error.h"
#include "behavtrack/track/kalman.h"

namespace bt::track {
namespace {

TEST(Kalman, OneStepByHand) {
  KalmanOptions o;
  o.accel_noise_px_s2 = 600;   // q = 360000
  o.measurement_noise_px = 2;  // r = 4
  o.initial_speed_px_s = 100;  // vv0 = 10000
  ConstantVelocityKalman kf(o, {50.0});
  EXPECT_DOUBLE_EQ(kf.position_variance(0), 4.0);
  kf.predict(0.1);
  // pp = r + dt^2 vv0 + q dt^3 / 3 = 4 + 100 + 120 = 224
  EXPECT_DOUBLE_EQ(kf.position(0), 50.0);
  EXPECT_NEAR(kf.position_variance(0), 224.0, 1e-9);
  kf.update(0, 60.0);
  // pv = dt vv0 + q dt^2 / 2 = 1000 + 1800 = 2800; S = 228
  // p = 50 + 10 * 224/228; v = 10 * 2800/228; pp = 4 * 224/228
  EXPECT_NEAR(kf.position(0), 50.0 + 10.0 * 224 / 228, 1e-9);
  EXPECT_NEAR(kf.velocity(0), 10.0 * 2800 / 228, 1e-9);
  EXPECT_NEAR(kf.position_variance(0), 4.0 * 224 / 228, 1e-9);
}

TEST(Kalman, ConvergesToAConstantVelocity) {
  KalmanOptions o;
  o.accel_noise_px_s2 = 50;
  ConstantVelocityKalman kf(o, {10.0, 200.0});
  const double dt = 1.0 / 30;
  for (int i = 1; i <= 90; ++i) {
    kf.predict(dt);
    kf.update(0, 10.0 + 60.0 * i * dt);   // 60 px/s to the right
    kf.update(1, 200.0 - 30.0 * i * dt);  // 30 px/s up
  }
  EXPECT_NEAR(kf.velocity(0), 60.0, 0.5);
  EXPECT_NEAR(kf.velocity(1), -30.0, 0.5);
  kf.predict(dt);
  EXPECT_NEAR(kf.position(0), 10.0 + 60.0 * 91 * dt, 0.1);
}

TEST(Kalman, UnobservedCoordinateGrowsUncertainAndStopHaltsIt) {
  ConstantVelocityKalman kf(KalmanOptions{}, {0.0});
  const double before = kf.position_variance(0);
  kf.predict(0.5);
  EXPECT_GT(kf.position_variance(0), before);
  kf.update(0, 10.0);
  kf.predict(0.1);
  kf.stop();
  const double p = kf.position(0);
  kf.predict(1.0);
  EXPECT_DOUBLE_EQ(kf.position(0), p);
}

TEST(Kalman, OptionsNameTheBadField) {
  KalmanOptions o;
  o.measurement_noise_px = std::nan("");
  try {
    o.validate();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("measurement_noise_px"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bt::track
