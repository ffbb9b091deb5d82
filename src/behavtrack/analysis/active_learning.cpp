#include "behavtrack/analysis/active_learning.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

#include "behavtrack/analysis/learning_curve_plot.h"
#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/nn/torch_runtime.h"
#include "behavtrack/pose/pose_project.h"
#include "behavtrack/project/project.h"
#include "behavtrack/project/sampler.h"
#include "behavtrack/project/splits.h"

namespace bt::analysis {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// A frame of the project with what active learning needs of it.
struct PoolFrame {
  project::FrameRecord record;
  fs::path image;
  std::vector<Instance> truth;  // confirmed instances (empty for unlabelled frames)
};

struct Partition {
  int latest_cycle = 0;
  std::vector<PoolFrame> labelled;    // complete, outside the test split
  std::vector<PoolFrame> unlabelled;  // not complete, outside the test split
  std::vector<PoolFrame> test;        // the test split (labelled or not)
};

std::vector<Instance> confirmed_instances(const project::Project& p, project::FrameId id) {
  std::vector<Instance> out;
  for (const project::Annotation& a : p.get_frame(id).instances)
    if (a.confirmed) out.push_back(a.instance);
  return out;
}

Partition partition_project(const project::Project& p) {
  const std::optional<int> latest = p.latest_cycle();
  if (!latest)
    throw_invalid("project " + quoted(p.dir().string()) +
                  ": no split yet; run 'behavtrack frames split DIR --initial-cycle' first");
  Partition out;
  out.latest_cycle = *latest;
  std::map<project::FrameId, project::Split> split;
  for (const auto& [id, s] : p.split_of(*latest)) split[id] = s;
  project::FrameQuery all;
  all.limit = 0;
  for (const project::FrameRecord& f : p.list_frames(all).frames) {
    PoolFrame pf{f, p.resolve(f.image_path), {}};
    const bool complete = f.state == project::FrameState::kComplete;
    if (complete) pf.truth = confirmed_instances(p, f.id);
    const auto it = split.find(f.id);
    if (it != split.end() && it->second == project::Split::kTest)
      out.test.push_back(std::move(pf));
    else
      (complete ? out.labelled : out.unlabelled).push_back(std::move(pf));
  }
  return out;
}

cv::Mat load_image(const fs::path& path) {
  cv::Mat m = cv::imread(path.string(), cv::IMREAD_COLOR);
  if (m.empty()) throw_io("frame image " + quoted(path.string()) + ": cannot be read");
  return m;
}

pose::PoseDataset to_dataset(const std::vector<const PoolFrame*>& frames) {
  pose::PoseDataset data;
  for (const PoolFrame* f : frames) data.push_back({f->record.name, load_image(f->image), f->truth});
  return data;
}

// Seeded, stratified split of `frames` into (train, val) with about val_fraction in val.
std::pair<std::vector<const PoolFrame*>, std::vector<const PoolFrame*>> split_train_val(
    const std::vector<const PoolFrame*>& frames, double val_fraction, std::uint64_t seed) {
  std::map<int, std::vector<const PoolFrame*>> by_stratum;
  for (const PoolFrame* f : frames) by_stratum[f->record.stratum].push_back(f);
  std::vector<std::int64_t> sizes;
  for (const auto& [s, members] : by_stratum) sizes.push_back(static_cast<std::int64_t>(members.size()));
  const auto n_val = static_cast<std::int64_t>(std::lround(val_fraction * frames.size()));
  const std::vector<std::int64_t> quota =
      project::proportional_allocation(sizes, frames.size() >= 2 ? std::max<std::int64_t>(1, n_val) : 0);
  std::vector<const PoolFrame*> train, val;
  std::size_t i = 0;
  for (const auto& [stratum, members] : by_stratum) {
    const auto order = project::seeded_permutation(static_cast<std::int64_t>(members.size()), seed + 31 * (stratum + 1));
    for (std::size_t k = 0; k < members.size(); ++k)
      (static_cast<std::int64_t>(k) < quota[i] ? val : train).push_back(members[order[k]]);
    ++i;
  }
  return {train, val};
}

std::vector<float> feature_of(const PoolFrame& f, const cv::Mat& image) {
  return f.record.feature.empty() ? project::appearance_feature(image) : f.record.feature;
}

// A frame in the diversity term's space: the layout of `mice` (its labels, or the model's
// predictions), or its appearance, which `appearance()` gives only when it is asked for.
template <typename AppearanceFn>
std::vector<float> diversity_feature(DiversityFeatures features, const std::vector<Instance>& mice,
                                     const cv::Mat& image, int expected_animals, AppearanceFn appearance) {
  return features == DiversityFeatures::kLayout ? pose_layout_feature(mice, image.cols, image.rows, expected_animals)
                                                : appearance();
}

// Predicts on each frame and its mirror image; returns acquisition candidates (key = index
// into `frames`) and the predictions on the frames themselves.
std::vector<Candidate> score_pool(const pose::PoseModel& model, const std::vector<const PoolFrame*>& frames,
                                  int expected_animals, const UncertaintyWeights& weights, DiversityFeatures features,
                                  std::vector<std::vector<Instance>>* predictions, const ProgressCallback& progress) {
  pose::PredictOptions po;
  if (expected_animals > 0) po.max_det = expected_animals;
  std::vector<Candidate> pool;
  Progress bar("score pool", static_cast<std::int64_t>(frames.size()), progress);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const cv::Mat image = load_image(frames[i]->image);
    cv::Mat mirror;
    cv::flip(image, mirror, 1);
    std::vector<Instance> pred = model.predict(image, po);
    const FrameUncertainty u = score_frame(pred, model.predict(mirror, po), model.info().skeleton, image.cols,
                                           expected_animals, weights);
    std::vector<float> feature =
        diversity_feature(features, pred, image, expected_animals, [&] { return feature_of(*frames[i], image); });
    pool.push_back({static_cast<std::int64_t>(i), frames[i]->record.stratum, std::move(feature), u.total});
    if (predictions) predictions->push_back(std::move(pred));
    bar.advance();
  }
  bar.finish();
  return pool;
}

