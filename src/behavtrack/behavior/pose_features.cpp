#include "behavtrack/behavior/pose_features.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <unordered_map>

#include "behavtrack/core/error.h"

namespace bt::behavior {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;
constexpr double kBodyLenEmaS = 10.0;  // time constant of body_len_rel's running mean
constexpr double kCloseBodyLengths = 1.5;

// Indices of the base signals, in the order of base_signal_names().
enum Signal : int {
  kBodyLen, kBodyLenRel, kBend, kBoxAspect, kBoxArea, kWall, kNoseWall,
  kSpeed, kNoseSpeed, kTailSpeed, kAccel, kTurn, kBodyLenRate,
  kNoseNose, kNoseTail, kNoseBody, kBodyBody, kRelHeading, kFacing, kNClose,
  kApproach, kPartnerSpeed, kNumSignals
};

struct Point {
  double x = 0, y = 0;
  bool ok = false;
};
double dist(Point a, Point b) { return std::hypot(a.x - b.x, a.y - b.y); }
// Angle wrapped to (-pi, pi].
double wrap(double a) {
  while (a > kPi) a -= 2 * kPi;
  while (a <= -kPi) a += 2 * kPi;
  return a;
}

// Geometry of one mouse in one frame, before any temporal signal.
struct Pose {
  TrackId id;
  Point centre, nose, tail, ear_mid;
  double heading = 0;  // body axis tail -> nose, radians
  bool has_axis = false;
  Box box;
};

// What is remembered of a mouse from its previous frame, for the derivatives.
struct History {
  FrameIndex frame = -1;
  Pose pose;
  float speed = kNaN, body_len = kNaN, body_body = kNaN;
  double body_len_ema = 0;
  bool has_ema = false;
};

struct MouseSignals {
  TrackId id;
  std::array<float, kNumSignals> v;
};

struct FrameSignals {
  FrameIndex frame = 0;
  std::vector<MouseSignals> mice;
};

float to_f(double x) { return std::isfinite(x) ? static_cast<float>(x) : kNaN; }

}  // namespace

const std::vector<std::string>& PoseFeatureExtractor::base_signal_names() {
  static const std::vector<std::string> names = {
      "body_len_px", "body_len_rel", "bend_rad", "box_aspect", "box_area_px2", "wall_px",
      "nose_wall_px", "speed_px_s", "nose_speed_px_s", "tail_speed_px_s", "accel_px_s2",
      "turn_rad_s", "body_len_rate_px_s", "nose_nose_px", "nose_tail_px", "nose_body_px",
      "body_body_px", "rel_heading_rad", "facing_rad", "n_close", "approach_px_s",
      "partner_speed_px_s"};
  return names;
}

void PoseFeatureOptions::validate() const {
  if (!(fps > 0) || !std::isfinite(fps)) throw_invalid("pose features: fps " + std::to_string(fps) + " must be > 0");
  if (width <= 0 || height <= 0) {
    throw_invalid("pose features: frame size " + std::to_string(width) + "x" + std::to_string(height) +
                  " must be positive; do the tracks give the video's width and height?");
  }
  if (windows_s.empty()) throw_invalid("pose features: windows_s is empty; give at least one window");
  for (double w : windows_s) {
    if (!(w > 0) || !(w <= 60)) throw_invalid("pose features: window " + std::to_string(w) + " s must be in (0, 60]");
  }
  if (skeleton.index_of(nose_keypoint) < 0)
    throw_invalid("pose features: nose_keypoint " + quoted(nose_keypoint) + " is not in the skeleton");
  if (skeleton.index_of(tail_keypoint) < 0)
    throw_invalid("pose features: tail_keypoint " + quoted(tail_keypoint) + " is not in the skeleton");
}

std::vector<int> PoseFeatureOptions::window_frames() const {
  std::vector<int> out;
  for (double w : windows_s) {
    int n = std::max(1, static_cast<int>(std::lround(w * fps)));
    if (n % 2 == 0) ++n;
    out.push_back(n);
  }
  return out;
}

