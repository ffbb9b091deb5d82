// behavtrack analyze: the whole job for many videos (detect, track, behaviour, report).
#include <cstdio>

#include "behavtrack/analysis/analyze.h"
#include "command_registry.h"

namespace {

struct AnalyzeFlags {
  std::vector<std::string> inputs;
  std::string out, model, behavior_model, device = "cpu";
  int animals = 0;
  int detect_every = bt::analysis::AnalyzeOptions{}.detect_every_frames;
  bool render = false, force = false, no_offline_identities = false;
  double max_gap_s = bt::track::TrackerOptions{}.max_gap_s;
  double occupancy_cell_px = bt::analysis::ReportOptions{}.occupancy_cell_px;
  double speed_bin_s = bt::analysis::ReportOptions{}.speed_bin_s;
};

void print_summary(const bt::analysis::AnalyzeSummary& s, const std::string& out) {
  int done = 0, skipped = 0;
  for (const auto& v : s.videos) {
    if (v.skipped) {
      ++skipped;
      std::printf("%s: complete from an earlier run -> %s\n", v.video.c_str(), v.out_dir.c_str());
      continue;
    }
    ++done;
    std::printf("%s: %lld frames, %d identities, %.1f s (%.1fx real time) -> %s/report.html\n",
                v.video.c_str(), static_cast<long long>(v.frames), v.identities, v.seconds,
                v.realtime_factor, v.out_dir.c_str());
    if (v.offline_ran)
      std::printf("%s: offline identity pass: %d ambiguous contacts, %d re-decided, %d exchanges undone by colour\n",
                  v.video.c_str(), v.offline_episodes, v.offline_changed, v.offline_repaired);
  }
  std::printf("analyze: %d video(s) analysed, %d skipped; results in %s\n", done, skipped, out.c_str());
}

const bt::cli::CommandRegistration kAnalyze(
    "", "", [](CLI::App& root, bt::cli::Context& ctx) {
      auto flags = std::make_shared<AnalyzeFlags>();
      CLI::App* cmd = root.add_subcommand(
          "analyze",
          "Detect, track, classify behaviour and report, for each video: tracks.json, tracks.csv, "
          "behavior.csv, bouts.csv, report.html (and tracks.mp4) in OUT/<video name>/");
      cmd->add_option("videos", flags->inputs, "Video files, folders of videos, or globs ('cages/*.mp4')")
          ->required();
      cmd->add_option("--out", flags->out, "Output folder")->required();
      cmd->add_option("--model", flags->model,
                      "Pose model folder or Ultralytics .torchscript; default: the classical detector");
      cmd->add_option("--behavior-model", flags->behavior_model,
                      "Behaviour model folder (behavtrack behavior train); default: no behaviour tables");
      cmd->add_option("--animals", flags->animals, "Number of mice in each video (identities 1..N); 0 = unknown")
          ->check(bt::cli::at_least(0));
      cmd->add_option("--device", flags->device, "cpu, cuda or cuda:N")->capture_default_str();
      cmd->add_option("--detect-every", flags->detect_every,
                      "Run the pose model's full detection at least every N frames; in between each mouse "
                      "is refined in a crop around where it moved, and the detector runs at once when a mouse "
                      "is lost, unsure or touching another. 1 = every frame")
          ->check(bt::cli::above(0))
          ->capture_default_str();
      cmd->add_flag("--render", flags->render, "Also write tracks.mp4 with the final identities drawn (a second decoding pass once tracking is done)");
      cmd->add_flag("--force", flags->force, "Redo videos whose outputs are already complete");
      cmd->add_flag("--no-offline-identities", flags->no_offline_identities,
                    "With --animals 2 or more: skip the offline identity pass (as in 'track': once the video is streamed, a "
                    "second tracker runs backwards in time over the same detections; where it continues a contact "
                    "differently, the continuation that fits motion, body length and colour wins). Without it the "
                    "ids are the streaming tracker's alone");
      cmd->add_option("--max-gap-s", flags->max_gap_s,
                      "Fill track gaps up to this long by interpolation, seconds")
          ->capture_default_str();
      cmd->add_option("--occupancy-cell-px", flags->occupancy_cell_px, "Occupancy heat map cell, pixels")
          ->capture_default_str();
      cmd->add_option("--speed-bin-s", flags->speed_bin_s, "Speed plot bin, seconds")->capture_default_str();
      cmd->callback([flags, &ctx] {
        bt::analysis::AnalyzeOptions o;
        o.videos = bt::analysis::expand_video_inputs(flags->inputs);
        o.out_dir = flags->out;
        o.pose_model = flags->model;
        o.behavior_model = flags->behavior_model;
        o.animals = flags->animals;
        o.device = flags->device;
        o.render = flags->render;
        o.detect_every_frames = flags->detect_every;
        o.force = flags->force;
        o.tracker.max_gap_s = flags->max_gap_s;
        o.tracker.offline_identities = !flags->no_offline_identities;
        o.report.occupancy_cell_px = flags->occupancy_cell_px;
        o.report.speed_bin_s = flags->speed_bin_s;
        print_summary(bt::analysis::analyze_videos(o, ctx.progress()), flags->out);
      });
    });

}  // namespace