std::vector<const PoolFrame*> pointers(const std::vector<PoolFrame>& frames) {
  std::vector<const PoolFrame*> out;
  for (const PoolFrame& f : frames) out.push_back(&f);
  return out;
}

std::string previous_model_name(const project::Project& p) {
  const auto models = p.list_models();
  for (auto it = models.rbegin(); it != models.rend(); ++it)
    if (it->name.rfind("pose-cycle", 0) == 0) return it->name;
  return "";
}

double mean_of(const std::vector<Candidate>& pool, const std::vector<std::size_t>& which) {
  if (which.empty()) return 0;
  double s = 0;
  for (std::size_t i : which) s += pool[i].uncertainty;
  return s / which.size();
}

// ---- simulation ----

pose::PoseDataset subset(const pose::PoseDataset& all, const std::vector<std::size_t>& which) {
  pose::PoseDataset out;
  for (std::size_t i : which) out.push_back(all[i]);
  return out;
}

std::vector<std::vector<Instance>> truths(const pose::PoseDataset& data) {
  std::vector<std::vector<Instance>> out;
  for (const pose::PoseSample& s : data) out.push_back(s.instances);
  return out;
}

// Candidates for the frames of the pool not yet labelled; uncertainty only where the
// strategy uses it (scoring costs two predictions per frame).
std::vector<Candidate> simulation_candidates(const pose::PoseModel& model, const pose::PoseDataset& pool,
                                             const std::vector<std::vector<float>>& features,
                                             const std::vector<int>& strata, const std::vector<bool>& labelled,
                                             Strategy strategy, int expected, const UncertaintyWeights& weights,
                                             DiversityFeatures diversity_features) {
  const bool scored = strategy == Strategy::kUncertainty || strategy == Strategy::kHybrid;
  const bool layout = diversity_features == DiversityFeatures::kLayout && strategy != Strategy::kRandomStratified;
  pose::PredictOptions po;
  if (expected > 0) po.max_det = expected;
  std::vector<Candidate> out;
  for (std::size_t i = 0; i < pool.size(); ++i) {
    if (labelled[i]) continue;
    double u = 0;
    std::vector<float> feature = features[i];
    if (scored || layout) {
      const std::vector<Instance> pred = model.predict(pool[i].image, po);
      if (scored) {
        cv::Mat mirror;
        cv::flip(pool[i].image, mirror, 1);
        u = score_frame(pred, model.predict(mirror, po), model.info().skeleton, pool[i].image.cols, expected, weights)
                .total;
      }
      if (layout) feature = pose_layout_feature(pred, pool[i].image.cols, pool[i].image.rows, expected);
    }
    out.push_back({static_cast<std::int64_t>(i), strata[i], std::move(feature), u});
  }
  return out;
}

