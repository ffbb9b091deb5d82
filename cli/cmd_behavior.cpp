// `behavtrack behavior train|predict|cv`: per-mouse per-frame behaviour from tracks
// (Instances JSON with ids) and per-frame labels (CSV `frame,id,behavior`, a project's
// confirmed bouts, or the tracks' own `behavior` fields as in synth's truth.json).
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "behavtrack/behavior/labels.h"
#include "behavtrack/behavior/pose_classifier.h"
#if BT_BEHAVIOR_VIDEO
#include "behavtrack/behavior/video_predict.h"
#endif
#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "command_registry.h"
#include "project_labels.h"

namespace {

namespace fs = std::filesystem;
namespace bb = bt::behavior;

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

std::vector<double> parse_seconds_list(const std::string& s, const std::string& flag) {
  std::vector<double> out;
  for (const auto& item : split_commas(s)) {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size()) bt::throw_invalid(flag + ": " + bt::quoted(item) + " is not a number of seconds");
    out.push_back(v);
  }
  return out;
}

// Flags shared by train and cv: inputs and classifier options.
struct InputFlags {
  std::vector<std::string> tracks, labels, videos;
  std::string project, behaviors, unlabelled_as, windows_s = "0.2,0.6,2.0", smoothing = "viterbi";
  bb::PoseClassifierOptions options;
  std::string project_summary;  // with --project: what was trained on

  void add_to(CLI::App* cmd) {
    cmd->add_option("--tracks", tracks, "Tracks of one video (Instances JSON with ids); repeat for several videos")
        ->required()->check(CLI::ExistingFile);
    auto* labels_flag = cmd->add_option("--labels", labels,
                    "Per-frame labels CSV (frame,id,behavior), one per --tracks in the same order; "
                    "omitted: the tracks' own behavior fields (synth truth.json)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--project", project,
                    "Project folder: the labels are its confirmed behaviour bouts (annotate app, BORIS imports) of "
                    "each --tracks' video; unconfirmed proposals are left out. Default behaviour list: the project's")
        ->check(CLI::ExistingDirectory)->excludes(labels_flag);
    cmd->add_option("--video", videos,
                    "With --project: the video file of each --tracks, in the same order (default: the video the "
                    "tracks name, matched by file name among the project's videos)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--behaviors", behaviors, "Comma-separated behaviour list (default: the 8-class ethogram)");
    cmd->add_option("--unlabelled-as", unlabelled_as,
                    "Treat unlabelled tracked mouse-frames as this behaviour (default: ignore them)");
    cmd->add_option("--windows-s", windows_s, "Feature window lengths, seconds, comma-separated")->capture_default_str();
    cmd->add_option("--rounds", options.gbt.n_rounds, "Boosting rounds")->capture_default_str();
    cmd->add_option("--depth", options.gbt.max_depth, "Tree depth")->capture_default_str();
    cmd->add_option("--learning-rate", options.gbt.learning_rate, "Boosting learning rate (eta)")->capture_default_str();
    cmd->add_option("--train-stride", options.train_stride, "Train on every n-th labelled frame per mouse")
        ->capture_default_str();
    cmd->add_flag("--no-class-weights", [this](std::int64_t) { options.class_weighting = false; },
                  "Do not weight classes to equal total weight");
    cmd->add_option("--smoothing", smoothing, "Temporal smoothing: viterbi (HMM) or none")->capture_default_str();
    cmd->add_option("--min-bout-s", options.min_bout_s, "Merge predicted bouts shorter than this, seconds (0: off)")
        ->capture_default_str();
    cmd->add_option("--seed", options.gbt.seed, "Random seed of the trees")->capture_default_str()
        ->check(bt::cli::seed_check());
  }

