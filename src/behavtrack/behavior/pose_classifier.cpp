#include "behavtrack/behavior/pose_classifier.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "behavtrack/behavior/pose_features.h"
#include "behavtrack/behavior/smoothing.h"
#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"

namespace bt::behavior {
namespace {

using nlohmann::json;
constexpr const char* kModelFormat = "behavtrack.behavior-model/1";
constexpr std::size_t kPredictChunkRows = 4096;

// Every mouse-frame row of one video's features, in emission order.
using VideoRows = PoseFeatureRows;

PoseFeatureOptions feature_options(const PoseClassifierOptions& o, const InstancesFile& tracks) {
  PoseFeatureOptions f;
  f.fps = tracks.header.fps;
  f.width = tracks.header.width;
  f.height = tracks.header.height;
  f.skeleton = tracks.header.skeleton;
  f.nose_keypoint = o.nose_keypoint;
  f.tail_keypoint = o.tail_keypoint;
  f.ear_keypoints = o.ear_keypoints;
  f.windows_s = o.windows_s;
  try {
    f.validate();
  } catch (const Error& e) {
    throw Error(e.kind(), "tracks " + quoted(tracks.header.video) + ": " + e.what());
  }
  return f;
}

VideoRows extract_rows(const PoseClassifierOptions& o, const InstancesFile& tracks, Progress& progress) {
  PoseFeatureExtractor fx(feature_options(o, tracks));
  const std::size_t n = fx.feature_names().size();
  VideoRows rows;
  rows.names = fx.feature_names();
  rows.fps = tracks.header.fps;
  const FeatureSink sink = [&](FrameIndex f, TrackId id, const float* v) {
    rows.frames.push_back(f);
    rows.ids.push_back(id);
    rows.x.insert(rows.x.end(), v, v + n);
  };
  for (const auto& frame : tracks.frames) {
    fx.push(frame, sink);
    progress.advance();
  }
  fx.finish(sink);
  return rows;
}

std::int64_t total_frames(const std::vector<LabelledVideo>& videos) {
  std::int64_t n = 0;
  for (const auto& v : videos) n += static_cast<std::int64_t>(v.tracks.frames.size());
  return n;
}

// Each mouse's class sequence over its labelled span, -1 where unlabelled: the HMM's data.
std::vector<std::vector<int>> label_runs(const LabelSet& labels) {
  std::vector<std::vector<int>> runs;
  const auto entries = labels.entries();  // sorted by id, then frame
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i == 0 || entries[i].id != entries[i - 1].id) runs.emplace_back();
    if (!runs.back().empty()) {
      const FrameIndex gap = entries[i].frame - entries[i - 1].frame - 1;
      runs.back().insert(runs.back().end(), static_cast<std::size_t>(std::min<FrameIndex>(gap, 1)), -1);
    }
    runs.back().push_back(entries[i].class_index);
  }
  return runs;
}

json options_to_json(const PoseClassifierOptions& o) {
  return {{"behaviors", o.behaviors},
          {"windows_s", o.windows_s},
          {"nose_keypoint", o.nose_keypoint},
          {"tail_keypoint", o.tail_keypoint},
          {"ear_keypoints", o.ear_keypoints},
          {"gbt",
           {{"n_rounds", o.gbt.n_rounds},
            {"max_depth", o.gbt.max_depth},
            {"learning_rate", o.gbt.learning_rate},
            {"subsample", o.gbt.subsample},
            {"colsample", o.gbt.colsample},
            {"seed", o.gbt.seed}}},
          {"class_weighting", o.class_weighting},
          {"smoothing", to_string(o.smoothing)},
          {"min_bout_s", o.min_bout_s},
          {"train_stride", o.train_stride}};
}

PoseClassifierOptions options_from_json(const json& j) {
  PoseClassifierOptions o;
  o.behaviors = j.at("behaviors").get<std::vector<std::string>>();
  o.windows_s = j.at("windows_s").get<std::vector<double>>();
  o.nose_keypoint = j.at("nose_keypoint").get<std::string>();
  o.tail_keypoint = j.at("tail_keypoint").get<std::string>();
  o.ear_keypoints = j.at("ear_keypoints").get<std::vector<std::string>>();
  const json& g = j.at("gbt");
  o.gbt.n_rounds = g.at("n_rounds").get<int>();
  o.gbt.max_depth = g.at("max_depth").get<int>();
  o.gbt.learning_rate = g.at("learning_rate").get<double>();
  o.gbt.subsample = g.at("subsample").get<double>();
  o.gbt.colsample = g.at("colsample").get<double>();
  o.gbt.seed = g.at("seed").get<std::uint64_t>();
  o.class_weighting = j.at("class_weighting").get<bool>();
  o.smoothing = smoothing_from_string(j.at("smoothing").get<std::string>());
  o.min_bout_s = j.at("min_bout_s").get<double>();
  o.train_stride = j.at("train_stride").get<int>();
  return o;
}