void write_curve_csv(const fs::path& path, const std::vector<CurvePoint>& curve) {
  AtomicFile f(path);
  f.stream() << "strategy,cycle,labelled,box_ap50,oks_ap50_95,rmse_px,pck10,train_s\n";
  for (const CurvePoint& c : curve)
    f.stream() << c.strategy << ',' << c.cycle << ',' << c.labelled << ',' << c.test.box_ap50 << ','
               << c.test.oks_ap50_95 << ',' << c.test.rmse_px << ',' << c.test.pck10 << ',' << c.train_seconds << '\n';
  f.commit();
}

// OKS AP50-95 against labelled frames, one line per strategy.
void write_curve_png(const fs::path& path, const std::vector<CurvePoint>& curve,
                     const std::vector<std::string>& strategies) {
  std::vector<CurveSeries> series;
  for (const std::string& name : strategies) {
    series.push_back({name, {}});
    for (const CurvePoint& c : curve)
      if (c.strategy == name) series.back().points.emplace_back(c.labelled, c.test.oks_ap50_95);
  }
  write_learning_curve_png(path, series, "labelled frames", "test OKS AP50-95");
}

// Labels each strategy needed to reach the random-stratified strategy's final OKS AP.
std::vector<std::pair<std::string, std::optional<int>>> labels_to_reach_random(
    const std::vector<CurvePoint>& curve, const std::vector<std::string>& strategies) {
  double target = -1;
  for (const CurvePoint& c : curve)
    if (c.strategy == to_string(Strategy::kRandomStratified)) target = c.test.oks_ap50_95;  // last one wins
  std::vector<std::pair<std::string, std::optional<int>>> out;
  for (const std::string& s : strategies) {
    std::optional<int> needed;
    for (const CurvePoint& c : curve)
      if (c.strategy == s && target >= 0 && c.test.oks_ap50_95 >= target && !needed) needed = c.labelled;
    out.emplace_back(s, needed);
  }
  return out;
}

// Per strategy: the mean test OKS AP over its cycles. Every strategy is scored at the same
// labelled counts, so this is the area under its learning curve over that range, in AP
// units: steadier than one crossing of random's final point, which a single noisy cycle moves.
std::vector<std::pair<std::string, double>> mean_oks_ap(const std::vector<CurvePoint>& curve,
                                                         const std::vector<std::string>& strategies) {
  std::vector<std::pair<std::string, double>> out;
  for (const std::string& s : strategies) {
    double sum = 0;
    int n = 0;
    for (const CurvePoint& c : curve)
      if (c.strategy == s) sum += c.test.oks_ap50_95, ++n;
    out.emplace_back(s, n > 0 ? sum / n : 0.0);
  }
  return out;
}

}  // namespace

void SimulateOptions::validate() const {
  if (strategies.empty()) throw_invalid("simulate: no strategies given");
  if (initial < 1) throw_invalid("simulate option initial = " + std::to_string(initial) + ": must be >= 1");
  if (per_cycle < 1) throw_invalid("simulate option per_cycle = " + std::to_string(per_cycle) + ": must be >= 1");
  if (cycles < 0) throw_invalid("simulate option cycles = " + std::to_string(cycles) + ": must be >= 0");
  if (steps_per_cycle < 0)
    throw_invalid("simulate option steps_per_cycle = " + std::to_string(steps_per_cycle) + ": must be >= 0");
  if (hybrid_ramp_frames < 0)
    throw_invalid("simulate option hybrid_ramp_frames = " + std::to_string(hybrid_ramp_frames) + ": must be >= 0");
  if (out_dir.empty()) throw_invalid("simulate: --out is required");
  train.validate();
}