struct PoseFeatureExtractor::Impl {
  PoseFeatureOptions o;
  std::vector<int> windows;
  int half = 0;  // half of the longest window: the emission lag, frames
  int i_nose = -1, i_tail = -1;
  std::vector<int> i_ears;
  std::vector<std::string> names;
  std::unordered_map<int, History> history;
  std::deque<FrameSignals> buffer;  // consecutive frames, oldest first
  FrameIndex next_emit = 0;
  std::vector<float> row;

  explicit Impl(PoseFeatureOptions opts) : o(std::move(opts)) {
    o.validate();
    windows = o.window_frames();
    half = *std::max_element(windows.begin(), windows.end()) / 2;
    i_nose = o.skeleton.index_of(o.nose_keypoint);
    i_tail = o.skeleton.index_of(o.tail_keypoint);
    for (const auto& e : o.ear_keypoints)
      if (o.skeleton.index_of(e) >= 0) i_ears.push_back(o.skeleton.index_of(e));
    const auto& base = base_signal_names();
    names = base;
    for (int w : windows) {
      for (const auto& b : base) names.push_back(b + "_mean_" + std::to_string(w) + "f");
      for (const auto& b : base) names.push_back(b + "_std_" + std::to_string(w) + "f");
    }
    row.resize(names.size());
  }

  Point keypoint(const Instance& inst, int i) const {
    if (i < 0 || i >= static_cast<int>(inst.keypoints.size()) || !inst.keypoints[i].present()) return {};
    return {inst.keypoints[i].x, inst.keypoints[i].y, true};
  }

  Pose pose_of(const Instance& inst) const {
    Pose p;
    p.id = *inst.id;
    p.box = inst.box;
    p.centre = {inst.box.cx(), inst.box.cy(), inst.box.valid()};
    p.nose = keypoint(inst, i_nose);
    p.tail = keypoint(inst, i_tail);
    double ex = 0, ey = 0;
    int n = 0;
    for (int i : i_ears) {
      const Point e = keypoint(inst, i);
      if (e.ok) ex += e.x, ey += e.y, ++n;
    }
    if (n > 0) {
      p.ear_mid = {ex / n, ey / n, true};
    } else if (p.nose.ok && p.tail.ok) {
      p.ear_mid = {(p.nose.x + p.tail.x) / 2, (p.nose.y + p.tail.y) / 2, true};
    }
    if (!p.centre.ok && p.nose.ok && p.tail.ok) p.centre = p.ear_mid;
    p.has_axis = p.nose.ok && p.tail.ok;
    if (p.has_axis) p.heading = std::atan2(p.nose.y - p.tail.y, p.nose.x - p.tail.x);
    return p;
  }

  double wall_distance(Point p) const {
    if (!p.ok) return std::nan("");
    return std::min({p.x, o.width - p.x, p.y, o.height - p.y});
  }

