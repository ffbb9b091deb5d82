#include "behavtrack/analysis/demo.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "behavtrack/analysis/active_learning.h"
#include "behavtrack/analysis/analyze.h"
#include "behavtrack/behavior/labels.h"
#include "behavtrack/behavior/pose_classifier.h"
#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/instances_json.h"
#include "behavtrack/core/log.h"
#include "behavtrack/project/labels.h"
#include "behavtrack/project/project.h"
#include "behavtrack/project/sampler.h"
#include "behavtrack/project/splits.h"
#include "behavtrack/project/videos.h"
#include "behavtrack/synth/synth.h"

namespace bt::analysis {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct SynthVideoFiles {
  fs::path video, truth;
};

SynthVideoFiles synthesise(const DemoOptions& o, const std::string& name, double seconds, std::uint64_t seed,
                           const ProgressCallback& progress) {
  synth::SynthOptions so;
  so.n_mice = o.mice;
  so.seconds = seconds;
  so.seed = seed;
  const fs::path dir = o.out_dir / "synth" / name;
  if (!fs::exists(dir / "truth.json")) synth::write_synth(so, dir, progress);
  // Each video under its own name, so projects and analyses tell them apart.
  const fs::path video = dir / (name + ".mp4");
  if (!fs::exists(video)) fs::rename(dir / "video.mp4", video);
  return {video, dir / "truth.json"};
}

// The person's work, done by the truth: imports the true instances of `frames` (frame ids
// of the project) from each video's truth.json.
void label_from_truth(project::Project& p, const std::vector<project::FrameId>& frames,
                      const std::map<project::VideoId, InstancesFile>& truth, const fs::path& scratch,
                      const ProgressCallback& progress) {
  std::map<project::VideoId, InstancesFile> wanted;
  for (project::FrameId id : frames) {
    const project::FrameRecord f = p.get_frame_record(id);
    if (!f.video_id) continue;
    const InstancesFile& t = truth.at(*f.video_id);
    InstancesFile& w = wanted[*f.video_id];
    w.header = t.header;
    w.frames.push_back(t.frames.at(static_cast<std::size_t>(f.frame_index)));
  }
  for (auto& [video, file] : wanted) {
    std::sort(file.frames.begin(), file.frames.end(),
              [](const FrameInstances& a, const FrameInstances& b) { return a.frame < b.frame; });
    const fs::path path = scratch / ("oracle-" + std::to_string(video) + ".json");
    write_instances_json(path, file);
    project::ImportOptions in;
    in.format = project::LabelFormat::kBehavtrack;
    in.path = path;
    in.video_id = video;
    in.author = "oracle (synthetic truth)";
    project::import_labels(p, in, progress);
  }
}

std::vector<project::FrameId> frames_of(const project::Project& p, std::initializer_list<project::Split> splits) {
  std::vector<project::FrameId> out;
  const int cycle = *p.latest_cycle();
  for (const auto& [id, split] : p.split_of(cycle))
    for (project::Split s : splits)
      if (split == s) out.push_back(id);
  return out;
}

behavior::PoseClassifier train_behavior(const std::vector<SynthVideoFiles>& videos, const fs::path& model_dir,
                                        const ProgressCallback& progress) {
  std::vector<behavior::LabelledVideo> labelled;
  behavior::PoseClassifierOptions o;
  for (const SynthVideoFiles& v : videos) {
    InstancesFile tracks = read_instances_json(v.truth);
    behavior::LabelSet labels = behavior::labels_from_instances(tracks, o.behaviors, v.truth.string());
    labelled.push_back({v.video.stem().string(), std::move(tracks), std::move(labels)});
  }
  behavior::PoseClassifier clf = behavior::PoseClassifier::train(labelled, o, progress);
  clf.save(model_dir);
  return clf;
}

// Behaviour of the analysed mice against the truth: each tracked mouse is matched to the
// true mouse it overlaps most (box IoU >= 0.5) in that frame.
behavior::Evaluation score_behavior(const fs::path& tracks_json, const fs::path& behavior_csv,
                                    const InstancesFile& truth, const std::vector<std::string>& behaviors) {
  const InstancesFile tracks = read_instances_json(tracks_json);
  const behavior::LabelSet predicted = behavior::read_labels_csv(behavior_csv, behaviors);
  std::map<std::string, int> index;
  for (std::size_t i = 0; i < behaviors.size(); ++i) index[behaviors[i]] = static_cast<int>(i);
  std::vector<int> t, p;
  for (const FrameInstances& f : tracks.frames) {
    const FrameInstances& truth_frame = truth.frames.at(static_cast<std::size_t>(f.frame));
    for (const Instance& m : f.instances) {
      if (!m.id) continue;
      const std::optional<int> pred = predicted.find(f.frame, *m.id);
      const Instance* best = nullptr;
      double best_iou = 0.5;
      for (const Instance& g : truth_frame.instances)
        if (iou(m.box, g.box) >= best_iou) best_iou = iou(m.box, g.box), best = &g;
      if (!best || !pred || !index.count(best->behavior)) continue;
      t.push_back(index.at(best->behavior));
      p.push_back(*pred);
    }
  }
  behavior::Evaluator ev(behaviors);
  ev.add_frames(t, p);
  return ev.result();
}

}  // namespace