SimulateSummary simulate_active_learning(const fs::path& project_dir, const SimulateOptions& o,
                                         const ProgressCallback& progress) {
  o.validate();
  nn::require_available(Device::parse(o.train.device));  // before any output, not at the first training
  const project::Project p = project::Project::open(project_dir);
  const Partition parts = partition_project(p);
  std::vector<const PoolFrame*> test_frames;
  for (const PoolFrame& f : parts.test)
    if (f.record.state == project::FrameState::kComplete) test_frames.push_back(&f);
  if (test_frames.empty())
    throw_invalid("project " + quoted(project_dir.string()) + ": the test split has no complete frames to score against");
  const int needed = o.initial + o.per_cycle * o.cycles;
  if (static_cast<int>(parts.labelled.size()) < needed)
    throw_invalid("project " + quoted(project_dir.string()) + ": " + std::to_string(parts.labelled.size()) +
                  " labelled frames outside the test split, the simulation needs " + std::to_string(needed) +
                  " (initial + per_cycle x cycles)");

  const pose::PoseDataset pool = to_dataset(pointers(parts.labelled));
  const pose::PoseDataset test = to_dataset(test_frames);
  std::vector<std::vector<float>> features;
  std::vector<int> strata;
  std::vector<Candidate> everyone;
  for (std::size_t i = 0; i < pool.size(); ++i) {
    features.push_back(feature_of(parts.labelled[i], pool[i].image));
    strata.push_back(parts.labelled[i].record.stratum);
    everyone.push_back({static_cast<std::int64_t>(i), strata[i], features[i], 0});
  }
  // The same initial labelled set for every strategy.
  const std::vector<std::size_t> initial = select_frames(everyone, {}, o.initial, Strategy::kRandomStratified, o.seed);
  fs::create_directories(o.out_dir);

  SimulateSummary summary;
  std::vector<std::string> names;
  // Cycle 0 (the initial labelled set, the same seed) is the same run for every strategy:
  // trained and scored once, under the first strategy's name.
  std::optional<CurvePoint> initial_point;
  fs::path initial_model;
  for (Strategy strategy : o.strategies) {
    names.push_back(to_string(strategy));
    std::vector<std::size_t> labelled = initial;
    fs::path previous;
    for (int cycle = 0; cycle <= o.cycles; ++cycle) {
      CurvePoint point{names.back(), cycle, static_cast<int>(labelled.size()), {}, 0};
      fs::path model_dir = o.out_dir / "models" / (names.back() + "-cycle" + std::to_string(cycle));
      const bool reuse_initial = cycle == 0 && initial_point.has_value();
      if (reuse_initial) {
        model_dir = initial_model;
        point.test = initial_point->test, point.train_seconds = initial_point->train_seconds;
      } else {
        const auto [train_idx, val_idx] = [&] {
          std::vector<const PoolFrame*> ptrs;
          for (std::size_t i : labelled) ptrs.push_back(&parts.labelled[i]);
          auto [tr, va] = split_train_val(ptrs, 0.15, o.seed + cycle);
          std::vector<std::size_t> ti, vi;
          for (const PoolFrame* f : tr) ti.push_back(static_cast<std::size_t>(f - parts.labelled.data()));
          for (const PoolFrame* f : va) vi.push_back(static_cast<std::size_t>(f - parts.labelled.data()));
          return std::make_pair(ti, vi);
        }();
        pose::TrainOptions to = o.train;
        to.from_model = previous;
        if (to.seed == 0) to.seed = o.seed;
        if (o.steps_per_cycle > 0) to.steps = o.steps_per_cycle;
        point.train_seconds =
            pose::train_pose_model(subset(pool, train_idx), subset(pool, val_idx), p.skeleton(), to, model_dir, progress)
                .seconds;
      }
      previous = model_dir;
      const pose::PoseModel model = pose::PoseModel::load(model_dir, Device::parse(o.train.device));
      if (!reuse_initial) {
        pose::PredictOptions po;
        if (p.expected_animals() > 0) po.max_det = p.expected_animals();
        const auto predicted = pose::predict_dataset(model, test, po, progress);
        point.test = pose::evaluate_pose(truths(test), predicted, p.skeleton(), {});
        if (cycle == 0) initial_point = point, initial_model = model_dir;
      }
      log_info("simulate {} cycle {}: {} labelled, test OKS AP50-95 {:.3f}, RMSE {:.2f} px", point.strategy, cycle,
               point.labelled, point.test.oks_ap50_95, point.test.rmse_px);
      summary.curve.push_back(point);
      if (cycle == o.cycles) break;
      std::vector<bool> is_labelled(pool.size(), false);
      for (std::size_t i : labelled) is_labelled[i] = true;
      std::vector<std::vector<float>> labelled_features;
      for (std::size_t i : labelled)
        labelled_features.push_back(diversity_feature(o.features, pool[i].instances, pool[i].image,
                                                      p.expected_animals(), [&] { return features[i]; }));
      const std::vector<Candidate> candidates = simulation_candidates(
          model, pool, features, strata, is_labelled, strategy, p.expected_animals(), o.weights, o.features);
      for (std::size_t c : select_frames(candidates, labelled_features, o.per_cycle, strategy, o.seed + 1000 + cycle,
                                            o.hybrid_ramp_frames))
        labelled.push_back(static_cast<std::size_t>(candidates[c].key));
    }
  }

  summary.labels_to_reach_random = labels_to_reach_random(summary.curve, names);
  summary.mean_oks_ap = mean_oks_ap(summary.curve, names);
  summary.curve_csv = o.out_dir / "learning_curve.csv";
  summary.curve_png = o.out_dir / "learning_curve.png";
  summary.summary_json = o.out_dir / "summary.json";
  write_curve_csv(summary.curve_csv, summary.curve);
  write_curve_png(summary.curve_png, summary.curve, names);
  json reach = json::object();
  for (const auto& [name, n] : summary.labels_to_reach_random) reach[name] = n ? json(*n) : json(nullptr);
  json mean_ap = json::object();
  for (const auto& [name, ap] : summary.mean_oks_ap) mean_ap[name] = ap;
  json points = json::array();
  for (const CurvePoint& c : summary.curve)
    points.push_back({{"strategy", c.strategy}, {"cycle", c.cycle}, {"labelled", c.labelled},
                      {"test", json::parse(c.test.to_json())}, {"train_s", c.train_seconds}});
  const json doc = {{"project", project_dir.string()}, {"initial", o.initial}, {"per_cycle", o.per_cycle},
                    {"cycles", o.cycles}, {"seed", o.seed}, {"steps_per_cycle", o.steps_per_cycle},
                    {"hybrid_ramp_frames", o.hybrid_ramp_frames}, {"features", to_string(o.features)},
                    {"train", json::parse(o.train.to_json())},
                    {"labels_to_reach_random_final_oks_ap", reach}, {"mean_oks_ap", mean_ap}, {"curve", points}};
  write_file_atomically(summary.summary_json, doc.dump(1) + "\n");
  return summary;
}

