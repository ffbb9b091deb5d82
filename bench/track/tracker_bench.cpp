// Tracking benchmarks: association speed for 2, 5 and 20 mice on one core; the
// comparison of our tracker with a BehavTrack-style cost-only tracker and a plain
// IoU + Hungarian tracker on the same damaged synthetic detections (IDF1, HOTA, ID
// switches); and where the heavy-damage identity loss comes from (each kind of damage
// taken away in turn, and IDF1's loss split into wrong ids and missing or extra boxes).
// The tables go to $BT_RESULTS/track_comparison.md and track_damage_ablation.md when set.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "track/track_bench_data.h"
#include "behavtrack/track/detection_damage.h"
#include "behavtrack/track/identity_resolver.h"
#include "behavtrack/track/metrics.h"
#include "behavtrack/track/tracker.h"

namespace {

namespace tr = bt::track;
using tr::bench::damage;
using tr::heavy_damage;
using tr::light_damage;
using tr::bench::ours;
using tr::bench::track;
using tr::bench::truth_of;

tr::TrackerOptions streaming(tr::TrackerOptions o) {
  o.offline_identities = false;
  return o;
}

// Frames per second of the whole streaming tracker (association, Kalman, interpolation,
// smoothing, output), detections made from 20 s of synthetic truth with 5% dropped, 2 px.
void BM_TrackerAssociation(benchmark::State& state) {
  const int mice = static_cast<int>(state.range(0));
  const auto dets = damage(truth_of(mice, 20, 7), tr::DamageOptions{});
  tr::TrackerOptions o;
  o.animals = mice;
  o.offline_identities = false;
  for (auto _ : state) benchmark::DoNotOptimize(track(o, dets));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(dets.size()));
  state.SetLabel("items = frames, one core");
}
BENCHMARK(BM_TrackerAssociation)->Arg(2)->Arg(5)->Arg(20)->Unit(benchmark::kMillisecond);

// Frames per second of `track`'s whole identity work with the offline pass: the forward
// run, the backward run and resolve_identities, same detections as above.
void BM_TrackerWithOfflinePass(benchmark::State& state) {
  const int mice = static_cast<int>(state.range(0));
  const auto dets = damage(truth_of(mice, 20, 7), tr::DamageOptions{});
  tr::TrackerOptions o;
  o.animals = mice;
  for (auto _ : state) benchmark::DoNotOptimize(track(o, dets));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(dets.size()));
  state.SetLabel("items = frames, one core");
}
BENCHMARK(BM_TrackerWithOfflinePass)->Arg(5)->Unit(benchmark::kMillisecond);

struct Scenario {
  const char* name;
  tr::DamageOptions damage;
};

const int kSeeds = tr::bench::n_seeds();
const int kSeed0 = tr::bench::first_seed();

void BM_TrackerComparison(benchmark::State& state) {
  const tr::DamageOptions light = light_damage(), heavy = heavy_damage();
  const std::vector<Scenario> scenarios = {{"5% dropped, 2 px", light},
                                           {"15% dropped, 5% FP, 10-frame occlusions, 2% flips", heavy}};
  const std::vector<std::pair<const char*, tr::TrackerOptions>> trackers = {
      {"behavtrack (ours: streaming + offline pass)", [] { tr::TrackerOptions o; o.animals = 5; return o; }()},
      {"ours, streaming only (--no-offline-identities; before)", [] {
         tr::TrackerOptions o;
         o.animals = 5;
         return streaming(o);
       }()},
      {"ours, streaming, --switch-margin 0 (no crowd abstention)", [] { tr::TrackerOptions o; o.animals = 5; o.switch_margin = 0; return streaming(o); }()},
      {"ours, streaming, --oks-kappa 0.15", [] { tr::TrackerOptions o; o.animals = 5; o.weights.oks_kappa = 0.15; return streaming(o); }()},
      {"ours, streaming, --cost behavtrack", [] { tr::TrackerOptions o; o.animals = 5; o.cost = tr::CostKind::kBehavTrack; return streaming(o); }()},
      {"BehavTrack-style cost, last position", tr::TrackerOptions::behavtrack_style(5)},
      {"plain IoU + Hungarian", tr::TrackerOptions::iou_only()}};
  const int n_seeds = kSeeds;
  std::string table = "| detections | tracker | IDF1 | IDF1 per seed | HOTA | MOTA | ID switches | ids |\n"
                      "|---|---|---|---|---|---|---|---|\n";
  for (auto _ : state) {
    for (const Scenario& s : scenarios) {
      std::vector<std::vector<bt::FrameInstances>> truths, detections;
      for (int seed = 0; seed < n_seeds; ++seed) {
        truths.push_back(truth_of(5, 120, kSeed0 + seed));
        tr::DamageOptions d = s.damage;
        d.seed = kSeed0 + 100 + seed;
        detections.push_back(damage(truths.back(), d));
      }
      for (const auto& [name, options] : trackers) {
        double idf1 = 0, hota = 0, mota = 0, switches = 0, ids = 0;
        std::string per_seed;
        for (int seed = 0; seed < n_seeds; ++seed) {
          const tr::MotMetrics m = tr::evaluate_tracking(truths[seed], track(options, detections[seed]), {});
          idf1 += m.idf1 / n_seeds, hota += m.hota / n_seeds, mota += m.mota / n_seeds;
          switches += static_cast<double>(m.id_switches) / n_seeds, ids += static_cast<double>(m.pred_ids) / n_seeds;
          char one[16];
          std::snprintf(one, sizeof one, "%s%.3f", seed ? " / " : "", m.idf1);
          per_seed += one;
        }
        char row[320];
        std::snprintf(row, sizeof row, "| %s | %s | %.4f | %s | %.4f | %.4f | %.1f | %.1f |\n", s.name, name, idf1,
                      per_seed.c_str(), hota, mota, switches, ids);
        table += row;
      }
    }
  }
  table += "\nMeans over " + std::to_string(n_seeds) +
           " synthetic 2-minute videos of 5 mice (synth seeds " + std::to_string(kSeed0) + ".." + std::to_string(kSeed0 + n_seeds - 1) +
           ", truth only), 30 fps, 640x480.\n";
  std::fputs(table.c_str(), stdout);
  if (const char* dir = std::getenv("BT_RESULTS")) std::ofstream(std::string(dir) + "/track_comparison.md") << table;
}
BENCHMARK(BM_TrackerComparison)->Iterations(1)->Unit(benchmark::kSecond);