  // Step 1: the signals of one mouse that need only the current frame and the others.
  void static_signals(const Pose& m, const std::vector<Pose>& all, MouseSignals& s, int& partner) const {
    auto& v = s.v;
    v.fill(kNaN);
    if (m.has_axis) v[kBodyLen] = to_f(dist(m.nose, m.tail));
    if (m.nose.ok && m.ear_mid.ok && m.tail.ok) {
      const double head = std::atan2(m.nose.y - m.ear_mid.y, m.nose.x - m.ear_mid.x);
      const double axis = std::atan2(m.ear_mid.y - m.tail.y, m.ear_mid.x - m.tail.x);
      v[kBend] = to_f(std::abs(wrap(head - axis)));
    }
    if (m.box.valid()) {
      const double a = m.box.width(), b = m.box.height();
      v[kBoxAspect] = to_f(std::max(a, b) / std::min(a, b));
      v[kBoxArea] = to_f(a * b);
    }
    v[kWall] = to_f(wall_distance(m.centre));
    v[kNoseWall] = to_f(wall_distance(m.nose));
    partner = -1;
    double best = std::numeric_limits<double>::infinity();
    double nn = best, nt = best, nb = best;
    int n_close = 0, n_others = 0;
    for (int j = 0; j < static_cast<int>(all.size()); ++j) {
      const Pose& q = all[j];
      if (q.id == m.id) continue;
      ++n_others;
      if (m.nose.ok && q.nose.ok) nn = std::min(nn, dist(m.nose, q.nose));
      if (m.nose.ok && q.tail.ok) nt = std::min(nt, dist(m.nose, q.tail));
      if (m.nose.ok && q.centre.ok) nb = std::min(nb, dist(m.nose, q.centre));
      if (m.centre.ok && q.centre.ok) {
        const double d = dist(m.centre, q.centre);
        if (d < best) best = d, partner = j;
        if (m.has_axis && d < kCloseBodyLengths * dist(m.nose, m.tail)) ++n_close;
      }
    }
    if (n_others == 0) return;
    v[kNoseNose] = to_f(nn);
    v[kNoseTail] = to_f(nt);
    v[kNoseBody] = to_f(nb);
    v[kBodyBody] = to_f(best);
    v[kNClose] = static_cast<float>(n_close);
    if (partner >= 0) {
      const Pose& q = all[partner];
      if (m.has_axis && q.has_axis) v[kRelHeading] = to_f(std::abs(wrap(m.heading - q.heading)));
      if (m.has_axis) {
        const double to_partner = std::atan2(q.centre.y - m.nose.y, q.centre.x - m.nose.x);
        v[kFacing] = to_f(std::abs(wrap(to_partner - m.heading)));
      }
    }
  }

  // Step 2: derivatives against the mouse's previous frame (NaN after a gap).
  void temporal_signals(const Pose& m, FrameIndex frame, MouseSignals& s, History& h) const {
    auto& v = s.v;
    const bool prev = h.frame == frame - 1;
    if (prev) {
      const double fps = o.fps;
      if (m.centre.ok && h.pose.centre.ok) v[kSpeed] = to_f(dist(m.centre, h.pose.centre) * fps);
      if (m.nose.ok && h.pose.nose.ok) v[kNoseSpeed] = to_f(dist(m.nose, h.pose.nose) * fps);
      if (m.tail.ok && h.pose.tail.ok) v[kTailSpeed] = to_f(dist(m.tail, h.pose.tail) * fps);
      v[kAccel] = to_f((v[kSpeed] - h.speed) * fps);
      if (m.has_axis && h.pose.has_axis) v[kTurn] = to_f(std::abs(wrap(m.heading - h.pose.heading)) * fps);
      v[kBodyLenRate] = to_f((v[kBodyLen] - h.body_len) * fps);
      v[kApproach] = to_f(-(v[kBodyBody] - h.body_body) * fps);
    }
    // body_len_rel: EMA with time constant kBodyLenEmaS, alpha = 1 / (tau * fps).
    if (std::isfinite(v[kBodyLen])) {
      const double alpha = 1.0 / std::max(1.0, kBodyLenEmaS * o.fps);
      h.body_len_ema = h.has_ema ? h.body_len_ema + alpha * (v[kBodyLen] - h.body_len_ema) : v[kBodyLen];
      h.has_ema = true;
      if (h.body_len_ema > 0) v[kBodyLenRel] = to_f(v[kBodyLen] / h.body_len_ema);
    }
    h.frame = frame;
    h.pose = m;
    h.speed = v[kSpeed];
    h.body_len = v[kBodyLen];
    h.body_body = v[kBodyBody];
  }

  FrameSignals signals_of(const FrameInstances& frame) {
    std::vector<Pose> poses;
    for (const auto& inst : frame.instances)
      if (inst.id) poses.push_back(pose_of(inst));
    FrameSignals fs;
    fs.frame = frame.frame;
    std::vector<int> partners(poses.size(), -1);
    for (std::size_t i = 0; i < poses.size(); ++i) {
      MouseSignals s;
      s.id = poses[i].id;
      static_signals(poses[i], poses, s, partners[i]);
      temporal_signals(poses[i], frame.frame, s, history[poses[i].id.value]);
      fs.mice.push_back(s);
    }
    for (std::size_t i = 0; i < poses.size(); ++i)
      if (partners[i] >= 0) fs.mice[i].v[kPartnerSpeed] = fs.mice[partners[i]].v[kSpeed];
    return fs;
  }