void ActiveNextOptions::validate() const {
  if (n < 1) throw_invalid("active option n = " + std::to_string(n) + ": must be >= 1");
  if (hybrid_ramp_frames < 0)
    throw_invalid("active option hybrid_ramp_frames = " + std::to_string(hybrid_ramp_frames) + ": must be >= 0");
  if (!(val_fraction >= 0 && val_fraction < 1))
    throw_invalid("active option val_fraction = " + std::to_string(val_fraction) + ": must be in [0, 1)");
  train.validate();
}

ActiveNextSummary active_next(const fs::path& project_dir, const ActiveNextOptions& o,
                              const ProgressCallback& progress) {
  o.validate();
  project::Project p = project::Project::open(project_dir);
  const Partition parts = partition_project(p);
  if (parts.labelled.empty())
    throw_invalid("project " + quoted(project_dir.string()) +
                  ": no complete frames to train on; annotate the train frames first (behavtrack annotate)");

  ActiveNextSummary s;
  s.cycle = parts.latest_cycle + 1;
  s.model_name = "pose-cycle" + std::to_string(s.cycle);
  const auto [train_frames, val_frames] = split_train_val(pointers(parts.labelled), o.val_fraction, o.seed + s.cycle);
  s.labelled = static_cast<int>(parts.labelled.size());
  s.train = static_cast<int>(train_frames.size());
  s.val = static_cast<int>(val_frames.size());

  // Train from the previous cycle's model (BehavTrack's schedule unless set).
  pose::TrainOptions to = o.train;
  const std::string previous = previous_model_name(p);
  if (to.from_model.empty() && !previous.empty()) to.from_model = p.resolve(p.find_model(previous)->path);
  if (to.seed == 0) to.seed = o.seed;
  s.model_dir = p.dir() / "models" / s.model_name;
  const pose::TrainResult trained = pose::train_pose_model(to_dataset(train_frames), to_dataset(val_frames),
                                                           p.skeleton(), to, s.model_dir, progress);
  s.train_seconds = trained.seconds;
  const pose::PoseModel model = pose::PoseModel::load(s.model_dir, Device::parse(to.device));

  // Score the reserve, pick, queue predictions for correction.
  const std::vector<const PoolFrame*> reserve = pointers(parts.unlabelled);
  std::vector<std::vector<Instance>> predictions;
  const std::vector<Candidate> pool =
      score_pool(model, reserve, p.expected_animals(), o.weights, o.features, &predictions, progress);
  std::vector<std::vector<float>> labelled_features;
  for (const PoolFrame& f : parts.labelled) {
    const cv::Mat image = load_image(f.image);
    labelled_features.push_back(
        diversity_feature(o.features, f.truth, image, p.expected_animals(), [&] { return feature_of(f, image); }));
  }
  const std::vector<std::size_t> picked =
      select_frames(pool, labelled_features, o.n, o.strategy, o.seed + s.cycle, o.hybrid_ramp_frames);
  std::vector<std::pair<project::FrameId, std::vector<Instance>>> queued;
  for (std::size_t i : picked) queued.emplace_back(reserve[i]->record.id, predictions[i]);
  p.write_predictions(queued, s.model_name);
  s.selected = static_cast<int>(picked.size());
  s.reserve = static_cast<int>(reserve.size() - picked.size());
  s.mean_uncertainty_selected = mean_of(pool, picked);
  std::vector<std::size_t> everyone(pool.size());
  for (std::size_t i = 0; i < pool.size(); ++i) everyone[i] = i;
  s.mean_uncertainty_reserve = mean_of(pool, everyone);

  // Record the cycle and the model.
  std::vector<std::pair<project::FrameId, project::Split>> assignment;
  for (const PoolFrame& f : parts.test) assignment.emplace_back(f.record.id, project::Split::kTest);
  for (const PoolFrame* f : train_frames) assignment.emplace_back(f->record.id, project::Split::kTrain);
  for (const PoolFrame* f : val_frames) assignment.emplace_back(f->record.id, project::Split::kVal);
  std::set<std::size_t> picked_set(picked.begin(), picked.end());
  for (std::size_t i = 0; i < reserve.size(); ++i)
    assignment.emplace_back(reserve[i]->record.id, picked_set.count(i) ? project::Split::kPredict : project::Split::kReserve);
  const json options = {{"command", "active next"}, {"n", o.n}, {"strategy", to_string(o.strategy)},
                        {"seed", o.seed}, {"val_fraction", o.val_fraction}, {"hybrid_ramp_frames", o.hybrid_ramp_frames},
                        {"features", to_string(o.features)},
                        {"from_model", previous},
                        {"train", json::parse(to.to_json())}};
  p.add_cycle(o.seed, options.dump(), assignment);
  project::ModelRecord record;
  record.name = s.model_name;
  record.path = p.to_stored_path(s.model_dir);
  record.options_json = to.to_json();
  record.metrics_json = trained.val.to_json();
  p.add_model(record);

  const bool test_labelled = std::any_of(parts.test.begin(), parts.test.end(),
                                         [](const PoolFrame& f) { return f.record.state == project::FrameState::kComplete; });
  if (test_labelled)
    s.test = pose::evaluate_in_project(project_dir, "test", s.model_name, {}, to.device, progress).metrics;
  return s;
}

}  // namespace bt::analysis
