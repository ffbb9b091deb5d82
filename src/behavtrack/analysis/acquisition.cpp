#include "behavtrack/analysis/acquisition.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "behavtrack/core/error.h"
#include "behavtrack/project/sampler.h"
#include "behavtrack/project/splits.h"

namespace bt::analysis {
namespace {

double feature_distance(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) throw_internal("acquisition: features of different lengths");
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * static_cast<double>(a[i] - b[i]);
  return std::sqrt(s);
}

double mean(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
}

// Mean keypoint distance between two instances of the same mouse over the box diagonal.
double keypoint_disagreement(const Instance& a, const Instance& b) {
  const double diag = std::max(1.0, std::hypot(a.box.width(), a.box.height()));
  std::vector<double> d;
  for (std::size_t k = 0; k < a.keypoints.size() && k < b.keypoints.size(); ++k) {
    const Keypoint &p = a.keypoints[k], &q = b.keypoints[k];
    if (p.present() != q.present()) d.push_back(1.0);
    else if (p.present()) d.push_back(std::min(1.0, std::hypot(p.x - q.x, p.y - q.y) / diag));
  }
  return mean(d);
}

// Greedy one-to-one matching by box IoU (> 0.1), then disagreement per instance.
double flip_disagreement(const std::vector<Instance>& a, const std::vector<Instance>& b) {
  if (a.empty() && b.empty()) return 0.0;
  std::vector<bool> used(b.size(), false);
  std::vector<double> d;
  for (const Instance& x : a) {
    int best = -1;
    double best_iou = 0.1;
    for (std::size_t j = 0; j < b.size(); ++j)
      if (!used[j] && iou(x.box, b[j].box) > best_iou) best_iou = iou(x.box, b[j].box), best = static_cast<int>(j);
    if (best < 0) {
      d.push_back(1.0);
      continue;
    }
    used[best] = true;
    d.push_back(keypoint_disagreement(x, b[best]));
  }
  for (bool u : used)
    if (!u) d.push_back(1.0);
  return mean(d);
}

// Half the median over the pool of each frame's distance to its nearest other frame.
double near_duplicate_distance(const std::vector<Candidate>& pool) {
  if (pool.size() < 2) return 0.0;
  std::vector<double> nn;
  const std::size_t step = std::max<std::size_t>(1, pool.size() / 500);  // sample big pools
  for (std::size_t i = 0; i < pool.size(); i += step) {
    double best = std::numeric_limits<double>::max();
    for (std::size_t j = 0; j < pool.size(); ++j)
      if (j != i) best = std::min(best, feature_distance(pool[i].feature, pool[j].feature));
    nn.push_back(best);
  }
  std::nth_element(nn.begin(), nn.begin() + nn.size() / 2, nn.end());
  return 0.5 * nn[nn.size() / 2];
}

std::vector<std::size_t> select_by_uncertainty(const std::vector<Candidate>& pool, int k) {
  std::vector<std::size_t> order(pool.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return pool[a].uncertainty > pool[b].uncertainty; });
  const double min_distance = near_duplicate_distance(pool);
  std::vector<std::size_t> picked;
  for (std::size_t i : order) {
    if (static_cast<int>(picked.size()) >= k) break;
    const bool duplicate = std::any_of(picked.begin(), picked.end(), [&](std::size_t p) {
      return feature_distance(pool[i].feature, pool[p].feature) < min_distance;
    });
    if (!duplicate) picked.push_back(i);
  }
  // Near-duplicates fill up only when the pool has too few distinct frames.
  for (std::size_t i : order) {
    if (static_cast<int>(picked.size()) >= k) break;
    if (std::find(picked.begin(), picked.end(), i) == picked.end()) picked.push_back(i);
  }
  return picked;
}

// Greedy selection maximising value(i) = weight(i) * distance-to-centres(i); with all
// weights 1 this is k-centre greedy. Centres start at the labelled frames (or, with none,
// at the highest-weighted frame).
std::vector<std::size_t> select_greedy(const std::vector<Candidate>& pool,
                                       const std::vector<std::vector<float>>& labelled, int k,
                                       const std::vector<double>& weight) {
  std::vector<double> dist(pool.size(), std::numeric_limits<double>::max());
  for (const auto& f : labelled)
    for (std::size_t i = 0; i < pool.size(); ++i) dist[i] = std::min(dist[i], feature_distance(pool[i].feature, f));
  std::vector<std::size_t> picked;
  std::vector<bool> taken(pool.size(), false);
  while (static_cast<int>(picked.size()) < k && picked.size() < pool.size()) {
    double max_dist = 0;
    for (std::size_t i = 0; i < pool.size(); ++i)
      if (!taken[i] && dist[i] < std::numeric_limits<double>::max()) max_dist = std::max(max_dist, dist[i]);
    std::size_t best = pool.size();
    double best_value = -1;
    for (std::size_t i = 0; i < pool.size(); ++i) {
      if (taken[i]) continue;
      const double d = dist[i] == std::numeric_limits<double>::max() ? 1.0 : (max_dist > 0 ? dist[i] / max_dist : 0.0);
      const double value = weight[i] * d;
      if (value > best_value) best_value = value, best = i;
    }
    taken[best] = true;
    picked.push_back(best);
    for (std::size_t i = 0; i < pool.size(); ++i)
      dist[i] = std::min(dist[i], feature_distance(pool[i].feature, pool[best].feature));
  }
  return picked;
}

