// behavtrack demo: the whole workflow on synthetic mice, then where the report is.
#include <cstdio>

#include "behavtrack/analysis/demo.h"
#include "command_registry.h"

namespace {

const bt::cli::CommandRegistration kDemo("", "", [](CLI::App& root, bt::cli::Context& ctx) {
  auto o = std::make_shared<bt::analysis::DemoOptions>();
  CLI::App* cmd = root.add_subcommand(
      "demo", "Synthesise mice, run a short active-learning session with the truth as the oracle, train the "
              "pose and behaviour models, analyse a held-out video and print the report's path and accuracy");
  cmd->add_option("--out", o->out_dir, "Output folder")->capture_default_str();
  cmd->add_option("--mice", o->mice, "Mice per video")->capture_default_str();
  cmd->add_option("--cycles", o->cycles, "Active-learning cycles")->capture_default_str();
  cmd->add_option("--per-cycle", o->per_cycle, "Frames labelled per cycle")->capture_default_str();
  cmd->add_option("--train-minutes", o->train_minutes, "Pose training time limit per cycle, minutes")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed")->capture_default_str()->check(bt::cli::seed_check());
  cmd->callback([o, &ctx] {
    const bt::analysis::DemoSummary s = bt::analysis::run_demo(*o, ctx.progress());
    std::printf("demo finished in %.0f s\n", s.seconds);
    std::printf("pose (test split, %d labelled frames): box AP50 %.3f, OKS AP50-95 %.3f, keypoint RMSE %.2f px\n",
                s.labelled_frames, s.pose_test.box_ap50, s.pose_test.oks_ap50_95, s.pose_test.rmse_px);
    std::printf("tracking (held-out video): IDF1 %.3f, HOTA %.3f, MOTA %.3f, %lld ID switches\n", s.tracking.idf1,
                s.tracking.hota, s.tracking.mota, static_cast<long long>(s.tracking.id_switches));
    std::printf("behaviour (held-out video): accuracy %.3f, macro-F1 %.3f\n", s.behavior_accuracy,
                s.behavior_macro_f1);
    std::printf("report: %s\nsummary: %s\n", s.report.c_str(), s.summary_json.c_str());
  });
});

}  // namespace
