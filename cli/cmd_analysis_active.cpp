// behavtrack active next | simulate: active-learning cycles over a project.
#include <cstdio>
#include <sstream>

#include "behavtrack/analysis/active_learning.h"
#include "command_registry.h"

namespace {

// Flags shared by both commands: how each cycle's model is trained.
struct TrainFlags {
  std::string size = "n", device = "cpu";
  int imgsz = 320, epochs = 0, batch = 0;
  double time_limit_min = 0;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--size", size, "Model size n, s or m")->capture_default_str();
    cmd->add_option("--imgsz", imgsz, "Detector input side, pixels (multiple of 32)")->capture_default_str();
    cmd->add_option("--epochs", epochs, "Epochs per cycle; 0 = BehavTrack's table by labelled frames")
        ->capture_default_str();
    cmd->add_option("--batch", batch, "Batch size; 0 = BehavTrack's table")->capture_default_str();
    cmd->add_option("--time-limit", time_limit_min, "Training time limit per cycle, minutes; 0 = none")
        ->capture_default_str();
    cmd->add_option("--device", device, "cpu, cuda or cuda:N")->capture_default_str();
  }
  bt::pose::TrainOptions options() const {
    bt::pose::TrainOptions o;
    o.size = size;
    o.input_px = imgsz;
    o.epochs = epochs;
    o.batch = batch;
    o.time_limit_min = time_limit_min;
    o.device = device;
    return o;
  }
};

std::vector<bt::analysis::Strategy> parse_strategies(const std::string& csv) {
  std::vector<bt::analysis::Strategy> out;
  std::stringstream ss(csv);
  std::string name;
  while (std::getline(ss, name, ',')) out.push_back(bt::analysis::strategy_from_string(name));
  return out;
}

void add_next(CLI::App& active, bt::cli::Context& ctx) {
  struct Flags {
    std::string dir, strategy = "hybrid";
    int n = 50;
    std::uint64_t seed = 42;
    TrainFlags train;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = active.add_subcommand(
      "next", "Train from the last cycle's model, score the reserve pool and queue the N frames the model is "
              "least sure of for correction in the annotation app");
  cmd->add_option("dir", f->dir, "Project folder")->required();
  cmd->add_option("--n", f->n, "Frames to queue")->capture_default_str();
  cmd->add_option("--strategy", f->strategy, "uncertainty, diversity, hybrid or random-stratified")
      ->capture_default_str();
  cmd->add_option("--seed", f->seed, "Seed for splits and random choices")->capture_default_str();
  f->train.add_to(cmd);
  cmd->callback([f, &ctx] {
    bt::analysis::ActiveNextOptions o;
    o.n = f->n;
    o.strategy = bt::analysis::strategy_from_string(f->strategy);
    o.seed = f->seed;
    o.train = f->train.options();
    const auto s = bt::analysis::active_next(f->dir, o, ctx.progress());
    std::printf("cycle %d: trained %s on %d frames (%d train, %d val) in %.0f s -> %s\n", s.cycle,
                s.model_name.c_str(), s.labelled, s.train, s.val, s.train_seconds, s.model_dir.c_str());
    std::printf("queued %d frames for correction (mean uncertainty %.3f vs %.3f over the reserve); %d left in reserve\n",
                s.selected, s.mean_uncertainty_selected, s.mean_uncertainty_reserve, s.reserve);
    if (s.test)
      std::printf("test: box AP50 %.3f, OKS AP50-95 %.3f, keypoint RMSE %.2f px, PCK@10px %.1f%%\n",
                  s.test->box_ap50, s.test->oks_ap50_95, s.test->rmse_px, 100 * s.test->pck10);
    std::printf("next: correct the queued frames with 'behavtrack annotate %s' (filter: split predict)\n", f->dir.c_str());
  });
}

void add_simulate(CLI::App& active, bt::cli::Context& ctx) {
  struct Flags {
    std::string dir, out, strategies = "random-stratified,hybrid";
    int initial = 10, per_cycle = 10, cycles = 5;
    std::uint64_t seed = 42;
    TrainFlags train;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = active.add_subcommand(
      "simulate", "Run active-learning cycles with the project's labels as the oracle and write the learning "
                  "curve (labelled frames -> test OKS AP) for each strategy");
  cmd->add_option("dir", f->dir, "Project folder whose frames are labelled (e.g. an imported data set)")->required();
  cmd->add_option("--out", f->out, "Folder for learning_curve.csv, learning_curve.png, summary.json")->required();
  cmd->add_option("--strategies", f->strategies, "Comma-separated strategies")->capture_default_str();
  cmd->add_option("--initial", f->initial, "Frames labelled before the first cycle")->capture_default_str();
  cmd->add_option("--per-cycle", f->per_cycle, "Frames added per cycle")->capture_default_str();
  cmd->add_option("--cycles", f->cycles, "Cycles after the first training")->capture_default_str();
  cmd->add_option("--seed", f->seed, "Seed")->capture_default_str();
  f->train.add_to(cmd);
  cmd->callback([f, &ctx] {
    bt::analysis::SimulateOptions o;
    o.strategies = parse_strategies(f->strategies);
    o.initial = f->initial;
    o.per_cycle = f->per_cycle;
    o.cycles = f->cycles;
    o.seed = f->seed;
    o.train = f->train.options();
    o.out_dir = f->out;
    const auto s = bt::analysis::simulate_active_learning(f->dir, o, ctx.progress());
    std::printf("%-18s %6s %9s %9s %8s\n", "strategy", "cycle", "labelled", "OKS AP", "RMSE px");
    for (const auto& c : s.curve)
      std::printf("%-18s %6d %9d %9.3f %8.2f\n", c.strategy.c_str(), c.cycle, c.labelled, c.test.oks_ap50_95,
                  c.test.rmse_px);
    for (const auto& [name, n] : s.labels_to_reach_random)
      std::printf("%s reached random-stratified's final OKS AP with %s labelled frames\n", name.c_str(),
                  n ? std::to_string(*n).c_str() : "more than all the");
    std::printf("curve: %s, %s; summary: %s\n", s.curve_csv.c_str(), s.curve_png.c_str(), s.summary_json.c_str());
  });
}

const bt::cli::CommandRegistration kActive(
    "active", "Active-learning cycles: pick the frames worth labelling", [](CLI::App& active, bt::cli::Context& ctx) {
      add_next(active, ctx);
      add_simulate(active, ctx);
    });

}  // namespace
