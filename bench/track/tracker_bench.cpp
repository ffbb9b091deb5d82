// Tracking benchmarks: association speed for 2, 5 and 20 mice on one core, and the
// comparison of our tracker with a BehavTrack-style cost-only tracker and a plain
// IoU + Hungarian tracker on the same damaged synthetic detections (IDF1, HOTA, ID
// switches). The comparison table goes to $BT_RESULTS/track_comparison.md when set.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "behavtrack/synth/synth.h"
#include "behavtrack/track/detection_damage.h"
#include "behavtrack/track/metrics.h"
#include "behavtrack/track/tracker.h"

namespace {

namespace tr = bt::track;

std::vector<bt::FrameInstances> truth_of(int mice, double seconds, std::uint64_t seed) {
  bt::synth::SynthOptions o;
  o.n_mice = mice;
  o.seconds = seconds;
  o.seed = seed;
  o.render = false;
  bt::synth::SynthVideo sim(o);
  bt::synth::SynthFrame f;
  std::vector<bt::FrameInstances> out;
  while (sim.next(f)) out.push_back(f.truth);
  return out;
}

std::vector<bt::FrameInstances> damage(const std::vector<bt::FrameInstances>& truth, const tr::DamageOptions& d) {
  tr::DetectionDamager damager(d, 640, 480, 30);
  std::vector<bt::FrameInstances> out;
  for (const auto& f : truth) out.push_back(damager.next(f));
  return out;
}

std::vector<bt::FrameInstances> track(const tr::TrackerOptions& o, const std::vector<bt::FrameInstances>& dets) {
  tr::Tracker t(o, bt::Skeleton::default_mouse(), 30, 640, 480);
  std::vector<bt::FrameInstances> out;
  for (const auto& f : dets)
    for (auto& done : t.push(f)) out.push_back(std::move(done));
  for (auto& done : t.flush()) out.push_back(std::move(done));
  return out;
}

// Frames per second of the whole streaming tracker (association, Kalman, interpolation,
// smoothing, output), detections made from 20 s of synthetic truth with 5% dropped, 2 px.
void BM_TrackerAssociation(benchmark::State& state) {
  const int mice = static_cast<int>(state.range(0));
  const auto dets = damage(truth_of(mice, 20, 7), tr::DamageOptions{});
  tr::TrackerOptions o;
  o.animals = mice;
  for (auto _ : state) benchmark::DoNotOptimize(track(o, dets));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(dets.size()));
  state.SetLabel("items = frames, one core");
}
BENCHMARK(BM_TrackerAssociation)->Arg(2)->Arg(5)->Arg(20)->Unit(benchmark::kMillisecond);

struct Scenario {
  const char* name;
  tr::DamageOptions damage;
};

void BM_TrackerComparison(benchmark::State& state) {
  tr::DamageOptions light;
  light.drop_rate = 0.05;
  tr::DamageOptions heavy;
  heavy.drop_rate = 0.15;
  heavy.false_positive_rate = 0.05;
  heavy.occlusions_per_min = 6;
  heavy.occlusion_s = 10.0 / 30;
  heavy.flip_rate = 0.02;
  const std::vector<Scenario> scenarios = {{"5% dropped, 2 px", light},
                                           {"15% dropped, 5% FP, 10-frame occlusions, 2% flips", heavy}};
  const std::vector<std::pair<const char*, tr::TrackerOptions>> trackers = {
      {"behavtrack (ours)", [] { tr::TrackerOptions o; o.animals = 5; return o; }()},
      {"ours, --switch-margin 0 (no crowd abstention)", [] { tr::TrackerOptions o; o.animals = 5; o.switch_margin = 0; return o; }()},
      {"ours, --oks-kappa 0.15", [] { tr::TrackerOptions o; o.animals = 5; o.weights.oks_kappa = 0.15; return o; }()},
      {"ours, --oks-kappa 0.15 --switch-margin 0 (before)", [] {
         tr::TrackerOptions o;
         o.animals = 5;
         o.weights.oks_kappa = 0.15;
         o.switch_margin = 0;
         return o;
       }()},
      {"ours with --cost behavtrack", [] { tr::TrackerOptions o; o.animals = 5; o.cost = tr::CostKind::kBehavTrack; return o; }()},
      {"BehavTrack-style cost, last position", tr::TrackerOptions::behavtrack_style(5)},
      {"plain IoU + Hungarian", tr::TrackerOptions::iou_only()}};
  const int n_seeds = 3;
  std::string table =
      "| detections | tracker | IDF1 | HOTA | MOTA | ID switches | ids |\n|---|---|---|---|---|---|---|\n";
  for (auto _ : state) {
    for (const Scenario& s : scenarios) {
      std::vector<std::vector<bt::FrameInstances>> truths, detections;
      for (int seed = 0; seed < n_seeds; ++seed) {
        truths.push_back(truth_of(5, 120, 100 + seed));
        tr::DamageOptions d = s.damage;
        d.seed = 200 + seed;
        detections.push_back(damage(truths.back(), d));
      }
      for (const auto& [name, options] : trackers) {
        double idf1 = 0, hota = 0, mota = 0, switches = 0, ids = 0;
        for (int seed = 0; seed < n_seeds; ++seed) {
          const tr::MotMetrics m = tr::evaluate_tracking(truths[seed], track(options, detections[seed]), {});
          idf1 += m.idf1 / n_seeds, hota += m.hota / n_seeds, mota += m.mota / n_seeds;
          switches += static_cast<double>(m.id_switches) / n_seeds, ids += static_cast<double>(m.pred_ids) / n_seeds;
        }
        char row[256];
        std::snprintf(row, sizeof row, "| %s | %s | %.4f | %.4f | %.4f | %.1f | %.1f |\n", s.name, name, idf1, hota,
                      mota, switches, ids);
        table += row;
      }
    }
  }
  table += "\nMeans over " + std::to_string(n_seeds) +
           " synthetic 2-minute videos of 5 mice (synth seeds 100..102, truth only), 30 fps, 640x480.\n";
  std::fputs(table.c_str(), stdout);
  if (const char* dir = std::getenv("BT_RESULTS")) std::ofstream(std::string(dir) + "/track_comparison.md") << table;
}
BENCHMARK(BM_TrackerComparison)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