json evaluation_to_json(const Evaluation& e) {
  json per_class = json::object();
  for (std::size_t c = 0; c < e.behaviors.size(); ++c) {
    per_class[e.behaviors[c]] = {{"precision", e.per_class[c].precision}, {"recall", e.per_class[c].recall},
                                 {"f1", e.per_class[c].f1}, {"frames", e.per_class[c].support},
                                 {"bout_f1", e.bout_per_class[c].f1}, {"bouts", e.bout_per_class[c].support}};
  }
  return {{"frames", e.n_frames}, {"accuracy", e.accuracy}, {"macro_f1", e.macro_f1},
          {"bout_macro_f1", e.bout_macro_f1}, {"per_class", per_class}, {"confusion", e.confusion}};
}

}  // namespace

Smoothing smoothing_from_string(const std::string& name) {
  if (name == "none") return Smoothing::kNone;
  if (name == "viterbi") return Smoothing::kViterbi;
  throw_invalid("smoothing " + quoted(name) + " is unknown; use none or viterbi");
}

std::string to_string(Smoothing s) { return s == Smoothing::kNone ? "none" : "viterbi"; }

void PoseClassifierOptions::validate() const {
  if (behaviors.size() < 2) throw_invalid("pose classifier: behaviors needs >= 2 classes, got " + std::to_string(behaviors.size()));
  for (std::size_t i = 0; i < behaviors.size(); ++i) {
    if (behaviors[i].empty() || behaviors[i].find_first_of(",\n\"") != std::string::npos)
      throw_invalid("pose classifier: behaviour name " + quoted(behaviors[i]) + " is empty or holds , \" or a newline");
    if (std::find(behaviors.begin(), behaviors.begin() + static_cast<long>(i), behaviors[i]) != behaviors.begin() + static_cast<long>(i))
      throw_invalid("pose classifier: behaviour " + quoted(behaviors[i]) + " is listed twice");
  }
  gbt.validate();
  if (!(min_bout_s >= 0) || !(min_bout_s <= 60)) throw_invalid("pose classifier: min_bout_s " + std::to_string(min_bout_s) + " must be in [0, 60]");
  if (train_stride < 1) throw_invalid("pose classifier: train_stride " + std::to_string(train_stride) + " must be >= 1");
  PoseFeatureOptions f;
  f.width = f.height = 1;
  f.windows_s = windows_s;
  f.validate();
}

// A trained model's state; PoseClassifier::Impl is this, behind the pimpl.
struct PoseModel {
  PoseClassifierOptions options;
  std::vector<std::string> feature_names;
  GbtClassifier gbt;
  TransitionModel transitions;

  int n_classes() const { return static_cast<int>(options.behaviors.size()); }

  // Per-mouse probabilities -> smoothed classes.
  void finish_mouse(MousePrediction& m, double fps) const {
    const std::size_t n = m.frames.size();
    m.classes = options.smoothing == Smoothing::kViterbi ? viterbi(m.proba, n, transitions)
                                                         : argmax_classes(m.proba, n, n_classes());
    enforce_min_bout(m.classes, static_cast<int>(std::lround(options.min_bout_s * fps)));
  }

  BehaviorPrediction predict_rows(const VideoRows& rows, double fps) const {
    const std::size_t n_rows = rows.frames.size();
    const std::vector<float> proba = gbt.predict_proba(rows.x.data(), n_rows);
    std::map<int, MousePrediction> mice;
    const std::size_t k = static_cast<std::size_t>(n_classes());
    for (std::size_t r = 0; r < n_rows; ++r) {
      MousePrediction& m = mice[rows.ids[r].value];
      m.id = rows.ids[r];
      m.frames.push_back(rows.frames[r]);
      m.proba.insert(m.proba.end(), proba.begin() + static_cast<long>(r * k), proba.begin() + static_cast<long>((r + 1) * k));
    }
    BehaviorPrediction p;
    p.behaviors = options.behaviors;
    p.fps = fps;
    for (auto& [id, m] : mice) {
      finish_mouse(m, fps);
      p.mice.push_back(std::move(m));
    }
    return p;
  }
};