std::vector<std::size_t> select_random_stratified(const std::vector<Candidate>& pool, int k, std::uint64_t seed) {
  std::map<int, std::vector<std::size_t>> by_stratum;
  for (std::size_t i = 0; i < pool.size(); ++i) by_stratum[pool[i].stratum].push_back(i);
  std::vector<std::int64_t> counts;
  for (const auto& [s, members] : by_stratum) counts.push_back(static_cast<std::int64_t>(members.size()));
  const auto n = std::min<std::int64_t>(k, static_cast<std::int64_t>(pool.size()));
  // BehavTrack's quotas take at least one frame from every stratum; asked for fewer frames
  // than there are strata, take one each from the strata with the largest shares instead,
  // so that no more than k are picked.
  const std::vector<std::int64_t> quotas = n >= static_cast<std::int64_t>(counts.size())
                                               ? project::stratum_quotas(counts, n)
                                               : project::proportional_allocation(counts, n);
  std::vector<std::size_t> picked;
  std::size_t s = 0;
  for (const auto& [stratum, members] : by_stratum) {
    const auto order = project::seeded_permutation(static_cast<std::int64_t>(members.size()), seed + stratum * 7919);
    for (std::int64_t q = 0; q < quotas[s]; ++q) picked.push_back(members[order[q]]);
    ++s;
  }
  return picked;
}

}  // namespace

Strategy strategy_from_string(const std::string& name) {
  if (name == "uncertainty") return Strategy::kUncertainty;
  if (name == "diversity") return Strategy::kDiversity;
  if (name == "hybrid") return Strategy::kHybrid;
  if (name == "random-stratified") return Strategy::kRandomStratified;
  throw_invalid("strategy " + quoted(name) + ": expected uncertainty, diversity, hybrid or random-stratified");
}

const char* to_string(Strategy s) {
  switch (s) {
    case Strategy::kUncertainty: return "uncertainty";
    case Strategy::kDiversity: return "diversity";
    case Strategy::kHybrid: return "hybrid";
    case Strategy::kRandomStratified: return "random-stratified";
  }
  return "hybrid";
}

DiversityFeatures diversity_features_from_string(const std::string& name) {
  if (name == "appearance") return DiversityFeatures::kAppearance;
  if (name == "layout") return DiversityFeatures::kLayout;
  throw_invalid("diversity features " + quoted(name) + ": expected appearance or layout");
}

const char* to_string(DiversityFeatures f) { return f == DiversityFeatures::kLayout ? "layout" : "appearance"; }

std::vector<Instance> unmirror(const std::vector<Instance>& mirrored, const Skeleton& skeleton, int image_width) {
  std::vector<Instance> out;
  for (const Instance& m : mirrored) {
    Instance o = m;
    o.box = {image_width - m.box.x2, m.box.y1, image_width - m.box.x1, m.box.y2};
    for (std::size_t k = 0; k < m.keypoints.size(); ++k) {
      // Keypoint k of the original is the mirror's keypoint flip[k] (left ear <-> right ear).
      const std::size_t src = k < skeleton.flip.size() ? static_cast<std::size_t>(skeleton.flip[k]) : k;
      Keypoint kp = m.keypoints[src];
      kp.x = image_width - kp.x;
      o.keypoints[k] = kp;
      if (src < m.keypoint_scores.size()) o.keypoint_scores[k] = m.keypoint_scores[src];
    }
    out.push_back(o);
  }
  return out;
}

