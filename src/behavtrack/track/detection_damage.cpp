#include "behavtrack/track/detection_damage.h"

#include <algorithm>
#include <cmath>

#include "behavtrack/core/error.h"

namespace bt::track {

void DamageOptions::validate() const {
  auto frac = [](const char* n, double v) {
    if (!(v >= 0 && v <= 1)) throw_invalid(std::string("damage options: ") + n + " = " + std::to_string(v) + ": must be in [0, 1]");
  };
  frac("drop_rate", drop_rate);
  frac("false_positive_rate", false_positive_rate);
  frac("flip_rate", flip_rate);
  if (!(position_noise_px >= 0)) throw_invalid("damage options: position_noise_px must be >= 0");
  if (!(occlusions_per_min >= 0) || !(occlusion_s >= 0)) throw_invalid("damage options: occlusions must be >= 0");
}

DetectionDamager::DetectionDamager(DamageOptions options, int width_px, int height_px, double fps)
    : o_(options), width_(width_px), height_(height_px), fps_(fps), rng_(options.seed) {
  o_.validate();
}

Instance DetectionDamager::damaged(const Instance& t) {
  std::normal_distribution<double> noise(0.0, std::max(o_.position_noise_px, 1e-9));
  std::normal_distribution<double> score(o_.score_mean, std::max(o_.score_noise, 1e-9));
  std::uniform_real_distribution<double> u(0, 1);
  Instance d = t;
  d.id.reset();
  d.behavior.clear();
  d.box = {t.box.x1 + noise(rng_), t.box.y1 + noise(rng_), t.box.x2 + noise(rng_), t.box.y2 + noise(rng_)};
  if (!d.box.valid()) d.box = t.box;
  d.keypoint_scores.clear();
  for (Keypoint& k : d.keypoints) {
    k.x += noise(rng_), k.y += noise(rng_);
    d.keypoint_scores.push_back(k.present() ? 0.9f : 0.0f);
  }
  if (u(rng_) < o_.flip_rate && static_cast<int>(d.keypoints.size()) > tail_) std::swap(d.keypoints[head_], d.keypoints[tail_]);
  d.score = static_cast<float>(std::clamp(score(rng_), 0.05, 1.0));
  return d;
}

Instance DetectionDamager::false_positive(const FrameInstances& truth) {
  std::uniform_real_distribution<double> u(0, 1);
  const Instance* near = truth.instances.empty() ? nullptr : &truth.instances[rng_() % truth.instances.size()];
  const double w = near ? near->box.width() : 60, h = near ? near->box.height() : 40;
  double cx, cy;
  if (near && u(rng_) < 0.5) {
    const double angle = u(rng_) * 2 * M_PI, dist = (0.5 + 0.5 * u(rng_)) * std::hypot(w, h);
    cx = near->box.cx() + dist * std::cos(angle), cy = near->box.cy() + dist * std::sin(angle);
  } else {
    cx = u(rng_) * width_, cy = u(rng_) * height_;
  }
  Instance fp;
  fp.box = Box::from_cxcywh(cx, cy, w, h);
  const size_t n = near ? near->keypoints.size() : 4;
  for (size_t k = 0; k < n; ++k)
    fp.keypoints.push_back({fp.box.x1 + u(rng_) * w, fp.box.y1 + u(rng_) * h, Visibility::kVisible});
  fp.keypoint_scores.assign(n, 0.5f);
  fp.score = static_cast<float>(0.3 + 0.6 * u(rng_));
  return fp;
}

FrameInstances DetectionDamager::next(const FrameInstances& truth) {
  std::uniform_real_distribution<double> u(0, 1);
  FrameInstances out{truth.frame, {}};
  const double start_p = o_.occlusions_per_min / 60.0 / fps_;
  const int occlusion_frames = static_cast<int>(std::lround(o_.occlusion_s * fps_));
  int n_true = 0;
  for (const Instance& t : truth.instances) {
    const int key = t.id ? t.id->value : 0;
    int& left = occluded_frames_left_[key];
    if (left == 0 && occlusion_frames > 0 && u(rng_) < start_p) left = occlusion_frames;
    const bool hidden = left > 0;
    if (left > 0) --left;
    const bool dropped = u(rng_) < o_.drop_rate;
    if (hidden || dropped) continue;
    out.instances.push_back(damaged(t));
    ++n_true;
  }
  const double expected_fp = o_.false_positive_rate * n_true;
  for (double r = expected_fp; r > 0; r -= 1.0)
    if (u(rng_) < std::min(1.0, r)) out.instances.push_back(false_positive(truth));
  std::shuffle(out.instances.begin(), out.instances.end(), rng_);
  return out;
}

DamageOptions light_damage(std::uint64_t seed) {
  DamageOptions d;
  d.drop_rate = 0.05;
  d.seed = seed;
  return d;
}

DamageOptions heavy_damage(std::uint64_t seed) {
  DamageOptions d;
  d.drop_rate = 0.15;
  d.false_positive_rate = 0.05;
  d.occlusions_per_min = 6;
  d.occlusion_s = 10.0 / 30;
  d.flip_rate = 0.02;
  d.seed = seed;
  return d;
}

std::vector<FrameInstances> damage_video(const std::vector<FrameInstances>& truth, const DamageOptions& options,
                                         int width_px, int height_px, double fps) {
  DetectionDamager damager(options, width_px, height_px, fps);
  std::vector<FrameInstances> out;
  out.reserve(truth.size());
  for (const FrameInstances& f : truth) out.push_back(damager.next(f));
  return out;
}

}  // namespace bt::track
