#include "behavtrack/pose/pose_project.h"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "behavtrack/core/error.h"
#include "behavtrack/core/instances_json.h"
#include "behavtrack/core/runtime.h"
#include "behavtrack/project/project.h"
#include "behavtrack/video/video_reader.h"

namespace bt::pose {
namespace {

namespace fs = std::filesystem;
using project::Project;
using project::Split;

PoseDataset load_frames(const std::vector<project::LabelledFrame>& frames) {
  PoseDataset out;
  for (const auto& f : frames) {
    PoseSample s;
    s.name = f.frame.name;
    s.image = cv::imread(f.image.string(), cv::IMREAD_COLOR);
    if (s.image.empty())
      throw_io(fmt::format("frame image {}: cannot be read", bt::quoted(f.image.string())));
    s.instances = f.instances;
    out.push_back(std::move(s));
  }
  return out;
}

struct ResolvedModel {
  std::string name;
  fs::path path;
  std::optional<std::int64_t> id;
};

ResolvedModel resolve_model(const Project& p, const std::string& spec) {
  if (spec.empty()) {
    const auto models = p.list_models();
    if (models.empty())
      throw_not_found(fmt::format("project {}: no model yet; run `behavtrack pose train`",
                                  bt::quoted(p.dir().string())));
    return {models.back().name, p.resolve(models.back().path), models.back().id};
  }
  if (const auto m = p.find_model(spec)) return {m->name, p.resolve(m->path), m->id};
  if (fs::exists(spec)) return {fs::path(spec).filename().string(), spec, std::nullopt};
  throw_not_found(fmt::format("model {}: neither a model of this project nor a file or folder",
                              bt::quoted(spec)));
}

PoseModel load_for_project(const Project& p, const ResolvedModel& m, const std::string& device) {
  PoseModel model = PoseModel::load(m.path, Device::parse(device));
  if (model.is_torchscript()) {
    if (model.info().skeleton.size() != p.skeleton().size())
      throw_invalid(fmt::format("model {}: {} keypoints, the project's skeleton has {}",
                                bt::quoted(m.name), model.info().skeleton.size(),
                                p.skeleton().size()));
  } else {
    model.info().check_skeleton(p.skeleton(), m.name);
  }
  return model;
}

std::vector<project::LabelledFrame> frames_of_set(const Project& p, const std::string& set,
                                                  bool include_empty) {
  if (set == "all") {
    project::FrameQuery q;
    q.limit = 0;
    std::vector<project::LabelledFrame> out;
    for (const auto& f : p.list_frames(q).frames)
      out.push_back({f, p.resolve(f.image_path), {}});
    return out;
  }
  return p.labelled_frames(project::split_from_string(set), std::nullopt, include_empty);
}

// A model's folder is models/<name>, its unfinished training models/<name>.partial (taken
// away when a training of that name starts afresh): a name ending in ".partial" would be
// deleted by the training of its stem.
void check_model_name(const std::string& name) {
  const std::string suffix = ".partial";
  const bool plain = !name.empty() && name.front() != '.' &&
                     name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
                         std::string::npos;
  if (!plain)
    throw_invalid(fmt::format("model name {}: must be a plain name (letters, digits, '-', '_', '.'; not starting with '.')",
                              bt::quoted(name)));
  if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    throw_invalid(fmt::format("model name {}: must not end in '.partial' (the suffix of unfinished trainings)",
                              bt::quoted(name)));
}

}  // namespace

ProjectTrainSummary train_in_project(const fs::path& project_dir, const std::string& model_name,
                                     TrainOptions options, const ProgressCallback& progress) {
  options.validate();
  Project p = Project::open(project_dir);
  ProjectTrainSummary s;
  s.model_name = model_name;
  if (s.model_name.empty()) s.model_name = fmt::format("pose-cycle{}", p.latest_cycle().value_or(0));
  check_model_name(s.model_name);
  const fs::path final_dir = p.dir() / "models" / s.model_name;
  const fs::path work_dir = p.dir() / "models" / (s.model_name + ".partial");
  if (fs::exists(final_dir) || p.find_model(s.model_name))
    throw_invalid(fmt::format("model {}: exists already; choose another --name",
                              bt::quoted(s.model_name)));
  if (options.resume) require_checkpoint(work_dir);
  if (!options.resume && fs::exists(work_dir)) fs::remove_all(work_dir);
  if (!options.from_model.empty() && !fs::exists(options.from_model))
    options.from_model = resolve_model(p, options.from_model.string()).path;

  const PoseDataset train = load_frames(p.labelled_frames(Split::kTrain));
  const PoseDataset val = load_frames(p.labelled_frames(Split::kVal));
  if (train.empty())
    throw_invalid(fmt::format("project {}: no confirmed labels in the train split; label or "
                              "confirm frames first",
                              bt::quoted(p.dir().string())));
  s.n_train_frames = static_cast<int>(train.size());
  s.n_val_frames = static_cast<int>(val.size());
  s.result = train_pose_model(train, val, p.skeleton(), options, work_dir, progress);
  fs::rename(work_dir, final_dir);
  s.model_dir = final_dir;
  s.result.model_dir = final_dir;
  project::ModelRecord rec;
  rec.name = s.model_name;
  rec.path = p.to_stored_path(final_dir);
  rec.options_json = options.to_json();
  rec.metrics_json = s.result.val.to_json();
  p.add_model(rec);
  return s;
}

ProjectPredictSummary predict_in_project(const fs::path& project_dir, const std::string& set,
                                         const std::string& model_spec, PredictOptions options,
                                         const std::string& device,
                                         const ProgressCallback& progress) {
  if (set != "predict" && set != "reserve" && set != "all")
    throw_invalid(fmt::format("--set {}: must be predict, reserve or all", bt::quoted(set)));
  Project p = Project::open(project_dir);
  if (options.max_det <= 0) options.max_det = p.expected_animals();
  options.validate();
  const ResolvedModel m = resolve_model(p, model_spec);
  const PoseModel model = load_for_project(p, m, device);
  const auto frames = frames_of_set(p, set, true);
  ProjectPredictSummary s;
  s.model_name = m.name;
  std::vector<std::pair<project::FrameId, std::vector<Instance>>> predictions;
  Progress bar("predict " + set, static_cast<std::int64_t>(frames.size()), progress);
  for (const auto& f : frames) {
    const cv::Mat image = cv::imread(f.image.string(), cv::IMREAD_COLOR);
    if (image.empty())
      throw_io(fmt::format("frame image {}: cannot be read", bt::quoted(f.image.string())));
    std::vector<Instance> found = model.predict(image, options);
    s.n_instances += static_cast<int>(found.size());
    predictions.emplace_back(f.frame.id, std::move(found));
    bar.advance();
  }
  bar.finish();
  s.n_frames = static_cast<int>(frames.size());
  s.n_written = p.write_predictions(predictions, m.name);
  return s;
}

ProjectEvaluation evaluate_in_project(const fs::path& project_dir, const std::string& set,
                                      const std::string& model_spec, const MetricsOptions& metrics,
                                      const std::string& device, const ProgressCallback& progress) {
  Project p = Project::open(project_dir);
  metrics.validate(p.skeleton().size());
  const ResolvedModel m = resolve_model(p, model_spec);
  const PoseModel model = load_for_project(p, m, device);
  const PoseDataset data = load_frames(frames_of_set(p, set, false));
  if (data.empty())
    throw_invalid(fmt::format("project {}: no confirmed labels in the {} split",
                              bt::quoted(p.dir().string()), set));
  PredictOptions o;
  o.score_min = 0.001f;  // AP needs the whole score range (as COCO and Ultralytics val)
  o.max_det = p.expected_animals();
  std::vector<std::vector<Instance>> truth;
  for (const auto& s : data) truth.push_back(s.instances);
  ProjectEvaluation e;
  e.model_name = m.name;
  e.set = set;
  e.metrics = evaluate_pose(truth, predict_dataset(model, data, o, progress), p.skeleton(), metrics);
  project::RunRecord run;
  run.kind = "pose-evaluate";
  run.options_json = nlohmann::json{{"model", m.name}, {"set", set}, {"device", device}}.dump();
  run.metrics_json = e.metrics.to_json();
  run.model_id = m.id;
  p.add_run(run);
  return e;
}

void VideoPredictOptions::validate() const {
  predict.validate();
  classical.validate();
  Device::parse(device);
  if (background_frames < 1)
    throw_invalid(fmt::format("background_frames = {}: must be >= 1", background_frames));
}

VideoPredictSummary predict_video(const fs::path& video, const fs::path& out_json,
                                  const VideoPredictOptions& options,
                                  const ProgressCallback& progress) {
  options.validate();
  const auto t0 = std::chrono::steady_clock::now();
  video::VideoReader reader(video);
  const auto& info = reader.info();
  const bool classical = options.model.empty() || options.model == "classical";
  std::optional<PoseModel> model;
  std::optional<ClassicalDetector> detector;
  InstancesHeader header;
  header.video = video.filename().string();
  header.fps = info.fps_value();
  header.width = info.width;
  header.height = info.height;
  if (classical) {
    ClassicalOptions co = options.classical;
    if (co.n_animals == 0) co.n_animals = options.predict.max_det;
    detector.emplace(co);
    detector->set_background(video_background(video, options.background_frames));
  } else {
    model.emplace(PoseModel::load(options.model, Device::parse(options.device)));
    header.skeleton = model->info().skeleton;
  }
  InstancesJsonWriter writer(out_json, header);
  Progress bar("pose " + header.video, info.n_frames, progress);
  VideoPredictSummary s;
  HeapReleaser heap = HeapReleaser::per_second_of_video(header.fps);  // memory flat in video length
  video::Frame frame;
  while (reader.read(frame)) {
    heap.tick();
    FrameInstances fi;
    fi.frame = frame.index;
    fi.instances = classical ? detector->track(frame.image) : model->predict(frame.image, options.predict);
    s.n_instances += static_cast<std::int64_t>(fi.instances.size());
    writer.add_frame(fi);
    ++s.n_frames;
    bar.advance();
  }
  writer.commit();
  bar.finish();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

}  // namespace bt::pose
