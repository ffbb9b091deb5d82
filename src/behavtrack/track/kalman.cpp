#include "behavtrack/track/kalman.h"

#include <string>
#include <utility>

#include "behavtrack/core/error.h"

namespace bt::track {

void KalmanOptions::validate() const {
  auto positive = [](const char* name, double v) {
    if (!(v > 0)) throw_invalid(std::string("kalman options: ") + name + " = " + std::to_string(v) + ": must be > 0");
  };
  positive("accel_noise_px_s2", accel_noise_px_s2);
  positive("measurement_noise_px", measurement_noise_px);
  positive("initial_speed_px_s", initial_speed_px_s);
}

ConstantVelocityKalman::ConstantVelocityKalman(const KalmanOptions& options,
                                               const std::vector<double>& positions) {
  options.validate();
  q_ = options.accel_noise_px_s2 * options.accel_noise_px_s2;
  r_ = options.measurement_noise_px * options.measurement_noise_px;
  initial_vv_ = options.initial_speed_px_s * options.initial_speed_px_s;
  states_.reserve(positions.size());
  for (double z : positions) states_.push_back(initial(z));
}

ConstantVelocityKalman::State ConstantVelocityKalman::initial(double z) const {
  State s;
  s.p = z;
  s.pp = r_;           // the first measurement's own uncertainty
  s.vv = initial_vv_;  // velocity unknown
  return s;
}

void ConstantVelocityKalman::predict(double dt_s) {
  const double t = dt_s, t2 = t * t, t3 = t2 * t;
  // Q = q [[t^3/3, t^2/2], [t^2/2, t]]
  const double qpp = q_ * t3 / 3, qpv = q_ * t2 / 2, qvv = q_ * t;
  for (State& s : states_) {
    // x' = F x, F = [[1, t], [0, 1]]
    s.p += t * s.v;
    // P' = F P F^T + Q
    const double pp = s.pp + 2 * t * s.pv + t2 * s.vv + qpp;
    const double pv = s.pv + t * s.vv + qpv;
    const double vv = s.vv + qvv;
    s.pp = pp, s.pv = pv, s.vv = vv;
  }
}

void ConstantVelocityKalman::update(int i, double z) {
  State& s = states_[i];
  // H = [1, 0]; innovation y = z - H x; S = H P H^T + R = pp + r
  const double y = z - s.p;
  const double S = s.pp + r_;
  // K = P H^T S^-1 = [pp, pv] / S
  const double kp = s.pp / S, kv = s.pv / S;
  // x = x + K y
  s.p += kp * y;
  s.v += kv * y;
  // P = (I - K H) P
  const double pp = (1 - kp) * s.pp;
  const double pv = (1 - kp) * s.pv;
  const double vv = s.vv - kv * s.pv;
  s.pp = pp, s.pv = pv, s.vv = vv;
}

void ConstantVelocityKalman::reset(int i, double z) { states_[i] = initial(z); }

void ConstantVelocityKalman::stop() {
  for (State& s : states_) {
    s.v = 0;
    s.pv = 0;
  }
}

void ConstantVelocityKalman::swap_coordinates(int i, int j) { std::swap(states_[i], states_[j]); }

}  // namespace bt::track
