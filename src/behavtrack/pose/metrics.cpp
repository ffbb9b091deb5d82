#include "behavtrack/pose/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <numeric>

#include "behavtrack/core/error.h"

namespace bt::pose {
namespace {

std::vector<double> resolved_sigmas(const MetricsOptions& o, int n_keypoints) {
  if (!o.sigmas.empty()) return o.sigmas;
  return std::vector<double>(n_keypoints, 1.0 / std::max(1, n_keypoints));
}

using Similarity = std::function<double(const Instance& pred, const Instance& truth)>;

// Greedy COCO matching of one image at one threshold; returns per prediction (in the given
// order) the index of its ground truth or -1. `order` lists predictions best score first.
std::vector<int> match_image(const std::vector<Instance>& preds,
                             const std::vector<Instance>& truths, const Similarity& sim,
                             double threshold) {
  std::vector<int> order(preds.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return preds[a].score > preds[b].score; });
  std::vector<int> assigned(preds.size(), -1);
  std::vector<bool> taken(truths.size(), false);
  for (int p : order) {
    double best = threshold;
    int best_t = -1;
    for (size_t t = 0; t < truths.size(); ++t) {
      if (taken[t]) continue;
      const double s = sim(preds[p], truths[t]);
      if (s >= best) {
        best = s;
        best_t = static_cast<int>(t);
      }
    }
    if (best_t >= 0) {
      taken[best_t] = true;
      assigned[p] = best_t;
    }
  }
  return assigned;
}

double ap_at(const std::vector<std::vector<Instance>>& truth,
             const std::vector<std::vector<Instance>>& preds, const Similarity& sim,
             double threshold) {
  std::vector<float> scores;
  std::vector<bool> matched;
  int n_truth = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    n_truth += static_cast<int>(truth[i].size());
    const std::vector<int> a = match_image(preds[i], truth[i], sim, threshold);
    for (size_t p = 0; p < preds[i].size(); ++p) {
      scores.push_back(preds[i][p].score);
      matched.push_back(a[p] >= 0);
    }
  }
  return average_precision(scores, matched, n_truth);
}

double ap_50_95(const std::vector<std::vector<Instance>>& truth,
                const std::vector<std::vector<Instance>>& preds, const Similarity& sim) {
  double sum = 0;
  for (int i = 0; i < 10; ++i) sum += ap_at(truth, preds, sim, 0.5 + 0.05 * i);
  return sum / 10;
}

struct ErrorSums {
  int n_labelled = 0, n_predicted = 0, within5 = 0, within10 = 0;
  double sum_d = 0, sum_d2 = 0;
  void add(const Keypoint& truth, const Keypoint& pred) {
    if (!truth.present()) return;
    ++n_labelled;
    if (!pred.present()) return;
    ++n_predicted;
    const double d = std::hypot(pred.x - truth.x, pred.y - truth.y);
    sum_d += d;
    sum_d2 += d * d;
    within5 += d <= 5;
    within10 += d <= 10;
  }
  void fill(double& rmse, double& mean, double& pck5, double& pck10) const {
    rmse = n_predicted ? std::sqrt(sum_d2 / n_predicted) : 0;
    mean = n_predicted ? sum_d / n_predicted : 0;
    pck5 = n_labelled ? double(within5) / n_labelled : 0;
    pck10 = n_labelled ? double(within10) / n_labelled : 0;
  }
};

}  // namespace

void MetricsOptions::validate(int n_keypoints) const {
  if (!sigmas.empty() && static_cast<int>(sigmas.size()) != n_keypoints)
    throw_invalid(fmt::format("sigmas: {} values for {} keypoints", sigmas.size(), n_keypoints));
  for (double s : sigmas)
    if (!(s > 0)) throw_invalid(fmt::format("sigmas: {} is not positive", s));
  if (!(area_ratio > 0)) throw_invalid(fmt::format("area_ratio = {}: must be > 0", area_ratio));
  if (!(match_iou > 0 && match_iou <= 1))
    throw_invalid(fmt::format("match_iou = {}: must be in (0, 1]", match_iou));
}

double oks(const Instance& prediction, const Instance& truth, const std::vector<double>& sigmas,
           double area_ratio) {
  // ref: pycocotools COCOeval.computeOks: e = d^2 / vars / (area + eps) / 2, vars = (2 sigma)^2
  const double area = truth.box.area() * area_ratio + 1e-9;
  double sum = 0;
  int n = 0;
  const size_t k_max = std::min(truth.keypoints.size(), prediction.keypoints.size());
  for (size_t k = 0; k < truth.keypoints.size(); ++k) {
    if (!truth.keypoints[k].present()) continue;
    ++n;
    if (k >= k_max) continue;
    const double dx = prediction.keypoints[k].x - truth.keypoints[k].x;
    const double dy = prediction.keypoints[k].y - truth.keypoints[k].y;
    const double var = 4 * sigmas[k] * sigmas[k];
    sum += std::exp(-(dx * dx + dy * dy) / var / area / 2);
  }
  return n ? sum / n : 0;
}