void DemoOptions::validate() const {
  if (out_dir.empty()) throw_invalid("demo: --out is required");
  if (mice < 2) throw_invalid("demo option mice = " + std::to_string(mice) + ": at least 2 (social behaviours)");
  if (train_videos < 1) throw_invalid("demo option train_videos = " + std::to_string(train_videos) + ": must be >= 1");
  if (!(train_seconds >= 5) || !(heldout_seconds >= 5))
    throw_invalid("demo: videos must be at least 5 s long");
  if (cycles < 1 || per_cycle < 1 || initial_frames < 2 || sample_frames <= initial_frames)
    throw_invalid("demo: need cycles >= 1, per_cycle >= 1, initial_frames >= 2 and sample_frames > initial_frames");
  if (!(train_minutes > 0)) throw_invalid("demo option train_minutes = " + std::to_string(train_minutes) + ": must be > 0");
}

namespace {

// Step 2: a fresh project over the training videos, frames sampled and split, the first
// frames labelled by the truth. Returns each video's truth by its id in the project.
std::map<project::VideoId, InstancesFile> start_project(project::Project& p, const DemoOptions& o,
                                                        const std::vector<SynthVideoFiles>& train,
                                                        const ProgressCallback& progress) {
  std::map<project::VideoId, InstancesFile> truth;
  for (const SynthVideoFiles& v : train) truth[project::add_video_file(p, v.video).first] = read_instances_json(v.truth);
  project::SampleOptions so;
  so.n = o.sample_frames;
  so.every_frames = 5;
  so.k = 6;
  so.seed = o.seed;
  project::sample_frames(p, so, progress);
  project::SplitOptions sp;
  sp.seed = o.seed;
  sp.initial_cycle = true;
  sp.annotate_n = o.initial_frames;
  project::split_frames(p, sp);
  label_from_truth(p, frames_of(p, {project::Split::kTest, project::Split::kTrain, project::Split::kVal}), truth,
                   o.out_dir, progress);
  return truth;
}

// Step 3: the active-learning cycles, the truth correcting each cycle's queued frames.
// Returns the last cycle's summary (its model and test metrics).
ActiveNextSummary run_cycles(project::Project& p, const DemoOptions& o,
                             const std::map<project::VideoId, InstancesFile>& truth,
                             const ProgressCallback& progress) {
  ActiveNextSummary cycle;
  for (int c = 0; c < o.cycles; ++c) {
    ActiveNextOptions ao;
    ao.n = o.per_cycle;
    ao.seed = o.seed;
    ao.train.time_limit_min = o.train_minutes;
    // A few minutes on 40-60 frames: small batches give the detector enough steps to learn.
    ao.train.batch = 4;
    cycle = active_next(p.dir(), ao, progress);
    log_info("cycle {}: {} labelled frames, test OKS AP50-95 {:.3f}, RMSE {:.2f} px", cycle.cycle, cycle.labelled,
             cycle.test ? cycle.test->oks_ap50_95 : 0.0, cycle.test ? cycle.test->rmse_px : 0.0);
    label_from_truth(p, frames_of(p, {project::Split::kPredict}), truth, o.out_dir, progress);
  }
  return cycle;
}

// Step 5: analyses the held-out video with both models; returns its output folder.
fs::path analyse_heldout(const DemoOptions& o, const SynthVideoFiles& heldout, const fs::path& pose_model,
                         const fs::path& behavior_model, const ProgressCallback& progress) {
  AnalyzeOptions ao;
  ao.videos = {heldout.video};
  ao.out_dir = o.out_dir / "analysis";
  ao.pose_model = pose_model;
  ao.behavior_model = behavior_model;
  ao.animals = o.mice;
  ao.render = true;
  ao.force = true;
  return analyze_videos(ao, progress).videos.front().out_dir;
}

void write_summary_json(const DemoSummary& s) {
  const json doc = {{"project", s.project_dir.string()},
                    {"report", s.report.string()},
                    {"labelled_frames", s.labelled_frames},
                    {"pose_test", json::parse(s.pose_test.to_json())},
                    {"tracking", json::parse(track::metrics_json(s.tracking))},
                    {"behavior", {{"accuracy", s.behavior_accuracy}, {"macro_f1", s.behavior_macro_f1}}},
                    {"seconds", s.seconds}};
  write_file_atomically(s.summary_json, doc.dump(1) + "\n");
}

}  // namespace

