#include "behavtrack/track/track_state.h"

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
  refresh_prediction();
}

void Track::refresh_prediction() {
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
  last_ = d;
  last_frame_ = frame;
  lost_frames_ = 0;
  ++hits_;
  refresh_prediction();
}

void Track::mark_missed() {
  ++lost_frames_;
  if (options_->motion_model && lost_frames_ == frames_.coast) kf_.stop();
}

void Track::adopt(const Track& found) {
  kf_ = found.kf_;
  keypoint_seen_ = found.keypoint_seen_;
  last_ = found.last_;
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
  if (!last_.keypoint_scores.empty()) std::swap(last_.keypoint_scores[head], last_.keypoint_scores[tail]);
  refresh_prediction();
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
