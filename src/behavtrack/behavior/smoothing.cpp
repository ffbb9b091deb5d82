#include "behavtrack/behavior/smoothing.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "behavtrack/core/error.h"

namespace bt::behavior {

TransitionModel TransitionModel::estimate(const std::vector<std::vector<int>>& runs, int n_classes,
                                          double pseudo_count) {
  if (n_classes < 1) throw_invalid("transitions: n_classes must be >= 1");
  if (!(pseudo_count > 0)) throw_invalid("transitions: pseudo_count " + std::to_string(pseudo_count) + " must be > 0");
  const std::size_t k = static_cast<std::size_t>(n_classes);
  std::vector<double> counts(k * k, pseudo_count);
  for (const auto& run : runs) {
    for (std::size_t t = 1; t < run.size(); ++t) {
      if (run[t - 1] < 0 || run[t] < 0) continue;
      counts[static_cast<std::size_t>(run[t - 1]) * k + static_cast<std::size_t>(run[t])] += 1;
    }
  }
  TransitionModel m;
  m.n_classes = n_classes;
  m.log_a.resize(k * k);
  for (std::size_t i = 0; i < k; ++i) {
    double row = 0;
    for (std::size_t j = 0; j < k; ++j) row += counts[i * k + j];
    for (std::size_t j = 0; j < k; ++j) m.log_a[i * k + j] = std::log(counts[i * k + j] / row);
  }
  return m;
}

TransitionModel TransitionModel::sticky(int n_classes, double p_stay) {
  if (n_classes < 1) throw_invalid("transitions: n_classes must be >= 1");
  if (!(p_stay > 0) || !(p_stay < 1)) throw_invalid("transitions: p_stay " + std::to_string(p_stay) + " must be in (0, 1)");
  const std::size_t k = static_cast<std::size_t>(n_classes);
  TransitionModel m;
  m.n_classes = n_classes;
  const double p_move = k > 1 ? (1 - p_stay) / static_cast<double>(k - 1) : 0;
  m.log_a.resize(k * k);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) m.log_a[i * k + j] = i == j ? std::log(k > 1 ? p_stay : 1.0) : std::log(p_move);
  return m;
}

void TransitionModel::validate() const {
  if (n_classes < 1 || log_a.size() != static_cast<std::size_t>(n_classes) * n_classes)
    throw_invalid("transitions: matrix is not n_classes x n_classes");
}

std::vector<int> argmax_classes(const std::vector<float>& proba, std::size_t n_frames, int n_classes) {
  std::vector<int> out(n_frames);
  for (std::size_t t = 0; t < n_frames; ++t) {
    const float* p = proba.data() + t * static_cast<std::size_t>(n_classes);
    out[t] = static_cast<int>(std::max_element(p, p + n_classes) - p);
  }
  return out;
}

std::vector<int> viterbi(const std::vector<float>& proba, std::size_t n_frames, const TransitionModel& model) {
  model.validate();
  const std::size_t k = static_cast<std::size_t>(model.n_classes);
  if (proba.size() != n_frames * k) throw_internal("viterbi: probabilities are not n_frames x n_classes");
  if (n_frames == 0) return {};
  constexpr double kFloor = 1e-6;  // keeps log p finite when the classifier says 0
  auto emit = [&](std::size_t t, std::size_t j) { return std::log(std::max<double>(proba[t * k + j], kFloor)); };
  std::vector<double> delta(k), next(k);
  std::vector<int> back(n_frames * k);
  for (std::size_t j = 0; j < k; ++j) delta[j] = emit(0, j);
  for (std::size_t t = 1; t < n_frames; ++t) {
    for (std::size_t j = 0; j < k; ++j) {
      double best = -std::numeric_limits<double>::infinity();
      int arg = 0;
      for (std::size_t i = 0; i < k; ++i) {
        const double s = delta[i] + model.log_a[i * k + j];  // delta_{t-1}(i) + log A[i][j]
        if (s > best) best = s, arg = static_cast<int>(i);
      }
      next[j] = best + emit(t, j);
      back[t * k + j] = arg;
    }
    std::swap(delta, next);
  }
  std::vector<int> path(n_frames);
  path[n_frames - 1] = static_cast<int>(std::max_element(delta.begin(), delta.end()) - delta.begin());
  for (std::size_t t = n_frames - 1; t > 0; --t) path[t - 1] = back[t * k + static_cast<std::size_t>(path[t])];
  return path;
}

namespace {
struct Run {
  std::size_t start, length;
  int cls;
};
std::vector<Run> runs_of(const std::vector<int>& classes) {
  std::vector<Run> runs;
  for (std::size_t t = 0; t < classes.size(); ++t) {
    if (runs.empty() || runs.back().cls != classes[t]) runs.push_back({t, 0, classes[t]});
    ++runs.back().length;
  }
  return runs;
}
}  // namespace

void enforce_min_bout(std::vector<int>& classes, int min_frames) {
  if (min_frames <= 1) return;
  for (;;) {
    const std::vector<Run> runs = runs_of(classes);
    if (runs.size() <= 1) return;
    std::size_t shortest = 0;
    for (std::size_t r = 1; r < runs.size(); ++r)
      if (runs[r].length < runs[shortest].length) shortest = r;
    if (runs[shortest].length >= static_cast<std::size_t>(min_frames)) return;
    const Run& s = runs[shortest];
    const bool has_prev = shortest > 0, has_next = shortest + 1 < runs.size();
    const bool take_prev = has_prev && (!has_next || runs[shortest - 1].length >= runs[shortest + 1].length);
    const int cls = take_prev ? runs[shortest - 1].cls : runs[shortest + 1].cls;
    std::fill(classes.begin() + static_cast<long>(s.start), classes.begin() + static_cast<long>(s.start + s.length), cls);
  }
}

}  // namespace bt::behavior
