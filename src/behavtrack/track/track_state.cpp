#include "behavtrack/track/track_state.h"

#include <algorithm>
#include <cmath>

namespace bt::track {
namespace {

std::vector<double> filter_coordinates(const Instance& d) {
  std::vector<double> z = {d.box.cx(), d.box.cy(), d.box.width(), d.box.height()};
  for (const Keypoint& k : d.keypoints) {
    z.push_back(k.x);
    z.push_back(k.y);
  }
  return z;
}

// Keypoints present in both instances: their centroids and the rotation (radians,
// counter-clockwise in image axes) that best carries a's shape onto b's (2-D Procrustes).
struct SharedShape {
  int count = 0;
  double ax = 0, ay = 0, bx = 0, by = 0, angle = 0;
};

SharedShape shared_shape(const Instance& a, const Instance& b) {
  SharedShape r;
  const size_t n = std::min(a.keypoints.size(), b.keypoints.size());
  for (size_t k = 0; k < n; ++k) {
    if (!a.keypoints[k].present() || !b.keypoints[k].present()) continue;
    r.ax += a.keypoints[k].x, r.ay += a.keypoints[k].y, r.bx += b.keypoints[k].x, r.by += b.keypoints[k].y;
    ++r.count;
  }
  if (r.count < 2) return r;
  r.ax /= r.count, r.ay /= r.count, r.bx /= r.count, r.by /= r.count;
  double sine = 0, cosine = 0;
  for (size_t k = 0; k < n; ++k) {
    if (!a.keypoints[k].present() || !b.keypoints[k].present()) continue;
    const double px = a.keypoints[k].x - r.ax, py = a.keypoints[k].y - r.ay;
    const double qx = b.keypoints[k].x - r.bx, qy = b.keypoints[k].y - r.by;
    cosine += px * qx + py * qy, sine += px * qy - py * qx;
  }
  r.angle = std::atan2(sine, cosine);
  return r;
}

}  // namespace

Track::Track(const TrackerOptions& options, const TrackerFrames& frames, const Instance& detection,
             FrameIndex frame, double fps)
    : options_(&options), frames_(frames), dt_s_(1.0 / fps), last_(detection), last_frame_(frame) {
  kf_ = ConstantVelocityKalman(options.kalman, filter_coordinates(detection));
  keypoint_seen_.assign(detection.keypoints.size(), 0);
  for (size_t k = 0; k < detection.keypoints.size(); ++k) keypoint_seen_[k] = detection.keypoints[k].present();
  predicted_ = detection;
}

void Track::predict() {
  if (options_->motion_model) kf_.predict(dt_s_);
  refresh_prediction(lost_frames_ + 1);
}

void Track::refresh_prediction(int frames_ahead) {
  if (!options_->motion_model) {
    predicted_ = last_;
    return;
  }
  predicted_ = last_;
  const double w = std::max(kf_.position(2), 1.0), h = std::max(kf_.position(3), 1.0);
  predicted_.box = Box::from_cxcywh(kf_.position(0), kf_.position(1), w, h);
  for (size_t k = 0; k < predicted_.keypoints.size(); ++k) {
    Keypoint& p = predicted_.keypoints[k];
    if (!keypoint_seen_[k]) continue;
    p = {kf_.position(4 + 2 * static_cast<int>(k)), kf_.position(5 + 2 * static_cast<int>(k)), Visibility::kVisible};
  }
  if (options_->turn_model) turn_predicted_keypoints(frames_ahead);
}

void Track::turn_predicted_keypoints(int frames_ahead) {
  // Only from two observations at most two frames apart, and while the track coasts.
  const FrameIndex step = last_frame_ - previous_frame_;
  if (frames_ahead <= 0 || frames_ahead > frames_.coast || previous_frame_ < 0 || step <= 0 || step > 2) return;
  const SharedShape shape = shared_shape(previous_, last_);
  if (shape.count < 2) return;
  const double limit = options_->max_turn_deg_s * M_PI / 180 * dt_s_;
  const double angle = std::clamp(shape.angle / static_cast<double>(step), -limit, limit) * frames_ahead;
  // The filter's keypoints carry the translation; last_'s shape, turned, replaces theirs.
  double cx = 0, cy = 0;
  for (size_t k = 0; k < last_.keypoints.size(); ++k)
    if (previous_.keypoints[k].present() && last_.keypoints[k].present())
      cx += predicted_.keypoints[k].x / shape.count, cy += predicted_.keypoints[k].y / shape.count;
  const double c = std::cos(angle), s = std::sin(angle);
  for (size_t k = 0; k < last_.keypoints.size(); ++k) {
    if (!previous_.keypoints[k].present() || !last_.keypoints[k].present()) continue;
    const double x = last_.keypoints[k].x - shape.bx, y = last_.keypoints[k].y - shape.by;
    predicted_.keypoints[k].x = cx + c * x - s * y;
    predicted_.keypoints[k].y = cy + s * x + c * y;
  }
}

void Track::update(const Instance& d, FrameIndex frame) {
  const int gap = static_cast<int>(frame - last_frame_);
  if (options_->motion_model) {
    // After a long absence the old velocity and position say little: restart the filter
    // at the new observation instead of dragging it across the arena.
    const bool restart = gap > frames_.coast;
    const std::vector<double> z = filter_coordinates(d);
    for (int i = 0; i < 4; ++i) restart ? kf_.reset(i, z[i]) : kf_.update(i, z[i]);
    for (size_t k = 0; k < d.keypoints.size(); ++k) {
      if (!d.keypoints[k].present()) continue;
      for (int c = 0; c < 2; ++c) {
        const int i = 4 + 2 * static_cast<int>(k) + c;
        (restart || !keypoint_seen_[k]) ? kf_.reset(i, z[i]) : kf_.update(i, z[i]);
      }
      keypoint_seen_[k] = 1;
    }
  }
  previous_ = last_;
  previous_frame_ = last_frame_;
  last_ = d;
  last_frame_ = frame;
  lost_frames_ = 0;
  ++hits_;
  refresh_prediction(0);
}

void Track::mark_missed() {
  ++lost_frames_;
  if (options_->motion_model && lost_frames_ == frames_.coast) kf_.stop();
}

void Track::adopt(const Track& found) {
  kf_ = found.kf_;
  keypoint_seen_ = found.keypoint_seen_;
  last_ = found.last_;
  previous_ = found.previous_;
  previous_frame_ = found.previous_frame_;
  predicted_ = found.predicted_;
  last_frame_ = found.last_frame_;
  lost_frames_ = found.lost_frames_;
  hits_ += found.hits_;
  backward_frames = 0;
  update_appearance(found.appearance_, 0.5);
}

void Track::swap_head_tail(int head, int tail) {
  kf_.swap_coordinates(4 + 2 * head, 4 + 2 * tail);
  kf_.swap_coordinates(5 + 2 * head, 5 + 2 * tail);
  std::swap(keypoint_seen_[head], keypoint_seen_[tail]);
  std::swap(last_.keypoints[head], last_.keypoints[tail]);
  if (previous_frame_ >= 0) std::swap(previous_.keypoints[head], previous_.keypoints[tail]);
  if (!last_.keypoint_scores.empty()) std::swap(last_.keypoint_scores[head], last_.keypoint_scores[tail]);
  refresh_prediction(0);
}

void Track::update_appearance(const Appearance& a, double rate) {
  if (a.empty()) return;
  if (appearance_.size() != a.size()) {
    appearance_ = a;
    return;
  }
  for (size_t i = 0; i < a.size(); ++i) appearance_[i] = static_cast<float>((1 - rate) * appearance_[i] + rate * a[i]);
}

std::pair<double, double> Track::velocity_px_s() const {
  if (!options_->motion_model) return {0.0, 0.0};
  return {kf_.velocity(0), kf_.velocity(1)};
}

double Track::body_length_px() const { return std::max(std::hypot(last_.box.width(), last_.box.height()), 1.0); }

}  // namespace bt::track