struct PoseClassifier::Impl : PoseModel {};

PoseClassifier::PoseClassifier() : impl_(std::make_unique<Impl>()) {}
PoseClassifier::~PoseClassifier() = default;
PoseClassifier::PoseClassifier(PoseClassifier&&) noexcept = default;
PoseClassifier& PoseClassifier::operator=(PoseClassifier&&) noexcept = default;
const PoseClassifierOptions& PoseClassifier::options() const { return impl_->options; }
const std::vector<std::string>& PoseClassifier::feature_names() const { return impl_->feature_names; }

namespace {

void check_video(const LabelledVideo& v, const PoseClassifierOptions& o) {
  if (v.labels.behaviors() != o.behaviors)
    throw_invalid("labels " + quoted(v.name) + ": behaviour list differs from the classifier's");
  check_labels_against_tracks(v.labels, v.tracks, v.name);
}

// Step: labelled rows of the training videos -> class-weighted boosted trees + HMM.
PoseModel train_from_rows(const std::vector<const LabelSet*>& labels,
                                     const std::vector<const VideoRows*>& rows, const PoseClassifierOptions& o,
                                     std::size_t n_features, const ProgressCallback& progress) {
  std::vector<float> x;
  std::vector<int> y;
  std::vector<std::vector<int>> runs;
  for (std::size_t v = 0; v < labels.size(); ++v) {
    const VideoRows& r = *rows[v];
    std::map<int, int> seen;  // per mouse: labelled rows so far, for the stride
    for (std::size_t i = 0; i < r.frames.size(); ++i) {
      const auto c = labels[v]->find(r.frames[i], r.ids[i]);
      if (!c) continue;
      if (seen[r.ids[i].value]++ % o.train_stride != 0) continue;
      y.push_back(*c);
      x.insert(x.end(), r.x.begin() + static_cast<long>(i * n_features), r.x.begin() + static_cast<long>((i + 1) * n_features));
    }
    for (auto& run : label_runs(*labels[v])) runs.push_back(std::move(run));
  }
  if (y.empty()) throw_invalid("pose classifier: no labelled mouse-frame in the training videos; nothing to learn from");
  const int k = static_cast<int>(o.behaviors.size());
  const std::vector<float> w = o.class_weighting ? class_balance_weights(y, k) : std::vector<float>(y.size(), 1.0f);
  log_info("pose classifier: training on {} labelled mouse-frames, {} features", y.size(), n_features);
  PoseModel impl;
  impl.options = o;
  impl.gbt = GbtClassifier::train(x, y, w, static_cast<int>(n_features), k, o.gbt, progress);
  impl.transitions = TransitionModel::estimate(runs, k);
  return impl;
}

std::vector<std::string> feature_names_for(const PoseClassifierOptions& o, const InstancesFile& tracks) {
  return PoseFeatureExtractor(feature_options(o, tracks)).feature_names();
}

}  // namespace

PoseClassifier PoseClassifier::train(const std::vector<LabelledVideo>& videos, const PoseClassifierOptions& options,
                                     const ProgressCallback& progress) {
  options.validate();
  if (videos.empty()) throw_invalid("pose classifier: no training videos given");
  for (const auto& v : videos) check_video(v, options);
  std::vector<VideoRows> rows;
  {
    Progress p("pose features", total_frames(videos), progress);
    for (const auto& v : videos) rows.push_back(extract_rows(options, v.tracks, p));
    p.finish();
  }
  std::vector<const LabelSet*> vp;
  std::vector<const VideoRows*> rp;
  for (std::size_t i = 0; i < videos.size(); ++i) vp.push_back(&videos[i].labels), rp.push_back(&rows[i]);
  const auto names = feature_names_for(options, videos[0].tracks);
  PoseClassifier clf;
  static_cast<PoseModel&>(*clf.impl_) = train_from_rows(vp, rp, options, names.size(), progress);
  clf.impl_->feature_names = names;
  return clf;
}

