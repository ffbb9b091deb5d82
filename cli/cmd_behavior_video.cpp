// `behavtrack behavior fusion-sweep` and `behavior train-video`: the two-stream (RGB +
// optical flow) 3D-CNN classifier of seeds/003, over videos + tracks + labels.
#if BT_BEHAVIOR_VIDEO
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include "behavtrack/behavior/labels.h"
#include "behavtrack/behavior/video_classifier.h"
#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "command_registry.h"
#include "project_labels.h"

namespace {

namespace fs = std::filesystem;
namespace bb = bt::behavior;

struct VideoFlags {
  std::vector<std::string> tracks, labels, videos;
  std::string project, project_summary, behaviors, unlabelled_as, arch = "r2plus1d", flow = "dis", class_balance = "weights";
  bb::VideoClassifierOptions options;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--video", videos, "Video file; repeat, one per --tracks, in the same order")->required()->check(CLI::ExistingFile);
    cmd->add_option("--tracks", tracks, "Tracks of the video (Instances JSON with ids)")->required()->check(CLI::ExistingFile);
    auto* labels_flag = cmd->add_option("--labels", labels, "Per-frame labels CSV (frame,id,behavior) per --tracks; omitted: the tracks' behavior fields")
        ->check(CLI::ExistingFile);
    cmd->add_option("--project", project,
                    "Project folder: the labels are its confirmed behaviour bouts of each --video (registered there); "
                    "unconfirmed proposals are left out. Default behaviour list: the project's")
        ->check(CLI::ExistingDirectory)->excludes(labels_flag);
    cmd->add_option("--behaviors", behaviors, "Comma-separated behaviour list (default: the 8-class ethogram)");
    cmd->add_option("--unlabelled-as", unlabelled_as, "Treat unlabelled tracked mouse-frames as this behaviour");
    cmd->add_option("--arch", arch, "3D CNN: r2plus1d or i3d")->capture_default_str();
    cmd->add_option("--flow", flow, "Optical flow: dis (fast) or tvl1 (the paper's, ~300x slower)")->capture_default_str();
    cmd->add_option("--channels", options.base_channels, "Channels after the stem (later stages double)")->capture_default_str();
    cmd->add_option("--epochs", options.epochs, "Training epochs per stream")->capture_default_str();
    cmd->add_option("--batch", options.batch_size, "Clips per training step")->capture_default_str();
    cmd->add_option("--learning-rate", options.learning_rate, "Initial learning rate (cosine decay to 5e-5)")->capture_default_str();
    cmd->add_option("--weight-decay", options.weight_decay, "AdamW decoupled weight decay")->capture_default_str();
    cmd->add_option("--warmup-epochs", options.warmup_epochs, "Linear learning-rate warm-up, epochs")->capture_default_str();
    cmd->add_option("--label-smoothing", options.label_smoothing, "Cross-entropy label smoothing, 0..1")->capture_default_str();
    cmd->add_option("--class-balance", class_balance,
                    "Rare vs frequent behaviours: weights (loss weighted per class), sampling (square-root "
                    "class-balanced clip sampling) or none")
        ->capture_default_str();
    cmd->add_option("--temporal-stride", options.temporal_stride,
                    "Stride in time of the nets' stem: 1 (the papers'), 2 or 4 (cheaper)")
        ->capture_default_str();
    cmd->add_flag("--fusion-from-training", options.fusion_from_training,
                  "Choose rgb/flow weights by the fusion sweep on the training clips (overrides --rgb-weight/--flow-weight)");
    cmd->add_option("--rgb-weight", options.rgb_weight, "Late-fusion weight of the RGB stream")->capture_default_str();
    cmd->add_option("--flow-weight", options.flow_weight, "Late-fusion weight of the flow stream")->capture_default_str();
    cmd->add_option("--input-px", options.clips.input_px, "Network input size, pixels (random crop in training)")->capture_default_str();
    cmd->add_option("--stored-px", options.clips.stored_px, "ROI crops are resized to this size first, pixels")->capture_default_str();
    cmd->add_option("--box-margin", options.clips.box_margin, "ROI enlargement, fraction of the box side per side")->capture_default_str();
    cmd->add_option("--stride-frames", options.clips.stride_frames, "One clip per mouse every n frames")->capture_default_str();
    cmd->add_option("--max-clips", options.clips.max_clips, "At most this many clips per video, evenly spread (0: all)")->capture_default_str();
    cmd->add_flag("--draw-keypoints", options.clips.draw_keypoints, "Draw the keypoints on the crops, one colour per part");
    cmd->add_flag("--fixed-roi", options.clips.fixed_roi,
                  "ROI side from the video's median box (keeps each mouse's size) instead of its own box");
    cmd->add_option("--clip-cache", options.clips.cache_dir,
                    "Folder caching each video's clips and flow (reused while the video, tracks, labels and clip "
                    "options are unchanged)");
    cmd->add_option("--device", options.device, "cpu, cuda or cuda:N")->capture_default_str();
    cmd->add_option("--seed", options.seed, "Random seed")->capture_default_str()
        ->check(bt::cli::seed_check());
    cmd->add_option("--pretrained-rgb", options.pretrained_rgb, "Weights file for the RGB net (torch::save of this net)");
    cmd->add_option("--pretrained-flow", options.pretrained_flow, "Weights file for the flow net");
  }