DemoSummary run_demo(const DemoOptions& o, const ProgressCallback& progress) {
  o.validate();
  const auto start = std::chrono::steady_clock::now();
  fs::create_directories(o.out_dir);
  DemoSummary s;

  log_info("demo 1/6: synthesising {} training video(s) and a held-out video of {} mice", o.train_videos, o.mice);
  std::vector<SynthVideoFiles> train;
  for (int i = 0; i < o.train_videos; ++i)
    train.push_back(synthesise(o, "train" + std::to_string(i + 1), o.train_seconds, o.seed + i, progress));
  const SynthVideoFiles heldout = synthesise(o, "heldout", o.heldout_seconds, o.seed + 100, progress);

  log_info("demo 2/6: project, frame sampling and splits");
  s.project_dir = o.out_dir / "project";
  fs::remove_all(s.project_dir);  // the demo always starts from a fresh project
  project::ProjectOptions po;
  po.expected_animals = o.mice;
  project::Project p = project::Project::create(s.project_dir, po);
  const std::map<project::VideoId, InstancesFile> truth = start_project(p, o, train, progress);

  log_info("demo 3/6: {} active-learning cycle(s), the truth correcting the queued frames", o.cycles);
  const ActiveNextSummary cycle = run_cycles(p, o, truth, progress);
  s.labelled_frames = cycle.labelled;
  if (cycle.test) s.pose_test = *cycle.test;

  log_info("demo 4/6: behaviour classifier on the training videos' truth");
  const fs::path behavior_model = s.project_dir / "models" / "behavior";
  train_behavior(train, behavior_model, progress);

  log_info("demo 5/6: analysing the held-out video");
  const fs::path result_dir = analyse_heldout(o, heldout, cycle.model_dir, behavior_model, progress);
  s.report = result_dir / "report.html";

  log_info("demo 6/6: scoring against the truth");
  const InstancesFile heldout_truth = read_instances_json(heldout.truth);
  s.tracking = track::evaluate_tracking(heldout_truth.frames, read_instances_json(result_dir / "tracks.json").frames, {});
  const behavior::Evaluation be = score_behavior(result_dir / "tracks.json", result_dir / "behavior.csv",
                                                 heldout_truth, p.behaviors());
  s.behavior_accuracy = be.accuracy;
  s.behavior_macro_f1 = be.macro_f1;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.summary_json = o.out_dir / "demo_summary.json";
  write_summary_json(s);
  return s;
}

}  // namespace bt::analysis