  std::vector<bb::LabelledVideo> load() {
    if (!behaviors.empty()) options.behaviors = split_commas(behaviors);
    options.windows_s = parse_seconds_list(windows_s, "--windows-s");
    options.smoothing = bb::smoothing_from_string(smoothing);
    if (!labels.empty() && labels.size() != tracks.size()) {
      bt::throw_invalid(fmt::format("--labels: {} files for {} --tracks; give one labels file per tracks file, in order",
                                    labels.size(), tracks.size()));
    }
    if (!videos.empty() && project.empty()) bt::throw_invalid("--video: only with --project");
    if (!videos.empty() && videos.size() != tracks.size()) {
      bt::throw_invalid(fmt::format("--video: {} files for {} --tracks; give one video per tracks file, in order",
                                    videos.size(), tracks.size()));
    }
    if (!project.empty()) return load_from_project();
    options.validate();
    std::vector<bb::LabelledVideo> out;
    for (std::size_t i = 0; i < tracks.size(); ++i) {
      auto loaded = bb::load_labelled_video(tracks[i], labels.empty() ? fs::path() : fs::path(labels[i]),
                                            options.behaviors, unlabelled_as);
      out.push_back({tracks[i], std::move(loaded.tracks), std::move(loaded.labels)});
    }
    return out;
  }

  std::vector<bb::LabelledVideo> load_from_project() {
    bt::cli::ProjectLabels from(project);
    if (behaviors.empty()) options.behaviors = from.behaviors();
    options.validate();
    std::vector<bb::LabelledVideo> out;
    for (std::size_t i = 0; i < tracks.size(); ++i) {
      auto loaded = from.load(tracks[i], videos.empty() ? fs::path() : fs::path(videos[i]), options.behaviors,
                              unlabelled_as);
      out.push_back({tracks[i], std::move(loaded.tracks), std::move(loaded.labels)});
    }
    project_summary = from.summary_line();
    return out;
  }
};

void write_report(const fs::path& out_dir, const bb::CrossValidation& cv, const std::string& text) {
  fs::create_directories(out_dir);
  bt::write_file_atomically(out_dir / "report.txt", text);
  bb::write_confusion_png(out_dir / "confusion.png", cv.overall, "pose classifier, leave-one-video-out");
}

std::string cv_text(const bb::CrossValidation& cv) {
  std::string s = "leave-one-video-out cross-validation\n";
  for (const auto& [name, e] : cv.folds)
    s += fmt::format("  held out {}: accuracy {:.4f} macro-F1 {:.4f} bout macro-F1 {:.4f}\n", name, e.accuracy,
                     e.macro_f1, e.bout_macro_f1);
  s += "\npooled over the held-out videos\n" + bb::format_evaluation(cv.overall);
  return s;
}

void setup_train(CLI::App& group, bt::cli::Context& ctx) {
  auto flags = std::make_shared<InputFlags>();
  auto out = std::make_shared<std::string>();
  auto* cmd = group.add_subcommand("train", "Train a pose-feature behaviour classifier from tracks and labels");
  flags->add_to(cmd);
  cmd->add_option("--out", *out, "Model folder to write (model.json + pose.xgb)")->required();
  cmd->callback([&ctx, flags, out] {
    const auto videos = flags->load();
    const auto clf = bb::PoseClassifier::train(videos, flags->options, ctx.progress());
    bb::Evaluator ev(flags->options.behaviors);
    for (const auto& v : videos) bb::add_to_evaluator(ev, clf.predict(v.tracks, {}), v.labels);
    const bb::Evaluation train_fit = ev.result();
    clf.save(*out, &train_fit);
    std::cout << fmt::format("trained on {} video(s), {} features; model in {}\n", videos.size(),
                             clf.feature_names().size(), *out)
              << fmt::format("fit on the training data (not a test score): accuracy {:.4f} macro-F1 {:.4f}\n",
                             train_fit.accuracy, train_fit.macro_f1);
    std::cout << flags->project_summary;
  });
}