  std::vector<bb::LabelledVideoFile> load() {
    std::unique_ptr<bt::cli::ProjectLabels> from;
    if (!project.empty()) {
      from = std::make_unique<bt::cli::ProjectLabels>(project);
      if (behaviors.empty()) options.behaviors = from->behaviors();
    }
    if (!behaviors.empty()) {
      options.behaviors.clear();
      std::stringstream ss(behaviors);
      for (std::string b; std::getline(ss, b, ',');) options.behaviors.push_back(b);
    }
    options.arch = bb::video_arch_from_string(arch);
    options.clips.flow = bb::flow_method_from_string(flow);
    options.class_balance = bb::class_balance_from_string(class_balance);
    options.validate();
    if (videos.size() != tracks.size())
      bt::throw_invalid(fmt::format("--video: {} files for {} --tracks; give one video per tracks file, in order", videos.size(), tracks.size()));
    if (!labels.empty() && labels.size() != tracks.size())
      bt::throw_invalid(fmt::format("--labels: {} files for {} --tracks; give one labels file per tracks file, in order",
                                    labels.size(), tracks.size()));
    std::vector<bb::LabelledVideoFile> out;
    for (std::size_t i = 0; i < tracks.size(); ++i) {
      auto loaded = from ? from->load(tracks[i], videos[i], options.behaviors, unlabelled_as)
                         : bb::load_labelled_video(tracks[i], labels.empty() ? fs::path() : fs::path(labels[i]),
                                                   options.behaviors, unlabelled_as);
      out.push_back({videos[i], {tracks[i], std::move(loaded.tracks), std::move(loaded.labels)}});
    }
    if (from) project_summary = from->summary_line();
    return out;
  }
};

// The recipe that fits 2 CPU cores (see the header of behavtrack/behavior/video_classifier.h).
constexpr const char* kRecipe =
    "Defaults follow the papers (128 px crops, 112 px input). On 2 CPU cores use the small recipe: "
    "--stored-px 64 --input-px 56 --temporal-stride 2 --draw-keypoints --fixed-roi --class-balance sampling "
    "--learning-rate 2e-3 --epochs 8 --fusion-from-training --clip-cache DIR.";

std::string sweep_table(const std::vector<std::pair<double, double>>& sweep) {
  std::string s = "rgb_weight flow_weight accuracy\n";
  for (const auto& [w, acc] : sweep) s += fmt::format("{:>10.1f} {:>11.1f} {:>8.4f}\n", w, 1.0 - w, acc);
  return s;
}