// IDF1 = 2 IDTP / (n_truth + n_pred). The boxes it does not count are either missing or
// extra (CLEAR FN and FP: detection) or present under the wrong id (IDFN - FN and
// IDFP - FP: identity); the two shares add up to 1 - IDF1.
std::pair<double, double> idf1_loss_split(const tr::MotMetrics& m) {
  const double all = static_cast<double>(m.n_truth + m.n_pred);
  const double detection = static_cast<double>(m.fn + m.fp) / all;
  const double identity = static_cast<double>((m.idfn - m.fn) + (m.idfp - m.fp)) / all;
  return {identity, detection};
}

// Where the heavy-damage identity loss comes from: our tracker on the comparison's heavy
// damage with one kind of damage taken away at a time, down to the truth with 2 px noise.
// The first row checks the metric: the truth scored as its own tracks gives IDF1 1.
void BM_TrackerDamageAblation(benchmark::State& state) {
  const tr::DamageOptions heavy = heavy_damage();
  auto without = [&](auto change) {
    tr::DamageOptions d = heavy;
    change(d);
    return d;
  };
  const std::vector<Scenario> scenarios = {
      {"heavy: 15% dropped, 5% FP, 10-frame occlusions, 2% flips", heavy},
      {"heavy without false positives", without([](tr::DamageOptions& d) { d.false_positive_rate = 0; })},
      {"heavy without occlusions", without([](tr::DamageOptions& d) { d.occlusions_per_min = 0; })},
      {"heavy without flips", without([](tr::DamageOptions& d) { d.flip_rate = 0; })},
      {"heavy with 5% dropped", without([](tr::DamageOptions& d) { d.drop_rate = 0.05; })},
      {"occlusions only", without([](tr::DamageOptions& d) { d.drop_rate = d.false_positive_rate = d.flip_rate = 0; })},
      {"15% dropped only", without([](tr::DamageOptions& d) { d.occlusions_per_min = d.false_positive_rate = d.flip_rate = 0; })},
      {"nothing missing (2 px noise only)", without([](tr::DamageOptions& d) {
         d.drop_rate = d.false_positive_rate = d.flip_rate = d.occlusions_per_min = 0;
       })}};
  std::string table = "| detections | IDF1 | IDF1 per seed | lost to wrong ids | lost to missing/extra boxes | "
                      "ID switches |\n|---|---|---|---|---|---|\n";
  for (auto _ : state) {
    std::vector<std::vector<bt::FrameInstances>> truths;
    double truth_idf1 = 0;
    for (int seed = 0; seed < kSeeds; ++seed) {
      truths.push_back(truth_of(5, 120, kSeed0 + seed));
      truth_idf1 += tr::evaluate_tracking(truths.back(), truths.back(), {}).idf1 / kSeeds;
    }
    char row[400];
    std::snprintf(row, sizeof row, "| the truth as tracks (metric check) | %.4f | | | | |\n", truth_idf1);
    table += row;
    for (const Scenario& s : scenarios) {
      double idf1 = 0, wrong = 0, missing = 0, switches = 0;
      std::string per_seed;
      for (int seed = 0; seed < kSeeds; ++seed) {
        tr::DamageOptions d = s.damage;
        d.seed = kSeed0 + 100 + seed;
        const tr::MotMetrics m = tr::evaluate_tracking(truths[seed], track(ours(), damage(truths[seed], d)), {});
        const auto [identity, detection] = idf1_loss_split(m);
        idf1 += m.idf1 / kSeeds, wrong += identity / kSeeds, missing += detection / kSeeds;
        switches += static_cast<double>(m.id_switches) / kSeeds;
        char one[16];
        std::snprintf(one, sizeof one, "%s%.3f", seed ? " / " : "", m.idf1);
        per_seed += one;
      }
      std::snprintf(row, sizeof row, "| %s | %.4f | %s | %.4f | %.4f | %.1f |\n", s.name, idf1, per_seed.c_str(), wrong,
                    missing, switches);
      table += row;
    }
  }
  table += "\nOur tracker (--animals 5), means over " + std::to_string(kSeeds) +
           " synthetic 2-minute videos of 5 mice (synth seeds " + std::to_string(kSeed0) + ".." +
           std::to_string(kSeed0 + kSeeds - 1) + ", damage seeds " + std::to_string(kSeed0 + 100) + ".." +
           std::to_string(kSeed0 + 99 + kSeeds) + "), 30 fps, 640x480.\n"
           "Note: taking one kind of damage away also changes the random draws of the others.\n";
  std::fputs(table.c_str(), stdout);
  if (const char* dir = std::getenv("BT_RESULTS")) std::ofstream(std::string(dir) + "/track_damage_ablation.md") << table;
}
BENCHMARK(BM_TrackerDamageAblation)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