FrameUncertainty score_frame(const std::vector<Instance>& predicted, const std::vector<Instance>& mirrored,
                             const Skeleton& skeleton, int image_width, int expected_animals,
                             const UncertaintyWeights& w) {
  FrameUncertainty u;
  std::vector<double> det, kps;
  for (const Instance& p : predicted) {
    det.push_back(1.0 - std::clamp<double>(p.score, 0.0, 1.0));
    for (float s : p.keypoint_scores) kps.push_back(1.0 - std::clamp<double>(s, 0.0, 1.0));
  }
  // No detection at all is as uncertain as it gets when mice are expected.
  u.detection = predicted.empty() ? (expected_animals > 0 ? 1.0 : 0.0) : mean(det);
  u.keypoints = predicted.empty() ? u.detection : mean(kps);
  u.flip = flip_disagreement(predicted, unmirror(mirrored, skeleton, image_width));
  if (expected_animals > 0)
    u.count = std::min(1.0, std::abs(static_cast<double>(predicted.size()) - expected_animals) / expected_animals);
  u.total = w.detection * u.detection + w.keypoints * u.keypoints + w.flip * u.flip + w.count * u.count;
  return u;
}

std::vector<std::size_t> select_frames(const std::vector<Candidate>& pool,
                                       const std::vector<std::vector<float>>& labelled_features, int k,
                                       Strategy strategy, std::uint64_t seed, int hybrid_ramp_frames) {
  if (k <= 0 || pool.empty()) return {};
  switch (strategy) {
    case Strategy::kUncertainty: return select_by_uncertainty(pool, k);
    case Strategy::kDiversity: return select_greedy(pool, labelled_features, k, std::vector<double>(pool.size(), 1.0));
    case Strategy::kHybrid: {
      double max_u = 0;
      for (const Candidate& c : pool) max_u = std::max(max_u, c.uncertainty);
      const double exponent =
          hybrid_ramp_frames > 0
              ? std::min(1.0, static_cast<double>(labelled_features.size()) / hybrid_ramp_frames)
              : 1.0;
      std::vector<double> weight;
      for (const Candidate& c : pool)
        weight.push_back(max_u > 0 ? std::pow(c.uncertainty / max_u, exponent) : 1.0);
      return select_greedy(pool, labelled_features, k, weight);
    }
    case Strategy::kRandomStratified: return select_random_stratified(pool, k, seed);
  }
  return {};
}

namespace {

// Index of `value` among bins split at `edges` (ascending): 0 below the first edge.
int bin_of(double value, std::initializer_list<double> edges) {
  int b = 0;
  for (double e : edges) b += value >= e;
  return b;
}

// The heading of a mouse from its first to its last present keypoint (nose to tail base in
// the default skeleton), in [0, 2 pi); NaN with fewer than two.
double heading(const Instance& m) {
  const Keypoint* first = nullptr;
  const Keypoint* last = nullptr;
  for (const Keypoint& k : m.keypoints)
    if (k.present()) {
      if (!first) first = &k;
      last = &k;
    }
  if (!first || first == last) return std::nan("");
  const double a = std::atan2(first->y - last->y, first->x - last->x);
  return a < 0 ? a + 2 * M_PI : a;
}

}  // namespace

std::vector<float> pose_layout_feature(const std::vector<Instance>& mice, int width, int height,
                                       int expected_animals) {
  constexpr int kGrid = 4, kGroups = 16 + 4 + 4 + 4;
  std::vector<float> f(kGroups + 1, 0.0f);
  const double share = 1.0 / std::max<std::size_t>(1, std::max<std::size_t>(mice.size(), expected_animals));
  for (std::size_t i = 0; i < mice.size(); ++i) {
    const Box& b = mice[i].box;
    const int gx = std::clamp(static_cast<int>(b.cx() / std::max(1, width) * kGrid), 0, kGrid - 1);
    const int gy = std::clamp(static_cast<int>(b.cy() / std::max(1, height) * kGrid), 0, kGrid - 1);
    f[gy * kGrid + gx] += share;
    const double body = std::max({1.0, b.width(), b.height()});
    double nearest = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < mice.size(); ++j)
      if (j != i) nearest = std::min(nearest, std::hypot(b.cx() - mice[j].box.cx(), b.cy() - mice[j].box.cy()) / body);
    if (mice.size() > 1) f[16 + bin_of(nearest, {0.5, 1.0, 2.0})] += share;
    const double squareness = std::min(b.width(), b.height()) / body;
    f[20 + bin_of(squareness, {0.4, 0.6, 0.8})] += share;
    const double a = heading(mice[i]);
    if (!std::isnan(a)) f[24 + std::min(3, static_cast<int>(a / (M_PI / 2)))] += share;
  }
  if (expected_animals > 0)
    f[kGroups] = static_cast<float>(std::min(1.0, std::abs(static_cast<double>(mice.size()) - expected_animals) /
                                                     expected_animals));
  return f;
}

}  // namespace bt::analysis
