#include "behavtrack/project/splits.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "behavtrack/core/error.h"
#include "behavtrack/project/sampler.h"

namespace bt::project {

void SplitOptions::validate() const {
  if (!(test_fraction >= 0 && test_fraction < 1))
    throw_invalid("split options: test_fraction " + std::to_string(test_fraction) + ": must be in [0, 1)");
  if (annotate_n < 1) throw_invalid("split options: annotate_n " + std::to_string(annotate_n) + ": must be >= 1");
  if (!(predict_fraction >= 0 && predict_fraction <= 10))
    throw_invalid("split options: predict_fraction " + std::to_string(predict_fraction) + ": must be in [0, 10]");
  if (!(val_fraction >= 0 && val_fraction < 1))
    throw_invalid("split options: val_fraction " + std::to_string(val_fraction) + ": must be in [0, 1)");
}

std::vector<std::int64_t> proportional_allocation(const std::vector<std::int64_t>& sizes, std::int64_t n) {
  const std::int64_t total = std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0});
  std::vector<std::int64_t> out(sizes.size(), 0);
  if (total == 0 || n <= 0) return out;
  n = std::min(n, total);
  std::vector<std::pair<double, std::size_t>> remainders;
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const double exact = static_cast<double>(sizes[i]) * n / total;
    out[i] = static_cast<std::int64_t>(std::floor(exact));
    sum += out[i];
    remainders.emplace_back(exact - out[i], i);
  }
  std::stable_sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t j = 0; sum < n; j = (j + 1) % remainders.size()) {
    const std::size_t i = remainders[j].second;
    if (out[i] < sizes[i]) ++out[i], ++sum;
  }
  return out;
}

namespace {

// A stratified seeded draw of `n` frames from `pool` (frame id -> stratum).
std::vector<FrameId> stratified_draw(const std::vector<std::pair<FrameId, int>>& pool, std::int64_t n, std::uint64_t seed) {
  std::map<int, std::vector<FrameId>> by_stratum;
  for (const auto& [id, s] : pool) by_stratum[s].push_back(id);
  std::vector<std::int64_t> sizes;
  for (const auto& [s, ids] : by_stratum) sizes.push_back(static_cast<std::int64_t>(ids.size()));
  const auto take = proportional_allocation(sizes, n);
  std::vector<FrameId> out;
  std::size_t j = 0;
  for (auto& [s, ids] : by_stratum) {
    std::sort(ids.begin(), ids.end());
    const auto perm = seeded_permutation(static_cast<std::int64_t>(ids.size()), seed * 7919ULL + static_cast<std::uint64_t>(s + 1));
    for (std::int64_t i = 0; i < take[j]; ++i) out.push_back(ids[perm[i]]);
    ++j;
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::pair<FrameId, int>> all_frames(const Project& p) {
  FrameQuery q;
  q.limit = 0;
  std::vector<std::pair<FrameId, int>> out;
  for (const FrameRecord& f : p.list_frames(q).frames) out.emplace_back(f.id, f.stratum);
  return out;
}

nlohmann::json options_json(const SplitOptions& o, const char* step) {
  return {{"step", step},
          {"test_fraction", o.test_fraction},
          {"annotate_n", o.annotate_n},
          {"predict_fraction", o.predict_fraction},
          {"val_fraction", o.val_fraction}};
}

}  // namespace

SplitSummary split_frames(Project& p, const SplitOptions& o) {
  o.validate();
  const auto frames = all_frames(p);
  if (frames.empty()) throw_invalid("split: the project has no frames; run `behavtrack frames sample` or import labels first");
  SplitSummary s;
  // A second test draw would put frames that trained earlier models into the test set, and
  // their scores would no longer be honest.
  if (const auto latest = p.latest_cycle(); latest && !o.initial_cycle)
    throw_invalid("split: the project's test set was drawn in cycle 0 and is fixed (latest cycle " + std::to_string(*latest) +
                  "); pass --initial-cycle to redraw train/val/predict around it, or run `behavtrack active next`");
  p.transaction([&] {
    // The test set of the latest cycle is kept; a project without cycles draws it.
    std::set<FrameId> test;
    const auto latest = p.latest_cycle();
    if (latest && o.initial_cycle) {
      for (const auto& [id, split] : p.split_of(*latest))
        if (split == Split::kTest) test.insert(id);
    } else {
      const auto n_test = static_cast<std::int64_t>(std::llround(o.test_fraction * static_cast<double>(frames.size())));
      for (FrameId id : stratified_draw(frames, n_test, o.seed)) test.insert(id);
      std::vector<std::pair<FrameId, Split>> a;
      for (const auto& [id, st] : frames) a.emplace_back(id, test.count(id) ? Split::kTest : Split::kReserve);
      s.cycle = p.add_cycle(o.seed, options_json(o, "test").dump(), a);
      s.counts = {{Split::kTest, static_cast<std::int64_t>(test.size())},
                  {Split::kReserve, static_cast<std::int64_t>(frames.size() - test.size())}};
    }
    if (!o.initial_cycle) return;
    // Pool: every frame outside the test set. Frames already complete are annotated work
    // the first cycle should use before asking for more.
    std::vector<std::pair<FrameId, int>> pool, unlabelled;
    std::vector<FrameId> annotate;
    for (const auto& f : frames) {
      if (test.count(f.first)) continue;
      pool.push_back(f);
      if (p.get_frame_record(f.first).state == FrameState::kComplete && static_cast<std::int64_t>(annotate.size()) < o.annotate_n)
        annotate.push_back(f.first);
      else
        unlabelled.push_back(f);
    }
    const std::int64_t more = o.annotate_n - static_cast<std::int64_t>(annotate.size());
    for (FrameId id : stratified_draw(unlabelled, more, o.seed + 1)) annotate.push_back(id);
    std::sort(annotate.begin(), annotate.end());
    const std::set<FrameId> annotate_set(annotate.begin(), annotate.end());
    std::vector<std::pair<FrameId, int>> rest;
    for (const auto& f : unlabelled)
      if (!annotate_set.count(f.first)) rest.push_back(f);
    const auto n_predict = static_cast<std::int64_t>(std::llround(o.predict_fraction * static_cast<double>(o.annotate_n)));
    const auto predict = stratified_draw(rest, n_predict, o.seed + 2);
    const std::set<FrameId> predict_set(predict.begin(), predict.end());
    // Train/val: a seeded shuffle of the annotate set, val_fraction of it to val.
    const auto perm = seeded_permutation(static_cast<std::int64_t>(annotate.size()), o.seed + 3);
    const auto n_val = static_cast<std::int64_t>(std::llround(o.val_fraction * static_cast<double>(annotate.size())));
    std::set<FrameId> val;
    for (std::int64_t i = 0; i < n_val; ++i) val.insert(annotate[perm[i]]);
    std::vector<std::pair<FrameId, Split>> a;
    s.counts.clear();
    for (const auto& [id, st] : frames) {
      Split sp = Split::kReserve;
      if (test.count(id)) sp = Split::kTest;
      else if (val.count(id)) sp = Split::kVal;
      else if (annotate_set.count(id)) sp = Split::kTrain;
      else if (predict_set.count(id)) sp = Split::kPredict;
      a.emplace_back(id, sp);
      ++s.counts[sp];
    }
    s.cycle = p.add_cycle(o.seed, options_json(o, "initial").dump(), a);
  });
  return s;
}

}  // namespace bt::project