BehaviorPrediction PoseClassifier::predict(const InstancesFile& tracks, const ProgressCallback& progress) const {
  const Impl& m = *impl_;
  PoseFeatureExtractor fx(feature_options(m.options, tracks));
  if (fx.feature_names() != m.feature_names)
    throw_invalid("tracks " + quoted(tracks.header.video) + ": features differ from the model's");
  const std::size_t n = m.feature_names.size(), k = static_cast<std::size_t>(m.n_classes());
  std::map<int, MousePrediction> mice;
  VideoRows chunk;
  auto flush = [&] {
    const std::vector<float> proba = m.gbt.predict_proba(chunk.x.data(), chunk.frames.size());
    for (std::size_t r = 0; r < chunk.frames.size(); ++r) {
      MousePrediction& mp = mice[chunk.ids[r].value];
      mp.id = chunk.ids[r];
      mp.frames.push_back(chunk.frames[r]);
      mp.proba.insert(mp.proba.end(), proba.begin() + static_cast<long>(r * k), proba.begin() + static_cast<long>((r + 1) * k));
    }
    chunk = {};
  };
  const FeatureSink sink = [&](FrameIndex f, TrackId id, const float* v) {
    chunk.frames.push_back(f);
    chunk.ids.push_back(id);
    chunk.x.insert(chunk.x.end(), v, v + n);
    if (chunk.frames.size() >= kPredictChunkRows) flush();
  };
  Progress p("behaviour " + tracks.header.video, static_cast<std::int64_t>(tracks.frames.size()), progress);
  for (const auto& frame : tracks.frames) {
    fx.push(frame, sink);
    p.advance();
  }
  fx.finish(sink);
  flush();
  p.finish();
  BehaviorPrediction out;
  out.behaviors = m.options.behaviors;
  out.fps = tracks.header.fps;
  for (auto& [id, mp] : mice) {
    m.finish_mouse(mp, out.fps);
    out.mice.push_back(std::move(mp));
  }
  return out;
}

PoseClassifier PoseClassifier::train_on_features(const std::vector<const PoseFeatureRows*>& rows,
                                                 const std::vector<const LabelSet*>& labels,
                                                 const PoseClassifierOptions& options, const ProgressCallback& progress) {
  options.validate();
  if (rows.empty()) throw_invalid("pose classifier: no training videos given");
  if (labels.size() != rows.size())
    throw_invalid("pose classifier: " + std::to_string(labels.size()) + " label sets for " +
                  std::to_string(rows.size()) + " feature tables");
  for (std::size_t v = 0; v < rows.size(); ++v) {
    if (labels[v]->behaviors() != options.behaviors)
      throw_invalid("pose classifier: the labels of training video " + std::to_string(v + 1) +
                    " have a behaviour list that differs from the classifier's");
    if (rows[v]->names != rows[0]->names)
      throw_invalid("pose classifier: training video " + std::to_string(v + 1) +
                    " has other features than the first; extract them with the same options and skeleton");
  }
  PoseClassifier clf;
  static_cast<PoseModel&>(*clf.impl_) = train_from_rows(labels, rows, options, rows[0]->names.size(), progress);
  clf.impl_->feature_names = rows[0]->names;
  return clf;
}

BehaviorPrediction PoseClassifier::predict_features(const PoseFeatureRows& rows) const {
  if (rows.names != impl_->feature_names) throw_invalid("pose classifier: feature rows differ from the model's features");
  return impl_->predict_rows(rows, rows.fps);
}

PoseFeatureRows extract_pose_features(const InstancesFile& tracks, const PoseClassifierOptions& options,
                                      const ProgressCallback& progress) {
  options.validate();
  Progress p("pose features", static_cast<std::int64_t>(tracks.frames.size()), progress);
  PoseFeatureRows rows = extract_rows(options, tracks, p);
  p.finish();
  return rows;
}

std::vector<std::string> stream_pose_features(const InstancesFile& tracks, const PoseClassifierOptions& options,
                                              const FeatureSink& sink, const ProgressCallback& progress) {
  options.validate();
  PoseFeatureExtractor fx(feature_options(options, tracks));
  Progress p("pose features", static_cast<std::int64_t>(tracks.frames.size()), progress);
  for (const auto& frame : tracks.frames) {
    fx.push(frame, sink);
    p.advance();
  }
  fx.finish(sink);
  p.finish();
  return fx.feature_names();
}

void PoseClassifier::save(const std::filesystem::path& folder, const Evaluation* metrics) const {
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw_io(quoted(folder.string()) + ": cannot create the model folder: " + ec.message());
  impl_->gbt.save(folder / "pose.xgb");
  json j = {{"format", kModelFormat},
            {"kind", "pose"},
            {"behaviors", impl_->options.behaviors},
            {"options", options_to_json(impl_->options)},
            {"features", impl_->feature_names},
            {"transitions", {{"n_classes", impl_->transitions.n_classes}, {"log_a", impl_->transitions.log_a}}},
            {"classifier_file", "pose.xgb"}};
  if (metrics) j["metrics"] = evaluation_to_json(*metrics);
  write_file_atomically(folder / "model.json", j.dump(2) + "\n");
}