void setup_predict(CLI::App& group, bt::cli::Context& ctx) {
  struct Flags {
    std::string model, tracks, out, video;
    int stride_frames = 0;
    double min_bout_s = 0.1;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = group.add_subcommand("predict", "Per-frame behaviour of every tracked mouse: behavior.csv and bouts.csv");
  cmd->add_option("--model", f->model, "Model folder from `behavior train`")->required();
  cmd->add_option("--tracks", f->tracks, "Tracks (Instances JSON with ids)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", f->out, "Output folder for behavior.csv and bouts.csv")->required();
  cmd->add_option("--video", f->video, "The video of the tracks (needed by a video model from train-video)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--stride-frames", f->stride_frames, "Video model: score a clip every n frames (0: the model's)")
      ->capture_default_str();
  cmd->add_option("--min-bout-s", f->min_bout_s, "Video model: merge bouts shorter than this, seconds")->capture_default_str();
  cmd->callback([&ctx, f] {
    if (f->stride_frames < 0) bt::throw_invalid("--stride-frames " + std::to_string(f->stride_frames) + ": must be >= 0");
    if (!(f->min_bout_s >= 0 && f->min_bout_s <= 60))
      bt::throw_invalid("--min-bout-s " + bt::number_text(f->min_bout_s) + ": must be in [0, 60] seconds");
    bt::InstancesFile tracks = bt::read_instances_json(f->tracks);
    bb::require_tracked(tracks, f->tracks);
    if (tracks.header.video.empty()) tracks.header.video = fs::path(f->tracks).filename().string();
    bb::BehaviorPrediction p;
#if BT_BEHAVIOR_VIDEO
    if (bb::behavior_model_kind(f->model) == "video") {
      if (f->video.empty()) bt::throw_invalid("--video: a video model needs the video of the tracks");
      p = bb::predict_video(bb::VideoClassifier::load(f->model), f->video, tracks, f->stride_frames, f->min_bout_s,
                            ctx.progress());
    } else {
      p = bb::PoseClassifier::load(f->model).predict(tracks, ctx.progress());
    }
#else
    p = bb::PoseClassifier::load(f->model).predict(tracks, ctx.progress());
#endif
    fs::create_directories(f->out);
    bb::write_behavior_csv(fs::path(f->out) / "behavior.csv", p);
    bb::write_bouts_csv(fs::path(f->out) / "bouts.csv", p);
    std::size_t rows = 0, bouts = 0;
    for (const auto& m : p.mice) rows += m.frames.size(), bouts += bb::prediction_bouts(m).size();
    std::cout << fmt::format("{} mice, {} mouse-frames, {} bouts -> {}/behavior.csv, {}/bouts.csv\n", p.mice.size(),
                             rows, bouts, f->out, f->out);
  });
}

void setup_cv(CLI::App& group, bt::cli::Context& ctx) {
  auto flags = std::make_shared<InputFlags>();
  auto by = std::make_shared<std::string>("video");
  auto out = std::make_shared<std::string>();
  auto* cmd = group.add_subcommand("cv", "Cross-validate the pose-feature classifier (leave-one-video-out)");
  flags->add_to(cmd);
  cmd->add_option("--by", *by, "Fold unit: video (leave-one-video-out, as seeds/003)")->capture_default_str();
  cmd->add_option("--out", *out, "Folder for report.txt and confusion.png (optional)");
  cmd->callback([&ctx, flags, by, out] {
    if (*by != "video") bt::throw_invalid("--by: " + bt::quoted(*by) + " is not supported; use video");
    const auto videos = flags->load();
    const auto cv = bb::cross_validate_pose(videos, flags->options, ctx.progress());
    const std::string text = cv_text(cv);
    if (!out->empty()) write_report(*out, cv, text);
    std::cout << text << flags->project_summary;
  });
}

const bt::cli::CommandRegistration kRegistration(
    "behavior", "Per-mouse per-frame behaviour: train, predict, cross-validate",
    [](CLI::App& group, bt::cli::Context& ctx) {
      setup_train(group, ctx);
      setup_predict(group, ctx);
      setup_cv(group, ctx);
    });

}  // namespace