  const MouseSignals* find(const FrameSignals& f, TrackId id) const {
    for (const auto& m : f.mice)
      if (m.id == id) return &m;
    return nullptr;
  }

  // Step 3: window statistics of the buffered frame at `pos` for one mouse.
  void emit_mouse(std::size_t pos, const MouseSignals& m, const FeatureSink& sink) {
    std::copy(m.v.begin(), m.v.end(), row.begin());
    std::size_t out = kNumSignals;
    for (int w : windows) {
      std::array<double, kNumSignals> sum{}, sum2{};
      std::array<int, kNumSignals> n{};
      const long lo = std::max(0L, static_cast<long>(pos) - w / 2);
      const long hi = std::min(static_cast<long>(buffer.size()) - 1, static_cast<long>(pos) + w / 2);
      for (long k = lo; k <= hi; ++k) {
        const MouseSignals* s = find(buffer[k], m.id);
        if (!s) continue;
        for (int i = 0; i < kNumSignals; ++i) {
          const float x = s->v[i];
          if (std::isnan(x)) continue;
          sum[i] += x, sum2[i] += static_cast<double>(x) * x, ++n[i];
        }
      }
      for (int i = 0; i < kNumSignals; ++i) row[out + i] = n[i] ? static_cast<float>(sum[i] / n[i]) : kNaN;
      out += kNumSignals;
      for (int i = 0; i < kNumSignals; ++i) {
        // std = sqrt(E[x^2] - E[x]^2), clamped at 0 against rounding.
        const double mean = n[i] ? sum[i] / n[i] : 0;
        row[out + i] = n[i] ? static_cast<float>(std::sqrt(std::max(0.0, sum2[i] / n[i] - mean * mean))) : kNaN;
      }
      out += kNumSignals;
    }
    sink(buffer[pos].frame, m.id, row.data());
  }

  // Emits buffered frames whose whole window is available (all of them when `all`).
  void emit_ready(const FeatureSink& sink, bool all) {
    while (!buffer.empty()) {
      const std::size_t pos = static_cast<std::size_t>(next_emit - buffer.front().frame);
      if (pos >= buffer.size()) break;
      if (!all && pos + half >= buffer.size()) break;
      for (const auto& m : buffer[pos].mice) emit_mouse(pos, m, sink);
      ++next_emit;
      while (!buffer.empty() && buffer.front().frame < next_emit - half) buffer.pop_front();
    }
  }

  void push(const FrameInstances& frame, const FeatureSink& sink) {
    if (!buffer.empty() && frame.frame <= buffer.back().frame) {
      throw_invalid("pose features: frame " + std::to_string(frame.frame) + " after frame " +
                    std::to_string(buffer.back().frame) + "; frames must increase");
    }
    if (buffer.empty()) next_emit = std::max(next_emit, frame.frame);
    // Missing frames enter as empty ones so that positions in the buffer stay frame offsets.
    while (!buffer.empty() && buffer.back().frame + 1 < frame.frame) {
      buffer.push_back({buffer.back().frame + 1, {}});
      emit_ready(sink, false);
    }
    buffer.push_back(signals_of(frame));
    emit_ready(sink, false);
  }

  void finish(const FeatureSink& sink) {
    emit_ready(sink, true);
    buffer.clear();
    history.clear();
    next_emit = 0;
  }
};

PoseFeatureExtractor::PoseFeatureExtractor(PoseFeatureOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
PoseFeatureExtractor::~PoseFeatureExtractor() = default;
const std::vector<std::string>& PoseFeatureExtractor::feature_names() const { return impl_->names; }
void PoseFeatureExtractor::push(const FrameInstances& frame, const FeatureSink& sink) { impl_->push(frame, sink); }
void PoseFeatureExtractor::finish(const FeatureSink& sink) { impl_->finish(sink); }

}  // namespace bt::behavior
