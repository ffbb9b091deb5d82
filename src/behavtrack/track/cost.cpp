#include "behavtrack/track/cost.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "behavtrack/core/error.h"

namespace bt::track {
namespace {

double distance(double ax, double ay, double bx, double by) { return std::hypot(ax - bx, ay - by); }

void check_weight(const char* name, double v) {
  if (!(v >= 0 && v <= 1))
    throw_invalid(std::string("cost weights: ") + name + " = " + std::to_string(v) + ": must be in [0, 1]");
}

}  // namespace

void CostWeights::validate() const {
  check_weight("iou", iou);
  check_weight("center", center);
  check_weight("keypoints", keypoints);
  if (!(iou + center + keypoints > 0)) throw_invalid("cost weights: all three are 0; give one a positive weight");
  if (!(oks_kappa > 0)) throw_invalid("cost weights: oks_kappa = " + std::to_string(oks_kappa) + ": must be > 0");
}

double oks(const Instance& a, const Instance& b, double kappa) {
  const double s2 = std::max(a.box.area(), 1.0);
  const double denom = 2 * s2 * kappa * kappa;
  const size_t n = std::min(a.keypoints.size(), b.keypoints.size());
  double sum = 0;
  int shared = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!a.keypoints[i].present() || !b.keypoints[i].present()) continue;
    const double dx = a.keypoints[i].x - b.keypoints[i].x, dy = a.keypoints[i].y - b.keypoints[i].y;
    sum += std::exp(-(dx * dx + dy * dy) / denom);
    ++shared;
  }
  return shared > 0 ? sum / shared : -1.0;
}

Instance with_keypoints_swapped(const Instance& b, const std::vector<std::pair<int, int>>& pairs) {
  Instance out = b;
  for (const auto& [i, j] : pairs) {
    std::swap(out.keypoints[i], out.keypoints[j]);
    if (!out.keypoint_scores.empty()) std::swap(out.keypoint_scores[i], out.keypoint_scores[j]);
  }
  return out;
}

double mixed_cost(const Instance& predicted, const Instance& detection, const CostWeights& w) {
  const Box& p = predicted.box;
  const double diag = std::max(std::hypot(p.width(), p.height()), 1.0);
  const double center = std::min(1.0, distance(p.cx(), p.cy(), detection.box.cx(), detection.box.cy()) / diag);
  const double box_cost = w.iou * (1 - iou(p, detection.box)) + w.center * center;
  const double similarity = w.keypoints > 0 ? oks(predicted, detection, w.oks_kappa) : -1.0;
  if (similarity < 0) return box_cost / (w.iou + w.center > 0 ? w.iou + w.center : 1.0);
  return box_cost + w.keypoints * (1 - similarity);
}

void BehavTrackCostOptions::validate() const {
  if (!(alpha >= 0 && alpha <= 1))
    throw_invalid("behavtrack cost: alpha = " + std::to_string(alpha) + ": must be in [0, 1]");
  if (!(scale_factor > 0))
    throw_invalid("behavtrack cost: scale_factor = " + std::to_string(scale_factor) + ": must be > 0");
  if (!(threshold >= -1 && threshold <= 1))
    throw_invalid("behavtrack cost: threshold = " + std::to_string(threshold) + ": must be in [-1, 1]");
}

double behavtrack_cost(const Instance& a, const Instance& b, double image_diag_px,
                       const BehavTrackCostOptions& o) {
  const double diag = std::max(image_diag_px, 1.0);
  const double box_iou = iou(a.box, b.box);
  const double box_dist = distance(a.box.cx(), a.box.cy(), b.box.cx(), b.box.cy()) / diag;
  // Keypoints as small boxes sized by their parent box.
  const size_t n = std::min(a.keypoints.size(), b.keypoints.size());
  double kp_iou = 0, kp_dist = 0;
  int shared = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!a.keypoints[i].present() || !b.keypoints[i].present()) continue;
    const Keypoint &ka = a.keypoints[i], &kb = b.keypoints[i];
    const Box ba = Box::from_cxcywh(ka.x, ka.y, a.box.width() * o.scale_factor, a.box.height() * o.scale_factor);
    const Box bb = Box::from_cxcywh(kb.x, kb.y, b.box.width() * o.scale_factor, b.box.height() * o.scale_factor);
    kp_iou += iou(ba, bb);
    kp_dist += distance(ka.x, ka.y, kb.x, kb.y) / diag;
    ++shared;
  }
  const double n_kp = std::max<double>(1.0, static_cast<double>(n));
  if (shared > 0) {
    kp_iou = kp_iou / shared * (shared / n_kp);       // weighted by the shared fraction
    kp_dist = kp_dist / shared + (n_kp - shared) / n_kp;  // missing keypoints penalised
  } else {
    kp_dist = 1.0;
  }
  const double D = (1 - o.alpha) * (box_dist + kp_dist) / 2;
  const double I = o.alpha * (box_iou + kp_iou) / 2;
  return (D - I) / (D + I + 1e-9);
}

}  // namespace bt::track
