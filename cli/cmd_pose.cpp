// `behavtrack pose train | predict | predict-video | evaluate`: the pose detector on a
// project (or on a video file), as flags -> options -> one library call -> a summary.
#include <cstdio>
#include <memory>

#include "behavtrack/core/error.h"
#include "behavtrack/pose/pose_project.h"
#include "command_registry.h"

namespace {

namespace pose = bt::pose;

struct TrainFlags {
  std::string dir, name, from;
  pose::TrainOptions options;
};

struct PredictFlags {
  std::string dir, set, model, device = "cpu";
  pose::PredictOptions options;
};

struct VideoFlags {
  std::string video, out;
  pose::VideoPredictOptions options;
};

struct EvaluateFlags {
  std::string dir, set = "test", model, device = "cpu", sigmas;
  bool json = false;
};

std::vector<double> parse_sigmas(const std::string& text) {
  std::vector<double> out;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const size_t comma = text.find(',', start);
    const std::string cell = text.substr(start, comma == std::string::npos ? comma : comma - start);
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(cell, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != cell.size())
      bt::throw_invalid("--sigmas: " + bt::quoted(cell) + " is not a number");
    out.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

void add_train(CLI::App& group, bt::cli::Context& ctx) {
  auto f = std::make_shared<TrainFlags>();
  auto* cmd = group.add_subcommand(
      "train", "Train the pose model (YOLO-pose detector + heatmap refiner) on the project's "
               "confirmed train split, choosing weights by the val split");
  cmd->add_option("DIR", f->dir, "Project folder")->required();
  cmd->add_option("--name", f->name, "Model name (default pose-cycle<N> for the latest cycle)");
  cmd->add_option("--size", f->options.size, "Detector size: n, s or m (width/depth multipliers)")
      ->capture_default_str();
  cmd->add_option("--imgsz", f->options.input_px,
                  "Detector input size in pixels, a multiple of 32: a frame's longer side is "
                  "scaled to it, the shorter one padded to a multiple of 32")
      ->capture_default_str();
  cmd->add_option("--refine-px", f->options.refine_px,
                  "Refiner crop side in pixels, a multiple of 32; 0 = no refinement stage")
      ->capture_default_str();
  cmd->add_option("--epochs", f->options.epochs,
                  "Epochs; 0 = BehavTrack's table (<=500 labelled frames: 50, <=1000: 70, "
                  "<=1500: 90, more: 110)")
      ->capture_default_str();
  cmd->add_option("--batch", f->options.batch, "Images per step; 0 = the same table (16..22)")
      ->capture_default_str();
  cmd->add_option("--device", f->options.device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--time-limit", f->options.time_limit_min,
                  "Stop after this many minutes (the learning-rate schedule ends then); 0 = none")
      ->capture_default_str();
  cmd->add_option("--patience", f->options.patience_epochs,
                  "Stop after this many epochs without a better validation score")
      ->capture_default_str();
  cmd->add_option("--lr", f->options.lr, "AdamW peak learning rate")->capture_default_str();
  cmd->add_option("--from", f->from, "Fine-tune from this model (name or folder; same skeleton)");
  cmd->add_flag("--resume", f->options.resume,
                "Continue the interrupted training of --name from its checkpoint");
  cmd->add_option("--seed", f->options.seed, "Random seed (shuffling, augmentation, weights)")
      ->capture_default_str()
      ->check(bt::cli::seed_check());
  cmd->callback([f, &ctx] {
    pose::TrainOptions o = f->options;
    o.from_model = f->from;
    const auto s = pose::train_in_project(f->dir, f->name, o, ctx.progress());
    const auto& m = s.result.val;
    std::printf("pose train: model %s in %s (%d train / %d val frames, %d epochs, %.0f s, "
                "stopped by %s)\n  val: box AP50 %.3f, AP50-95 %.3f, OKS AP50-95 %.3f, RMSE "
                "%.2f px, PCK@10px %.1f%%\n",
                s.model_name.c_str(), s.model_dir.c_str(), s.n_train_frames, s.n_val_frames,
                s.result.epochs_run, s.result.seconds, s.result.stop_reason.c_str(), m.box_ap50,
                m.box_ap50_95, m.oks_ap50_95, m.rmse_px, 100 * m.pck10);
  });
}

void add_predict(CLI::App& group, bt::cli::Context& ctx) {
  auto f = std::make_shared<PredictFlags>();
  auto* cmd = group.add_subcommand(
      "predict", "Predict frames of a split and store the results as unconfirmed annotations");
  cmd->add_option("DIR", f->dir, "Project folder")->required();
  cmd->add_option("--set", f->set, "predict, reserve or all")->required();
  cmd->add_option("--model", f->model,
                  "Model name, model folder or Ultralytics .torchscript (default: the latest)");
  cmd->add_option("--device", f->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--max-det", f->options.max_det,
                  "Most mice per frame; 0 = the project's animal count");
  cmd->add_option("--score-min", f->options.score_min, "Detection score threshold, 0..1")
      ->capture_default_str();
  f->options.max_det = 0;
  cmd->callback([f, &ctx] {
    const auto s = pose::predict_in_project(f->dir, f->set, f->model, f->options, f->device,
                                            ctx.progress());
    std::printf("pose predict: %d frames of set %s with model %s: %d instances, %lld frames "
                "stored as unconfirmed predictions (frames with manual work kept)\n",
                s.n_frames, f->set.c_str(), s.model_name.c_str(), s.n_instances,
                static_cast<long long>(s.n_written));
  });
}

void add_predict_video(CLI::App& group, bt::cli::Context& ctx) {
  auto f = std::make_shared<VideoFlags>();
  auto* cmd = group.add_subcommand(
      "predict-video", "Detect mice in every frame of a video into an Instances JSON file");
  cmd->add_option("VIDEO", f->video, "Video file")->required();
  cmd->add_option("--out", f->out, "Output Instances JSON (written atomically)")->required();
  cmd->add_option("--model", f->options.model,
                  "Model folder, Ultralytics .torchscript, or classical (no labels needed)")
      ->capture_default_str();
  cmd->add_option("--device", f->options.device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--max-det", f->options.predict.max_det,
                  "Most mice per frame (the classical detector splits touching mice to reach it)")
      ->capture_default_str();
  cmd->add_option("--score-min", f->options.predict.score_min, "Detection score threshold, 0..1")
      ->capture_default_str();
  cmd->add_option("--background-frames", f->options.background_frames,
                  "Classical: frames sampled over the video for the median background")
      ->capture_default_str();
  cmd->add_option("--min-contrast", f->options.classical.min_contrast,
                  "Classical: least grey-level difference from the background for foreground")
      ->capture_default_str();
  cmd->callback([f, &ctx] {
    const auto s = pose::predict_video(f->video, f->out, f->options, ctx.progress());
    std::printf("pose predict-video: %lld frames, %lld instances (%.1f frames/s) -> %s\n",
                static_cast<long long>(s.n_frames), static_cast<long long>(s.n_instances),
                s.seconds > 0 ? s.n_frames / s.seconds : 0.0, f->out.c_str());
  });
}

void add_evaluate(CLI::App& group, bt::cli::Context& ctx) {
  auto f = std::make_shared<EvaluateFlags>();
  auto* cmd = group.add_subcommand(
      "evaluate", "Score a model on the confirmed labels of a split (box AP, OKS AP, RMSE, PCK)");
  cmd->add_option("DIR", f->dir, "Project folder")->required();
  cmd->add_option("--set", f->set, "Split to score: test, val or train")->capture_default_str();
  cmd->add_option("--model", f->model, "Model name, folder or .torchscript (default: the latest)");
  cmd->add_option("--device", f->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--sigmas", f->sigmas,
                  "OKS sigma per keypoint, comma-separated (default 1/K each, as Ultralytics "
                  "for custom skeletons)");
  cmd->add_flag("--json", f->json, "Print the metrics as JSON");
  cmd->callback([f, &ctx] {
    bt::pose::MetricsOptions mo;
    mo.sigmas = parse_sigmas(f->sigmas);
    const auto e = pose::evaluate_in_project(f->dir, f->set, f->model, mo, f->device, ctx.progress());
    const auto& m = e.metrics;
    if (f->json) {
      std::printf("%s\n", m.to_json().c_str());
      return;
    }
    std::printf("pose evaluate: model %s on %d %s frames (%d mice, %d found, %d missed)\n"
                "  box AP50 %.3f  AP50-95 %.3f  OKS AP50 %.3f  OKS AP50-95 %.3f\n"
                "  keypoints: RMSE %.2f px  mean error %.2f px  PCK@5px %.1f%%  PCK@10px %.1f%%\n",
                e.model_name.c_str(), m.n_images, e.set.c_str(), m.n_truth, m.n_matched,
                m.n_missed, m.box_ap50, m.box_ap50_95, m.oks_ap50, m.oks_ap50_95, m.rmse_px,
                m.mean_error_px, 100 * m.pck5, 100 * m.pck10);
    for (const auto& k : m.per_keypoint)
      std::printf("  %-10s RMSE %6.2f px  PCK@5 %5.1f%%  PCK@10 %5.1f%%  (%d of %d predicted)\n",
                  k.name.c_str(), k.rmse_px, 100 * k.pck5, 100 * k.pck10, k.n_predicted,
                  k.n_labelled);
  });
}

const bt::cli::CommandRegistration kRegistration(
    "pose", "Pose detector: train, predict, predict-video, evaluate",
    [](CLI::App& group, bt::cli::Context& ctx) {
      add_train(group, ctx);
      add_predict(group, ctx);
      add_predict_video(group, ctx);
      add_evaluate(group, ctx);
    });

}  // namespace
