// model.json: what a saved pose model folder says about itself (shared/DESIGN.md, Models).
//
//   models/<name>/weights.pt    detector and refiner weights (EMA), LibTorch archive
//   models/<name>/model.json    this struct: skeleton, input size, normalisation, the
//                               training options, the data used and the metrics reached
//   models/<name>/train_log.csv per-epoch losses and validation metrics
//
//   bt::pose::ModelInfo info = bt::pose::read_model_info("models/cycle1");
//   info.check_skeleton(project_skeleton);   // throws on a mismatch
//
// Thread safety: plain values and reentrant functions.
#pragma once

#include <filesystem>
#include <string>

#include "behavtrack/core/types.h"

namespace bt::pose {

inline constexpr const char* kModelFormat = "behavtrack.pose-model/1";

struct ModelInfo {
  std::string format = kModelFormat;
  std::string size = "n";          // n | s | m: width/depth multipliers of the detector
  int input_px = 320;              // detector input side (letterboxed), pixels
  int refine_px = 96;              // refiner crop side, pixels; 0 = no refinement stage
  int net_version = 2;             // network generation (pose_net_torch.h); folders written
                                   // before it existed hold version 1
  std::string normalisation = "bgr/255";  // input channels order and scaling
  Skeleton skeleton = Skeleton::default_mouse();
  std::string train_options_json = "{}";  // the options the run used, verbatim
  std::string data_json = "{}";           // counts of images/instances used
  std::string metrics_json = "{}";        // validation metrics of the saved weights
  int epochs_run = 0;
  double train_seconds = 0;

  // Throws bt::Error (kInvalidInput) naming both skeletons when they differ.
  void check_skeleton(const Skeleton& project_skeleton, const std::string& model_name) const;
};

std::string to_json(const ModelInfo& info);
ModelInfo parse_model_info(const std::string& text, const std::string& source_name);
// Reads <dir>/model.json; throws bt::Error (kNotFound / kInvalidInput) naming the file.
ModelInfo read_model_info(const std::filesystem::path& dir);
void write_model_info(const std::filesystem::path& dir, const ModelInfo& info);

}  // namespace bt::pose