void setup_sweep(CLI::App& group, bt::cli::Context& ctx) {
  auto flags = std::make_shared<VideoFlags>();
  auto out = std::make_shared<std::string>();
  auto folds = std::make_shared<int>(0);
  auto* cmd = group.add_subcommand(
      "fusion-sweep", "Two-stream 3D CNN, leave-one-video-out: accuracy for rgb_weight 0.0..1.0 (seeds/003, fig. 10)");
  flags->add_to(cmd);
  cmd->footer(kRecipe);
  cmd->add_option("--folds", *folds,
                  "Hold out only the first n videos, one fold each, each trained on all the others (0: every video)")
      ->capture_default_str();
  cmd->add_option("--out", *out, "Folder for sweep.csv, report.txt and confusion.png (optional)");
  cmd->callback([&ctx, flags, out, folds] {
    const auto videos = flags->load();
    const auto cv = bb::cross_validate_video(videos, flags->options, ctx.progress(), *folds);
    const auto sweep = bb::fusion_sweep(cv.scores, cv.labels);
    const auto& o = flags->options;
    const bb::Evaluation e = bb::evaluate_fused(cv.fused, cv.scores.n_classes, cv.labels, o.behaviors);
    const double visits = 2.0 * static_cast<double>(cv.train_clips) * o.epochs;  // clip passes, both streams
    std::string text = fmt::format("two-stream {} ({} flow), leave-one-video-out over {} videos ({} held out), {} held-out "
                                   "clips, {} epochs\ntraining {:.0f} s in all (folds:",
                                   bb::to_string(o.arch), bb::to_string(o.clips.flow), videos.size(),
                                   cv.fold_train_seconds.size(), cv.labels.size(), o.epochs, cv.train_seconds);
    for (double s : cv.fold_train_seconds) text += fmt::format(" {:.0f}", s);
    text += fmt::format(" s), {:.1f} clips/s through one stream in training; scoring {:.1f} clips/s (both streams)\n\n",
                        cv.train_seconds > 0 ? visits / cv.train_seconds : 0.0,
                        cv.score_seconds > 0 ? static_cast<double>(cv.labels.size()) / cv.score_seconds : 0.0);
    text += sweep_table(sweep);
    if (o.fusion_from_training) {
      text += "\nat the fusion weights each fold chose on its training clips (rgb_weight per fold:";
      for (double w : cv.fold_rgb_weight) text += fmt::format(" {:.1f}", w);
      text += "):\n";
    } else {
      text += fmt::format("\nat rgb_weight {:.2f} / flow_weight {:.2f}:\n", o.rgb_weight, o.flow_weight);
    }
    text += bb::format_evaluation(e) + "\nmost confused:\n" + bb::format_top_confusions(e, 5);
    if (!out->empty()) {
      fs::create_directories(*out);
      std::string csv = "rgb_weight,flow_weight,accuracy\n";
      for (const auto& [w, acc] : sweep) csv += fmt::format("{:.1f},{:.1f},{:.6f}\n", w, 1.0 - w, acc);
      bt::write_file_atomically(fs::path(*out) / "sweep.csv", csv);
      bt::write_file_atomically(fs::path(*out) / "report.txt", text);
      bb::write_confusion_png(fs::path(*out) / "confusion.png", e, "two-stream " + bb::to_string(o.arch) + ", leave-one-video-out");
    }
    std::cout << text << flags->project_summary;
  });
}

void setup_train_video(CLI::App& group, bt::cli::Context& ctx) {
  auto flags = std::make_shared<VideoFlags>();
  auto out = std::make_shared<std::string>();
  auto* cmd = group.add_subcommand("train-video", "Train the two-stream (RGB + flow) 3D CNN classifier");
  flags->add_to(cmd);
  cmd->footer(kRecipe);
  cmd->add_option("--out", *out, "Model folder to write (model.json + rgb.pt + flow.pt)")->required();
  cmd->callback([&ctx, flags, out] {
    const auto videos = flags->load();
    bb::ClipSet clips;
    for (std::size_t v = 0; v < videos.size(); ++v)
      clips.append(bb::extract_clips(videos[v].video, videos[v].labelled.tracks, &videos[v].labelled.labels,
                                     flags->options.clips, ctx.progress()),
                   static_cast<int>(v));
    const auto clf = bb::VideoClassifier::train(clips, flags->options, ctx.progress());
    clf.save(*out);
    std::cout << fmt::format("trained two-stream {} on {} clips from {} video(s); model in {}\n",
                             bb::to_string(flags->options.arch), clips.size(), videos.size(), *out)
              << flags->project_summary;
  });
}

const bt::cli::CommandRegistration kRegistration("behavior", "Per-mouse per-frame behaviour: train, predict, cross-validate",
                                                 [](CLI::App& group, bt::cli::Context& ctx) {
                                                   setup_train_video(group, ctx);
                                                   setup_sweep(group, ctx);
                                                 });

}  // namespace
#endif