PoseClassifier PoseClassifier::load(const std::filesystem::path& folder) {
  const std::filesystem::path path = folder / "model.json";
  if (!std::filesystem::exists(path))
    throw_not_found("model " + quoted(folder.string()) + ": no model.json; is this a behaviour model folder?");
  PoseClassifier clf;
  try {
    const json j = json::parse(read_file(path));
    if (j.at("format") != kModelFormat || j.at("kind") != "pose")
      throw_invalid(quoted(path.string()) + ": not a pose behaviour model (format/kind)");
    clf.impl_->options = options_from_json(j.at("options"));
    clf.impl_->feature_names = j.at("features").get<std::vector<std::string>>();
    clf.impl_->transitions.n_classes = j.at("transitions").at("n_classes").get<int>();
    clf.impl_->transitions.log_a = j.at("transitions").at("log_a").get<std::vector<double>>();
  } catch (const json::exception& e) {
    throw_invalid(quoted(path.string()) + ": " + json_error_text(e));
  }
  clf.impl_->options.validate();
  clf.impl_->transitions.validate();
  clf.impl_->gbt = GbtClassifier::load(folder / "pose.xgb");
  if (clf.impl_->gbt.n_features() != static_cast<int>(clf.impl_->feature_names.size()) ||
      clf.impl_->gbt.n_classes() != clf.impl_->n_classes())
    throw_invalid("model " + quoted(folder.string()) + ": pose.xgb does not match model.json's features or classes");
  return clf;
}

void add_to_evaluator(Evaluator& evaluator, const BehaviorPrediction& prediction, const LabelSet& labels) {
  for (const auto& m : prediction.mice) {
    std::vector<int> truth(m.frames.size());
    for (std::size_t t = 0; t < m.frames.size(); ++t) truth[t] = labels.find(m.frames[t], m.id).value_or(-1);
    evaluator.add_frames(truth, m.classes);
    // Predicted bouts are scored only over labelled frames, so partial labels do not count
    // unlabelled stretches as false positives.
    std::vector<int> predicted_on_labelled = m.classes;
    for (std::size_t t = 0; t < truth.size(); ++t)
      if (truth[t] < 0) predicted_on_labelled[t] = -1;
    evaluator.add_bouts(extract_bouts(m.id, m.frames, truth), extract_bouts(m.id, m.frames, predicted_on_labelled));
  }
}

CrossValidation cross_validate_pose(const std::vector<LabelledVideo>& videos, const PoseClassifierOptions& options,
                                    const ProgressCallback& progress) {
  options.validate();
  if (videos.size() < 2) throw_invalid("cross-validation: needs >= 2 videos for leave-one-video-out, got " + std::to_string(videos.size()));
  for (const auto& v : videos) check_video(v, options);
  std::vector<VideoRows> rows;
  {
    Progress p("pose features", total_frames(videos), progress);
    for (const auto& v : videos) rows.push_back(extract_rows(options, v.tracks, p));
    p.finish();
  }
  const std::size_t n_features = feature_names_for(options, videos[0].tracks).size();
  CrossValidation cv;
  Evaluator pooled(options.behaviors);
  Progress folds("leave-one-video-out", static_cast<std::int64_t>(videos.size()), progress);
  for (std::size_t held = 0; held < videos.size(); ++held) {
    std::vector<const LabelSet*> vp;
    std::vector<const VideoRows*> rp;
    for (std::size_t i = 0; i < videos.size(); ++i)
      if (i != held) vp.push_back(&videos[i].labels), rp.push_back(&rows[i]);
    const PoseModel model = train_from_rows(vp, rp, options, n_features, {});
    const BehaviorPrediction p = model.predict_rows(rows[held], videos[held].tracks.header.fps);
    Evaluator fold(options.behaviors);
    add_to_evaluator(fold, p, videos[held].labels);
    add_to_evaluator(pooled, p, videos[held].labels);
    cv.folds.emplace_back(videos[held].name, fold.result());
    log_info("cv fold {}: accuracy {:.4f} macro-F1 {:.4f}", videos[held].name, cv.folds.back().second.accuracy,
             cv.folds.back().second.macro_f1);
    folds.advance();
  }
  folds.finish();
  cv.overall = pooled.result();
  return cv;
}

}  // namespace bt::behavior
