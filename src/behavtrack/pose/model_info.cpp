#include "behavtrack/pose/model_info.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"

namespace bt::pose {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

nlohmann::json parsed_or_empty(const std::string& text) {
  return text.empty() ? nlohmann::json::object() : nlohmann::json::parse(text);
}

}  // namespace

void ModelInfo::check_skeleton(const Skeleton& project_skeleton,
                               const std::string& model_name) const {
  if (skeleton.same_keypoints(project_skeleton)) return;
  throw_invalid(fmt::format(
      "model {}: skeleton [{}] does not match the project's [{}]; train a model on this "
      "project's labels",
      bt::quoted(model_name), joined(skeleton.keypoints), joined(project_skeleton.keypoints)));
}

std::string to_json(const ModelInfo& info) {
  nlohmann::json j;
  j["format"] = info.format;
  j["architecture"] = "yolo-pose+heatmap-refiner";
  j["size"] = info.size;
  j["input_px"] = info.input_px;
  j["refine_px"] = info.refine_px;
  j["net_version"] = info.net_version;
  j["normalisation"] = info.normalisation;
  j["skeleton"] = {{"keypoints", info.skeleton.keypoints}, {"flip", info.skeleton.flip}};
  j["train_options"] = parsed_or_empty(info.train_options_json);
  j["data"] = parsed_or_empty(info.data_json);
  j["metrics"] = parsed_or_empty(info.metrics_json);
  j["epochs_run"] = info.epochs_run;
  j["train_seconds"] = info.train_seconds;
  return j.dump(2);
}

ModelInfo parse_model_info(const std::string& text, const std::string& source_name) {
  ModelInfo info;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    info.format = j.at("format").get<std::string>();
    if (info.format != kModelFormat)
      throw_invalid(fmt::format("{}: format {} is not {}", bt::quoted(source_name),
                                bt::quoted(info.format), kModelFormat));
    info.size = j.at("size").get<std::string>();
    info.input_px = j.at("input_px").get<int>();
    info.refine_px = j.at("refine_px").get<int>();
    info.net_version = j.value("net_version", 1);  // absent: written by the first version
    if (info.net_version != 1 && info.net_version != 2)
      throw_invalid(fmt::format("{}: net_version {} is not 1 or 2; made by a newer behavtrack?",
                                bt::quoted(source_name), info.net_version));
    info.normalisation = j.at("normalisation").get<std::string>();
    info.skeleton.keypoints = j.at("skeleton").at("keypoints").get<std::vector<std::string>>();
    info.skeleton.flip = j.at("skeleton").at("flip").get<std::vector<int>>();
    info.skeleton.edges.clear();
    info.skeleton.validate();
    info.train_options_json = j.value("train_options", nlohmann::json::object()).dump();
    info.data_json = j.value("data", nlohmann::json::object()).dump();
    info.metrics_json = j.value("metrics", nlohmann::json::object()).dump();
    info.epochs_run = j.value("epochs_run", 0);
    info.train_seconds = j.value("train_seconds", 0.0);
  } catch (const nlohmann::json::exception& e) {
    throw_invalid(fmt::format("{}: {}", bt::quoted(source_name), json_error_text(e)));
  }
  return info;
}

ModelInfo read_model_info(const std::filesystem::path& dir) {
  const auto path = dir / "model.json";
  if (!std::filesystem::exists(path))
    throw_not_found(fmt::format("model {}: no model.json; is this a behavtrack model folder?",
                                bt::quoted(dir.string())));
  return parse_model_info(read_file(path), path.string());
}

void write_model_info(const std::filesystem::path& dir, const ModelInfo& info) {
  write_file_atomically(dir / "model.json", to_json(info));
}

}  // namespace bt::pose
