#include "behavtrack/track/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "behavtrack/core/error.h"
#include "behavtrack/track/assignment.h"
#include "behavtrack/track/cost.h"

namespace bt::track {
namespace {

constexpr double kEps = 1e-12;

// One frame with ids remapped to dense indices and the truth x pred similarity.
struct FrameData {
  std::vector<int> gt, tr;
  std::vector<std::vector<double>> sim;  // [gt][tr]
};

struct Sequence {
  std::vector<FrameData> frames;
  int n_gt_ids = 0, n_tr_ids = 0;
};

double similarity(const Instance& g, const Instance& p, const EvaluateOptions& o) {
  if (o.match == MatchBy::kIou) return iou(g.box, p.box);
  return std::max(0.0, oks(g, p, o.oks_kappa));
}

std::vector<int> dense_ids(const FrameInstances& f, std::map<int, int>& ids, const char* which) {
  std::vector<int> out;
  for (size_t i = 0; i < f.instances.size(); ++i) {
    const Instance& inst = f.instances[i];
    if (!inst.id)
      throw_invalid(std::string(which) + ": frame " + std::to_string(f.frame) + " instance " +
                    std::to_string(i) + " has no id; evaluate needs tracks");
    const int dense = ids.emplace(inst.id->value, static_cast<int>(ids.size())).first->second;
    if (std::find(out.begin(), out.end(), dense) != out.end())
      throw_invalid(std::string(which) + ": frame " + std::to_string(f.frame) + " has id " +
                    std::to_string(inst.id->value) + " twice");
    out.push_back(dense);
  }
  return out;
}

Sequence build_sequence(const std::vector<FrameInstances>& truth, const std::vector<FrameInstances>& pred,
                        const EvaluateOptions& o) {
  std::map<FrameIndex, std::pair<const FrameInstances*, const FrameInstances*>> by_frame;
  for (const auto& f : truth) by_frame[f.frame].first = &f;
  for (const auto& f : pred) by_frame[f.frame].second = &f;
  std::map<int, int> gt_ids, tr_ids;
  const FrameInstances empty;
  Sequence s;
  for (const auto& [frame, fp] : by_frame) {
    const FrameInstances& g = fp.first ? *fp.first : empty;
    const FrameInstances& p = fp.second ? *fp.second : empty;
    FrameData d;
    d.gt = dense_ids(g, gt_ids, "truth");
    d.tr = dense_ids(p, tr_ids, "pred");
    d.sim.assign(d.gt.size(), std::vector<double>(d.tr.size(), 0.0));
    for (size_t i = 0; i < d.gt.size(); ++i)
      for (size_t j = 0; j < d.tr.size(); ++j) d.sim[i][j] = similarity(g.instances[i], p.instances[j], o);
    s.frames.push_back(std::move(d));
  }
  s.n_gt_ids = static_cast<int>(gt_ids.size());
  s.n_tr_ids = static_cast<int>(tr_ids.size());
  return s;
}

// Hungarian maximising `score`; returns (row, col) pairs of the full assignment.
std::vector<std::pair<int, int>> max_score_pairs(const std::vector<std::vector<double>>& score, int cols) {
  const int rows = static_cast<int>(score.size());
  CostMatrix c(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) c(i, j) = -score[i][j];
  const std::vector<int> r2c = solve_min_cost(c);
  std::vector<std::pair<int, int>> out;
  for (int i = 0; i < rows; ++i)
    if (r2c[i] >= 0) out.emplace_back(i, r2c[i]);
  return out;
}

// ---- CLEAR MOT (TrackEval clear.py) ----
void clear_mot(const Sequence& s, const EvaluateOptions& o, MotMetrics& m) {
  std::vector<int> prev_tr(s.n_gt_ids, -1), last_tr(s.n_gt_ids, -1);
  std::vector<int> matched_count(s.n_gt_ids, 0), frame_count(s.n_gt_ids, 0), runs(s.n_gt_ids, 0);
  std::vector<char> prev_tracked(s.n_gt_ids, 0);
  double sim_sum = 0;
  for (const FrameData& d : s.frames) {
    for (int g : d.gt) ++frame_count[g];
    if (d.gt.empty() || d.tr.empty()) {
      m.fn += static_cast<std::int64_t>(d.gt.size());
      m.fp += static_cast<std::int64_t>(d.tr.size());
      std::fill(prev_tracked.begin(), prev_tracked.end(), 0);
      std::fill(prev_tr.begin(), prev_tr.end(), -1);
      continue;
    }
    // Continuing last frame's pair outweighs any similarity (score + 1000).
    std::vector<std::vector<double>> score = d.sim;
    for (size_t i = 0; i < d.gt.size(); ++i)
      for (size_t j = 0; j < d.tr.size(); ++j) {
        if (d.sim[i][j] < o.threshold - kEps) score[i][j] = 0;
        else if (prev_tr[d.gt[i]] == d.tr[j]) score[i][j] += 1000;
      }
    std::vector<char> tracked_now(s.n_gt_ids, 0);
    std::vector<int> now_tr(s.n_gt_ids, -1);
    int matches = 0;
    for (const auto& [i, j] : max_score_pairs(score, static_cast<int>(d.tr.size()))) {
      if (!(score[i][j] > 0)) continue;
      const int g = d.gt[i], t = d.tr[j];
      if (last_tr[g] >= 0 && last_tr[g] != t) ++m.id_switches;
      last_tr[g] = t;
      now_tr[g] = t;
      tracked_now[g] = 1;
      if (!prev_tracked[g]) ++runs[g];
      ++matched_count[g];
      sim_sum += d.sim[i][j];
      ++matches;
    }
    m.tp += matches;
    m.fn += static_cast<std::int64_t>(d.gt.size()) - matches;
    m.fp += static_cast<std::int64_t>(d.tr.size()) - matches;
    prev_tracked = tracked_now;
    prev_tr = now_tr;
  }
  for (int g = 0; g < s.n_gt_ids; ++g) {
    if (runs[g] > 0) m.fragmentations += runs[g] - 1;
    if (frame_count[g] == 0) continue;
    const double ratio = static_cast<double>(matched_count[g]) / frame_count[g];
    if (ratio > 0.8) ++m.mostly_tracked;
    if (ratio < 0.2) ++m.mostly_lost;
  }
  m.mota = m.n_truth > 0 ? 1.0 - static_cast<double>(m.fn + m.fp + m.id_switches) / m.n_truth : 0.0;
  m.motp = m.tp > 0 ? sim_sum / m.tp : 0.0;
}

// ---- Identity (TrackEval identity.py) ----
void identity(const Sequence& s, const EvaluateOptions& o, MotMetrics& m) {
  std::vector<std::vector<double>> co(s.n_gt_ids, std::vector<double>(s.n_tr_ids, 0.0));
  for (const FrameData& d : s.frames)
    for (size_t i = 0; i < d.gt.size(); ++i)
      for (size_t j = 0; j < d.tr.size(); ++j)
        if (d.sim[i][j] >= o.threshold - kEps) co[d.gt[i]][d.tr[j]] += 1;
  double idtp = 0;
  for (const auto& [g, t] : max_score_pairs(co, s.n_tr_ids)) idtp += co[g][t];
  m.idtp = static_cast<std::int64_t>(std::lround(idtp));
  m.idfn = m.n_truth - m.idtp;
  m.idfp = m.n_pred - m.idtp;
  m.idp = m.n_pred > 0 ? static_cast<double>(m.idtp) / m.n_pred : 0.0;
  m.idr = m.n_truth > 0 ? static_cast<double>(m.idtp) / m.n_truth : 0.0;
  m.idf1 = m.n_truth + m.n_pred > 0 ? 2.0 * m.idtp / (m.n_truth + m.n_pred) : 0.0;
}

// ---- HOTA (TrackEval hota.py) ----
void hota(const Sequence& s, MotMetrics& m) {
  const int G = s.n_gt_ids, T = s.n_tr_ids;
  std::vector<double> gt_count(G, 0), tr_count(T, 0);
  std::vector<std::vector<double>> potential(G, std::vector<double>(T, 0.0));
  for (const FrameData& d : s.frames) {
    // Soft co-occurrence: similarity normalised like an IoU over the frame's rows/columns.
    std::vector<double> row_sum(d.gt.size(), 0), col_sum(d.tr.size(), 0);
    for (size_t i = 0; i < d.gt.size(); ++i)
      for (size_t j = 0; j < d.tr.size(); ++j) row_sum[i] += d.sim[i][j], col_sum[j] += d.sim[i][j];
    for (size_t i = 0; i < d.gt.size(); ++i)
      for (size_t j = 0; j < d.tr.size(); ++j) {
        const double denom = row_sum[i] + col_sum[j] - d.sim[i][j];
        if (denom > kEps) potential[d.gt[i]][d.tr[j]] += d.sim[i][j] / denom;
      }
    for (int g : d.gt) gt_count[g] += 1;
    for (int t : d.tr) tr_count[t] += 1;
  }
  std::vector<std::vector<double>> global(G, std::vector<double>(T, 0.0));
  for (int g = 0; g < G; ++g)
    for (int t = 0; t < T; ++t) global[g][t] = potential[g][t] / (gt_count[g] + tr_count[t] - potential[g][t]);

  constexpr int kAlphas = 19;
  std::vector<double> tp(kAlphas, 0), fn(kAlphas, 0), fp(kAlphas, 0), loc(kAlphas, 0);
  std::vector<std::vector<std::vector<double>>> match_count(
      kAlphas, std::vector<std::vector<double>>(G, std::vector<double>(T, 0.0)));
  for (const FrameData& d : s.frames) {
    if (d.gt.empty() || d.tr.empty()) {
      for (int a = 0; a < kAlphas; ++a) fp[a] += d.tr.size(), fn[a] += d.gt.size();
      continue;
    }
    std::vector<std::vector<double>> score(d.gt.size(), std::vector<double>(d.tr.size()));
    for (size_t i = 0; i < d.gt.size(); ++i)
      for (size_t j = 0; j < d.tr.size(); ++j) score[i][j] = global[d.gt[i]][d.tr[j]] * d.sim[i][j];
    const auto pairs = max_score_pairs(score, static_cast<int>(d.tr.size()));
    for (int a = 0; a < kAlphas; ++a) {
      const double alpha = 0.05 * (a + 1);
      int n = 0;
      for (const auto& [i, j] : pairs) {
        if (d.sim[i][j] < alpha - kEps) continue;
        ++n;
        loc[a] += d.sim[i][j];
        match_count[a][d.gt[i]][d.tr[j]] += 1;
      }
      tp[a] += n;
      fn[a] += static_cast<double>(d.gt.size()) - n;
      fp[a] += static_cast<double>(d.tr.size()) - n;
    }
  }
  double hota_sum = 0, deta_sum = 0, assa_sum = 0, loca_sum = 0;
  for (int a = 0; a < kAlphas; ++a) {
    double ass = 0;
    for (int g = 0; g < G; ++g)
      for (int t = 0; t < T; ++t) {
        const double c = match_count[a][g][t];
        if (c > 0) ass += c * c / std::max(1.0, gt_count[g] + tr_count[t] - c);
      }
    const double assa = ass / std::max(1.0, tp[a]);
    const double deta = tp[a] / std::max(1.0, tp[a] + fn[a] + fp[a]);
    hota_sum += std::sqrt(deta * assa);
    deta_sum += deta;
    assa_sum += assa;
    loca_sum += tp[a] > 0 ? loc[a] / tp[a] : 1.0;  // TrackEval: LocA = 1 when nothing matched
  }
  m.hota = hota_sum / kAlphas;
  m.deta = deta_sum / kAlphas;
  m.assa = assa_sum / kAlphas;
  m.loca = loca_sum / kAlphas;
}

}  // namespace

MatchBy match_by_from_string(const std::string& name) {
  if (name == "iou") return MatchBy::kIou;
  if (name == "keypoints") return MatchBy::kKeypoints;
  throw_invalid("--match '" + name + "': unknown; use iou or keypoints");
}

void EvaluateOptions::validate() const {
  if (!(threshold > 0 && threshold <= 1))
    throw_invalid("evaluate options: threshold = " + std::to_string(threshold) + ": must be in (0, 1]");
  if (!(oks_kappa > 0))
    throw_invalid("evaluate options: oks_kappa = " + std::to_string(oks_kappa) + ": must be > 0");
}

MotMetrics evaluate_tracking(const std::vector<FrameInstances>& truth, const std::vector<FrameInstances>& pred,
                             const EvaluateOptions& options) {
  options.validate();
  const Sequence s = build_sequence(truth, pred, options);
  MotMetrics m;
  for (const FrameData& d : s.frames) {
    m.n_truth += static_cast<std::int64_t>(d.gt.size());
    m.n_pred += static_cast<std::int64_t>(d.tr.size());
  }
  m.truth_ids = s.n_gt_ids;
  m.pred_ids = s.n_tr_ids;
  clear_mot(s, options, m);
  identity(s, options, m);
  hota(s, m);
  return m;
}

std::string format_metrics(const MotMetrics& m) {
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "MOTA %.4f  MOTP %.4f\nIDF1 %.4f  IDP %.4f  IDR %.4f\nHOTA %.4f  DetA %.4f  AssA %.4f  LocA %.4f\n"
                "ID switches %lld  fragmentations %lld  mostly tracked %d  mostly lost %d\n"
                "truth %lld instances / %d ids, pred %lld instances / %d ids, TP %lld  FP %lld  FN %lld\n",
                m.mota, m.motp, m.idf1, m.idp, m.idr, m.hota, m.deta, m.assa, m.loca,
                static_cast<long long>(m.id_switches), static_cast<long long>(m.fragmentations), m.mostly_tracked,
                m.mostly_lost, static_cast<long long>(m.n_truth), m.truth_ids, static_cast<long long>(m.n_pred),
                m.pred_ids, static_cast<long long>(m.tp), static_cast<long long>(m.fp), static_cast<long long>(m.fn));
  return buf;
}

std::string metrics_json(const MotMetrics& m) {
  nlohmann::ordered_json j = {
      {"MOTA", m.mota}, {"MOTP", m.motp}, {"IDF1", m.idf1}, {"IDP", m.idp}, {"IDR", m.idr},
      {"HOTA", m.hota}, {"DetA", m.deta}, {"AssA", m.assa}, {"LocA", m.loca},
      {"id_switches", m.id_switches}, {"fragmentations", m.fragmentations},
      {"mostly_tracked", m.mostly_tracked}, {"mostly_lost", m.mostly_lost},
      {"truth_instances", m.n_truth}, {"pred_instances", m.n_pred}, {"truth_ids", m.truth_ids},
      {"pred_ids", m.pred_ids}, {"TP", m.tp}, {"FP", m.fp}, {"FN", m.fn},
      {"IDTP", m.idtp}, {"IDFP", m.idfp}, {"IDFN", m.idfn}};
  return j.dump(2) + "\n";
}

}  // namespace bt::track
