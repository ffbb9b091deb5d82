// Constant-velocity Kalman filter over independent pixel coordinates (box centre and size,
// keypoint x and y), the motion model of a tracked mouse.
//
//   bt::track::KalmanOptions o;  o.accel_noise_px_s2 = 400;  o.measurement_noise_px = 2;
//   bt::track::ConstantVelocityKalman kf(o, {cx, cy, w, h});   // positions at rest
//   kf.predict(1.0 / 30);                                       // one frame ahead
//   kf.update(0, measured_cx);                                  // coordinate 0 observed
//   double cx_hat = kf.position(0), vx_hat = kf.velocity(0);    // px, px/s
//
// Each coordinate has the state x = [p, v] (pixels, pixels/second) and covariance P (2x2).
// With a block-diagonal transition and diagonal process and measurement noise, the full
// filter over all coordinates factorises exactly into these 2-state filters, which is why
// they are kept apart (no 12x12 matrix products per mouse per frame).
// Process noise is the continuous white-noise-acceleration model (Bar-Shalom, Li &
// Kirubarajan 2001, sec. 6.2.2) with spectral density q = accel_noise_px_s2^2.
// A coordinate that is not observed keeps being predicted (its variance grows).
// Thread safety: a value; one filter per track.
#pragma once

#include <vector>

namespace bt::track {

struct KalmanOptions {
  double accel_noise_px_s2 = 600;    // std of the unmodelled acceleration, pixels/second^2
  double measurement_noise_px = 2;   // std of a measured position, pixels
  double initial_speed_px_s = 100;   // std of the unknown velocity of a new track, pixels/second

  void validate() const;  // throws bt::Error naming the field and value
};

class ConstantVelocityKalman {
 public:
  ConstantVelocityKalman() = default;
  // Starts every coordinate at the given position with zero velocity.
  ConstantVelocityKalman(const KalmanOptions& options, const std::vector<double>& positions);

  int size() const { return static_cast<int>(states_.size()); }
  // Moves every coordinate dt_s seconds ahead.
  void predict(double dt_s);
  // Corrects coordinate i with a measured position z (pixels).
  void update(int i, double z);
  // Restarts coordinate i at z with zero velocity and the initial uncertainty.
  void reset(int i, double z);
  // Sets every velocity to zero (a lost mouse is assumed to have stopped).
  void stop();
  void swap_coordinates(int i, int j);

  double position(int i) const { return states_[i].p; }
  double velocity(int i) const { return states_[i].v; }
  double position_variance(int i) const { return states_[i].pp; }

 private:
  struct State {
    double p = 0, v = 0;           // x = [p, v]
    double pp = 0, pv = 0, vv = 0; // P = [[pp, pv], [pv, vv]]
  };
  State initial(double z) const;

  std::vector<State> states_;
  double q_ = 0, r_ = 0;  // q: acceleration spectral density, r: measurement variance
  double initial_vv_ = 0;
};

}  // namespace bt::track
