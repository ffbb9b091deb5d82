// behavtrack active next | simulate: active-learning cycles over a project (pose frames);
// active behavior-next | behavior-simulate: the same for behaviour labels (video windows).
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "behavtrack/analysis/active_learning.h"
#include "behavtrack/analysis/behavior_active.h"
#include "behavtrack/behavior/labels.h"
#include "behavtrack/core/error.h"
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

void add_hybrid_ramp_flag(CLI::App* cmd, int& hybrid_ramp) {
  cmd->add_option("--hybrid-ramp", hybrid_ramp,
                  "hybrid: labelled frames by which uncertainty has its full weight; with fewer, the choice leans "
                  "towards diverse frames (a cold-start model is unsure of every hard frame). 0 = full weight always")
      ->check(bt::cli::at_least(0))
      ->capture_default_str();
}

void add_features_flag(CLI::App* cmd, std::string& features) {
  cmd->add_option("--features", features,
                  "What diversity measures distances in: layout (where the mice are, how crowded, stretched and "
                  "turned, from labels and predictions) or appearance (the sampler's grey-level histogram of the frame)")
      ->capture_default_str();
}

void add_next(CLI::App& active, bt::cli::Context& ctx) {
  struct Flags {
    std::string dir, strategy = "hybrid", features = to_string(bt::analysis::ActiveNextOptions{}.features);
    int n = 50, hybrid_ramp = bt::analysis::ActiveNextOptions{}.hybrid_ramp_frames;
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
  cmd->add_option("--seed", f->seed, "Seed for splits and random choices")->capture_default_str()
      ->check(bt::cli::seed_check());
  add_hybrid_ramp_flag(cmd, f->hybrid_ramp);
  add_features_flag(cmd, f->features);
  f->train.add_to(cmd);
  cmd->callback([f, &ctx] {
    bt::analysis::ActiveNextOptions o;
    o.features = bt::analysis::diversity_features_from_string(f->features);
    o.n = f->n;
    o.strategy = bt::analysis::strategy_from_string(f->strategy);
    o.seed = f->seed;
    o.hybrid_ramp_frames = f->hybrid_ramp;
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
    std::string features = to_string(bt::analysis::SimulateOptions{}.features);
    int initial = 10, per_cycle = 10, cycles = 5, steps = 0;
    int hybrid_ramp = bt::analysis::SimulateOptions{}.hybrid_ramp_frames;
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
  cmd->add_option("--seed", f->seed, "Seed")->capture_default_str()->check(bt::cli::seed_check());
  cmd->add_option("--steps", f->steps,
                  "Batches each cycle trains (epochs follow from its labelled count; overrides --epochs), so "
                  "every cycle trains as long and the curve measures which frames were picked; 0 = use --epochs")
      ->capture_default_str();
  add_hybrid_ramp_flag(cmd, f->hybrid_ramp);
  add_features_flag(cmd, f->features);
  f->train.add_to(cmd);
  cmd->callback([f, &ctx] {
    bt::analysis::SimulateOptions o;
    o.features = bt::analysis::diversity_features_from_string(f->features);
    o.hybrid_ramp_frames = f->hybrid_ramp;
    o.steps_per_cycle = f->steps;
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
    for (const auto& [name, ap] : s.mean_oks_ap)
      std::printf("%s: mean test OKS AP over the curve %.3f\n", name.c_str(), ap);
    std::printf("curve: %s, %s; summary: %s\n", s.curve_csv.c_str(), s.curve_png.c_str(), s.summary_json.c_str());
  });
}

// Flags shared by the behaviour commands: how windows are cut.
struct WindowFlags {
  bt::analysis::WindowOptions options;
  void add_to(CLI::App* cmd) {
    cmd->add_option("--window-s", options.window_s, "Window length, seconds (one mouse; labelled as a whole)")
        ->capture_default_str();
    cmd->add_option("--min-coverage", options.min_coverage,
                    "Share of a window's frames the mouse must be tracked in to be a candidate, (0, 1]")
        ->capture_default_str();
  }
};

void add_behavior_next(CLI::App& active, bt::cli::Context& ctx) {
  struct Flags {
    std::string dir, model, strategy = "hybrid", out;
    std::vector<std::string> tracks, videos;
    int n = 20;
    std::uint64_t seed = 42;
    bool no_bouts = false;
    WindowFlags windows;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = active.add_subcommand(
      "behavior-next", "Score every mouse's video windows with a behaviour model and queue the N windows it is least "
                       "sure of for labelling: their predicted bouts go into the project as unconfirmed proposals "
                       "(shown for review in the annotation app, skipped by training exports until confirmed) and a "
                       "windows CSV is written");
  cmd->add_option("dir", f->dir, "Project folder holding the videos")->required();
  cmd->add_option("--model", f->model, "Pose-feature behaviour model folder (behavior train)")->required();
  cmd->add_option("--tracks", f->tracks, "Tracks of one registered video (Instances JSON with ids); repeat for several")
      ->required()->check(CLI::ExistingFile);
  cmd->add_option("--video", f->videos,
                  "The video file of each --tracks, in the same order (default: the video the tracks name, matched "
                  "by file name among the project's videos)");
  cmd->add_option("--n", f->n, "Windows to propose")->capture_default_str();
  cmd->add_option("--strategy", f->strategy, "uncertainty, diversity, hybrid or random-stratified")
      ->capture_default_str();
  cmd->add_option("--seed", f->seed, "Seed for random-stratified draws")->capture_default_str()
      ->check(bt::cli::seed_check());
  cmd->add_option("--out", f->out, "Windows CSV to write (default: DIR/runs/<run id>/behavior_windows.csv)");
  cmd->add_flag("--no-bouts", f->no_bouts, "Write the CSV and the run only; add no proposed bouts to the project");
  f->windows.add_to(cmd);
  cmd->callback([f, &ctx] {
    if (!f->videos.empty() && f->videos.size() != f->tracks.size())
      bt::throw_invalid("--video: " + std::to_string(f->videos.size()) + " files for " +
                        std::to_string(f->tracks.size()) + " --tracks; give one video per tracks file, in order");
    bt::analysis::BehaviorNextOptions o;
    o.n = f->n;
    o.strategy = bt::analysis::strategy_from_string(f->strategy);
    o.seed = f->seed;
    o.windows = f->windows.options;
    o.write_bouts = !f->no_bouts;
    o.out_csv = f->out;
    std::vector<bt::analysis::TracksInput> inputs;
    for (std::size_t i = 0; i < f->tracks.size(); ++i)
      inputs.push_back({f->tracks[i], f->videos.empty() ? std::filesystem::path() : std::filesystem::path(f->videos[i])});
    const auto s = bt::analysis::behavior_next(f->dir, f->model, inputs, o, ctx.progress());
    std::printf("proposed %zu windows of %.2f s (mean uncertainty %.3f vs %.3f over %zu candidates; skipped %zu "
                "windows already labelled and %zu queued with unconfirmed proposals)\n",
                s.windows.size(), o.windows.window_s, s.mean_uncertainty_selected, s.mean_uncertainty_candidates,
                s.candidates, s.labelled, s.queued);
    std::printf("%-8s %4s %8s %8s %11s  %s\n", "video_id", "id", "start", "end", "uncertainty", "predicted");
    for (const auto& w : s.windows)
      std::printf("%-8lld %4d %8lld %8lld %11.3f  %s\n", static_cast<long long>(w.video_id), w.id.value,
                  static_cast<long long>(w.start_frame), static_cast<long long>(w.end_frame), w.uncertainty.total,
                  w.predicted.c_str());
    if (o.write_bouts)
      std::printf("wrote %zu proposed bouts into the project (run %lld); review them with 'behavtrack annotate %s'\n",
                  s.bouts_written, static_cast<long long>(s.run_id), f->dir.c_str());
    else
      std::printf("no bouts written (--no-bouts); run %lld\n", static_cast<long long>(s.run_id));
    std::printf("%lld proposed bouts wait for confirmation in the project; training and exports skip them until "
                "then\n",
                static_cast<long long>(s.proposals_waiting));
    std::printf("windows: %s\n", s.csv.c_str());
  });
}

// A tracks file with behaviour fields, or a synth folder holding truth.json.
bt::behavior::LabelledVideo load_truth(const std::string& path, const std::vector<std::string>& behaviors) {
  std::filesystem::path file = path;
  if (std::filesystem::is_directory(file)) file /= "truth.json";
  if (!std::filesystem::exists(file))
    throw bt::Error(bt::ErrorKind::kNotFound,
                    bt::quoted(path) + ": no such file, nor a folder with truth.json (behavtrack synth --truth-only)");
  auto loaded = bt::behavior::load_labelled_video(file, {}, behaviors, "");
  if (loaded.labels.size() == 0)
    bt::throw_invalid(bt::quoted(file.string()) + ": no instance has a behaviour; the simulation needs truth labels");
  return {path, std::move(loaded.tracks), std::move(loaded.labels)};
}

void add_behavior_simulate(CLI::App& active, bt::cli::Context& ctx) {
  struct Flags {
    std::vector<std::string> train, test;
    std::string out, strategies = "random-stratified,uncertainty,hybrid";
    int initial = 20, per_cycle = 20, cycles = 8;
    std::uint64_t seed = 42;
    WindowFlags windows;
    bt::behavior::GbtOptions gbt;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = active.add_subcommand(
      "behavior-simulate", "Run behaviour active-learning cycles with truth labels as the oracle (synth truth) and "
                           "write the learning curve (labelled windows -> test macro-F1) for each strategy");
  cmd->add_option("--train", f->train,
                  "Pool video: tracks with behaviour fields, or a synth folder with truth.json; repeat")->required();
  cmd->add_option("--test", f->test, "Held-out test video, same kinds; repeat")->required();
  cmd->add_option("--out", f->out, "Folder for learning_curve.csv, learning_curve.png, summary.json")->required();
  cmd->add_option("--strategies", f->strategies, "Comma-separated strategies")->capture_default_str();
  cmd->add_option("--initial", f->initial, "Windows labelled before the first cycle (the same for every strategy)")
      ->capture_default_str();
  cmd->add_option("--per-cycle", f->per_cycle, "Windows labelled per cycle")->capture_default_str();
  cmd->add_option("--cycles", f->cycles, "Cycles after the first training")->capture_default_str();
  cmd->add_option("--seed", f->seed, "Seed of the initial set and random draws")->capture_default_str()
      ->check(bt::cli::seed_check());
  cmd->add_option("--rounds", f->gbt.n_rounds, "Boosting rounds of the classifier")->capture_default_str();
  cmd->add_option("--depth", f->gbt.max_depth, "Tree depth of the classifier")->capture_default_str();
  f->windows.add_to(cmd);
  cmd->callback([f, &ctx] {
    bt::analysis::BehaviorSimulateOptions o;
    o.strategies = parse_strategies(f->strategies);
    o.windows = f->windows.options;
    o.initial = f->initial;
    o.per_cycle = f->per_cycle;
    o.cycles = f->cycles;
    o.seed = f->seed;
    o.classifier.gbt = f->gbt;
    o.out_dir = f->out;
    o.validate();
    std::vector<bt::behavior::LabelledVideo> pool, test;
    for (const auto& t : f->train) pool.push_back(load_truth(t, o.classifier.behaviors));
    for (const auto& t : f->test) test.push_back(load_truth(t, o.classifier.behaviors));
    const auto s = bt::analysis::simulate_behavior_active_learning(pool, test, o, ctx.progress());
    std::printf("%-18s %6s %8s %13s %9s\n", "strategy", "cycle", "windows", "mouse-frames", "macro-F1");
    for (const auto& c : s.curve)
      std::printf("%-18s %6d %8d %13lld %9.3f\n", c.strategy.c_str(), c.cycle, c.windows,
                  static_cast<long long>(c.mouse_frames), c.test.macro_f1);
    const int reference_windows = o.initial + o.per_cycle * o.cycles;  // every strategy's final count
    for (const auto& r : s.labels_to_reach_random) {
      if (r.windows)
        std::printf("%s reached random-stratified's final macro-F1 %.3f with %d windows (%lld mouse-frames), %.0f%% of %d\n",
                    r.strategy.c_str(), s.target_macro_f1, *r.windows, static_cast<long long>(*r.mouse_frames),
                    100.0 * *r.windows / reference_windows, reference_windows);
      else
        std::printf("%s did not reach random-stratified's final macro-F1 %.3f within %d windows\n", r.strategy.c_str(),
                    s.target_macro_f1, reference_windows);
    }
    std::printf("curve: %s, %s; summary: %s\n", s.curve_csv.c_str(), s.curve_png.c_str(), s.summary_json.c_str());
  });
}

const bt::cli::CommandRegistration kActive(
    "active", "Active-learning cycles: pick the frames worth labelling", [](CLI::App& active, bt::cli::Context& ctx) {
      add_next(active, ctx);
      add_simulate(active, ctx);
      add_behavior_next(active, ctx);
      add_behavior_simulate(active, ctx);
    });

}  // namespace
