// Active learning that earns its name: each cycle trains from the previous cycle's best
// model, predicts on the reserve pool, and queues the frames the model is least sure of
// (acquisition.h) for correction in the annotation app.
//
//   bt::analysis::ActiveNextOptions o;  o.n = 50;  o.strategy = Strategy::kHybrid;
//   bt::analysis::ActiveNextSummary s = bt::analysis::active_next("study/", o, progress);
//
//   bt::analysis::SimulateOptions so;  so.out_dir = "curves/";
//   bt::analysis::simulate_active_learning("dlc-project/", so, progress);  // truth = oracle
//
// active_next, step by step:
//  1. labelled = complete frames (shared/reference/behavtrack.md's rule: the expected
//     number of mice, all keypoints, all confirmed) outside the test split;
//  2. labelled split 85/15 into train/val, seeded and stratified by appearance stratum;
//  3. train models/pose-cycle<N> from the previous cycle's model (BehavTrack's
//     epochs/batch table by labelled-set size unless given);
//  4. predict every reserve frame and its mirror image; score uncertainty; pick n frames
//     with the strategy; store their predictions as unconfirmed instances;
//  5. record cycle N (train, val, predict = the picked frames, reserve = the rest, test
//     kept), the model and its test metrics when the test split is labelled.
// simulate_active_learning runs cycles with the project's labels standing in for the
// person: from the same initial labelled set (its model trained once, models/<first
// strategy>-cycle0), each strategy picks frames and "labels" them from the truth, trains,
// is evaluated on the test split, and so on. It writes
// learning_curve.csv (strategy, cycle, labelled, box_ap50, oks_ap50_95, rmse_px, pck10,
// train_s), learning_curve.png and summary.json (labels each strategy needed to reach the
// random-stratified strategy's final OKS AP, and each strategy's mean OKS AP over the
// curve). The project is not changed.
// Thread safety: one call per project at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "behavtrack/analysis/acquisition.h"
#include "behavtrack/core/progress.h"
#include "behavtrack/pose/pose_model.h"

namespace bt::analysis {

struct ActiveNextOptions {
  int n = 50;                       // frames to queue for correction
  Strategy strategy = Strategy::kHybrid;
  std::uint64_t seed = 42;
  double val_fraction = 0.15;       // share of labelled frames held out for validation
  UncertaintyWeights weights;
  // hybrid: labelled frames by which uncertainty has its full weight (acquisition.h);
  // below it the choice leans towards diversity. 0 = full weight from the start: a ramp of
  // 40 did not help on the measured curves (bench/analysis/active_simulate.sh).
  int hybrid_ramp_frames = 0;
  // What the diversity term measures distances in (acquisition.h). Layout gave no
  // measured gain over random frames on the synthetic 5-mouse curves (hybrid's mean OKS AP
  // against random-stratified's: +.009, -.003, -.028 on seeds 43, 44, 42;
  // bench/analysis/active_simulate.sh), so the default stays appearance.
  DiversityFeatures features = DiversityFeatures::kAppearance;
  pose::TrainOptions train;         // epochs/batch 0 = BehavTrack's table
  void validate() const;
};

struct ActiveNextSummary {
  int cycle = 0;
  std::string model_name;
  std::filesystem::path model_dir;
  int labelled = 0, train = 0, val = 0, reserve = 0, selected = 0;
  double mean_uncertainty_selected = 0, mean_uncertainty_reserve = 0;
  std::optional<pose::PoseMetrics> test;  // when the test split is labelled
  double train_seconds = 0;
};

ActiveNextSummary active_next(const std::filesystem::path& project_dir, const ActiveNextOptions& options,
                              const ProgressCallback& progress);

struct SimulateOptions {
  std::vector<Strategy> strategies = {Strategy::kRandomStratified, Strategy::kHybrid};
  int initial = 10;                 // frames labelled before the first cycle
  int per_cycle = 10;               // frames added per cycle
  int cycles = 5;                   // training rounds after the first
  std::uint64_t seed = 42;
  UncertaintyWeights weights;
  // hybrid: labelled frames by which uncertainty has its full weight (acquisition.h);
  // below it the choice leans towards diversity. 0 = full weight from the start: a ramp of
  // 40 did not help on the measured curves (bench/analysis/active_simulate.sh).
  int hybrid_ramp_frames = 0;
  // What the diversity term measures distances in (acquisition.h). Layout gave no
  // measured gain over random frames on the synthetic 5-mouse curves (hybrid's mean OKS AP
  // against random-stratified's: +.009, -.003, -.028 on seeds 43, 44, 42;
  // bench/analysis/active_simulate.sh), so the default stays appearance.
  DiversityFeatures features = DiversityFeatures::kAppearance;
  pose::TrainOptions train;         // per cycle; set epochs or time_limit_min to bound it
  // > 0: each cycle trains about this many batches, its epochs derived from its train-set
  // size (pose::TrainOptions::steps; overrides train.epochs). With a fixed number of epochs a cycle with more labels
  // also trains longer, so the curve mixes "which frames" with "how much training"; equal
  // steps per cycle leave only the first.
  int steps_per_cycle = 0;
  std::filesystem::path out_dir;    // learning_curve.csv, learning_curve.png, summary.json
  void validate() const;
};

struct CurvePoint {
  std::string strategy;
  int cycle = 0, labelled = 0;
  pose::PoseMetrics test;
  double train_seconds = 0;
};

struct SimulateSummary {
  std::vector<CurvePoint> curve;
  // Per strategy: labelled frames needed to reach the random-stratified strategy's final
  // OKS AP50-95 (nullopt when never reached).
  std::vector<std::pair<std::string, std::optional<int>>> labels_to_reach_random;
  // Per strategy: mean test OKS AP50-95 over its cycles (the area under its curve, all
  // strategies being scored at the same labelled counts).
  std::vector<std::pair<std::string, double>> mean_oks_ap;
  std::filesystem::path curve_csv, curve_png, summary_json;
};

SimulateSummary simulate_active_learning(const std::filesystem::path& project_dir, const SimulateOptions& options,
                                         const ProgressCallback& progress);

}  // namespace bt::analysis