double average_precision(const std::vector<float>& scores, const std::vector<bool>& matched,
                         int n_truth) {
  if (n_truth == 0) return 0;
  std::vector<int> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
  std::vector<double> precision, recall;
  int tp = 0, fp = 0;
  for (int i : order) {
    matched[i] ? ++tp : ++fp;
    precision.push_back(double(tp) / (tp + fp));
    recall.push_back(double(tp) / n_truth);
  }
  // Precision envelope: the best precision at any higher recall (COCOeval).
  for (int i = static_cast<int>(precision.size()) - 2; i >= 0; --i)
    precision[i] = std::max(precision[i], precision[i + 1]);
  double sum = 0;
  for (int r = 0; r <= 100; ++r) {
    const double level = r / 100.0;
    const auto it = std::lower_bound(recall.begin(), recall.end(), level);
    if (it != recall.end()) sum += precision[it - recall.begin()];
  }
  return sum / 101;
}

PoseMetrics evaluate_pose(const std::vector<std::vector<Instance>>& truth,
                          const std::vector<std::vector<Instance>>& predictions,
                          const Skeleton& skeleton, const MetricsOptions& options) {
  const int k = skeleton.size();
  options.validate(k);
  if (truth.size() != predictions.size())
    throw_invalid(fmt::format("evaluation: {} labelled images but {} predicted", truth.size(),
                              predictions.size()));
  const std::vector<double> sigmas = resolved_sigmas(options, k);
  PoseMetrics m;
  m.n_images = static_cast<int>(truth.size());
  for (size_t i = 0; i < truth.size(); ++i) {
    m.n_truth += static_cast<int>(truth[i].size());
    m.n_predicted += static_cast<int>(predictions[i].size());
  }
  const Similarity box_sim = [](const Instance& p, const Instance& t) { return iou(p.box, t.box); };
  const Similarity oks_sim = [&](const Instance& p, const Instance& t) {
    return oks(p, t, sigmas, options.area_ratio);
  };
  m.box_ap50 = ap_at(truth, predictions, box_sim, 0.5);
  m.box_ap50_95 = ap_50_95(truth, predictions, box_sim);
  m.oks_ap50 = ap_at(truth, predictions, oks_sim, 0.5);
  m.oks_ap50_95 = ap_50_95(truth, predictions, oks_sim);

  ErrorSums all;
  std::vector<ErrorSums> per(k);
  for (size_t i = 0; i < truth.size(); ++i) {
    const std::vector<int> a = match_image(predictions[i], truth[i], box_sim, options.match_iou);
    std::vector<bool> found(truth[i].size(), false);
    for (size_t p = 0; p < a.size(); ++p) {
      if (a[p] < 0) continue;
      found[a[p]] = true;
      const Instance& t = truth[i][a[p]];
      const Instance& pr = predictions[i][p];
      for (int j = 0; j < k && j < static_cast<int>(t.keypoints.size()); ++j) {
        const Keypoint pk = j < static_cast<int>(pr.keypoints.size()) ? pr.keypoints[j] : Keypoint{};
        all.add(t.keypoints[j], pk);
        per[j].add(t.keypoints[j], pk);
      }
    }
    for (bool f : found) f ? ++m.n_matched : ++m.n_missed;
  }
  all.fill(m.rmse_px, m.mean_error_px, m.pck5, m.pck10);
  for (int j = 0; j < k; ++j) {
    KeypointErrors e;
    e.name = skeleton.keypoints[j];
    e.n_labelled = per[j].n_labelled;
    e.n_predicted = per[j].n_predicted;
    per[j].fill(e.rmse_px, e.mean_error_px, e.pck5, e.pck10);
    m.per_keypoint.push_back(e);
  }
  return m;
}

std::string PoseMetrics::to_json() const {
  nlohmann::json j = {{"n_images", n_images},       {"n_truth", n_truth},
                      {"n_predicted", n_predicted}, {"n_matched", n_matched},
                      {"n_missed", n_missed},       {"box_ap50", box_ap50},
                      {"box_ap50_95", box_ap50_95}, {"oks_ap50", oks_ap50},
                      {"oks_ap50_95", oks_ap50_95}, {"rmse_px", rmse_px},
                      {"mean_error_px", mean_error_px}, {"pck5", pck5},
                      {"pck10", pck10}};
  for (const auto& e : per_keypoint)
    j["per_keypoint"].push_back({{"name", e.name}, {"n_labelled", e.n_labelled},
                                 {"n_predicted", e.n_predicted}, {"rmse_px", e.rmse_px},
                                 {"mean_error_px", e.mean_error_px}, {"pck5", e.pck5},
                                 {"pck10", e.pck10}});
  return j.dump(2);
}

}  // namespace bt::pose
