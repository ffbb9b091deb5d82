#include "behavtrack/analysis/behavior_active.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <sstream>
#include <tuple>

#include "behavtrack/analysis/learning_curve_plot.h"
#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/project/project.h"
#include "behavtrack/project/videos.h"

namespace bt::analysis {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// ---- diversity features: z-scored window means of the pose features ----

// Sums of each feature per window and over every row, so that the z-scored mean of a window
// comes out of one streaming pass: mean_w(z) = (mean_w(x) - mu) / sd over the defined values.
class WindowFeatureSums {
 public:
  explicit WindowFeatureSums(std::size_t n_features)
      : n_(n_features), total_(n_features, 0.0), total_sq_(n_features, 0.0), total_n_(n_features, 0) {}

  void add(std::size_t video, TrackId id, std::int64_t tile, const float* values) {
    Sum& w = windows_[{video, id.value, tile}];
    if (w.sum.empty()) w.sum.assign(n_, 0.0), w.count.assign(n_, 0);
    for (std::size_t f = 0; f < n_; ++f) {
      const double v = values[f];
      if (!std::isfinite(v)) continue;
      w.sum[f] += v, ++w.count[f];
      total_[f] += v, total_sq_[f] += v * v, ++total_n_[f];
    }
  }

  std::vector<float> feature(std::size_t video, TrackId id, std::int64_t tile) const {
    std::vector<float> out(n_, 0.0f);
    const auto it = windows_.find({video, id.value, tile});
    if (it == windows_.end()) return out;
    for (std::size_t f = 0; f < n_; ++f) {
      if (it->second.count[f] == 0 || total_n_[f] < 2) continue;
      const double mu = total_[f] / total_n_[f];
      const double var = std::max(0.0, total_sq_[f] / total_n_[f] - mu * mu);
      const double sd = std::sqrt(var);
      if (!(sd > 1e-12)) continue;
      out[f] = static_cast<float>((it->second.sum[f] / it->second.count[f] - mu) / sd);
    }
    return out;
  }

 private:
  struct Sum {
    std::vector<double> sum;
    std::vector<std::uint32_t> count;
  };
  std::size_t n_;
  std::map<std::tuple<std::size_t, int, std::int64_t>, Sum> windows_;
  std::vector<double> total_, total_sq_;
  std::vector<std::uint64_t> total_n_;
};

int stratum_of(const BehaviorWindow& w) { return static_cast<int>(w.video) * 1000 + w.id.value; }

// Acquisition candidates for `windows[which]` (key = index into `windows`).
std::vector<Candidate> candidates_of(const std::vector<BehaviorWindow>& windows, const std::vector<std::size_t>& which,
                                     const std::vector<std::vector<float>>& features) {
  std::vector<Candidate> out;
  for (std::size_t i : which)
    out.push_back({static_cast<std::int64_t>(i), stratum_of(windows[i]), features[i], windows[i].uncertainty.total});
  return out;
}

// select_frames over windows; returns indices into `windows`. Hybrid keeps uncertainty's
// full weight from the first cycle (no cold-start ramp): the behaviour curves were measured
// that way.
std::vector<std::size_t> pick_windows(const std::vector<Candidate>& candidates,
                                      const std::vector<std::vector<float>>& labelled_features, int k,
                                      Strategy strategy, std::uint64_t seed) {
  const std::vector<std::size_t> chosen = select_frames(candidates, labelled_features, k, strategy, seed, 0);
  std::vector<std::size_t> out;
  for (std::size_t c : chosen) out.push_back(static_cast<std::size_t>(candidates[c].key));
  return out;
}

double mean_uncertainty(const std::vector<BehaviorWindow>& windows, const std::vector<std::size_t>& which) {
  if (which.empty()) return 0;
  double s = 0;
  for (std::size_t i : which) s += windows[i].uncertainty.total;
  return s / which.size();
}

int most_frequent(const int* classes, std::size_t n, int n_classes) {
  std::vector<int> count(static_cast<std::size_t>(n_classes), 0);
  for (std::size_t t = 0; t < n; ++t)
    if (classes[t] >= 0 && classes[t] < n_classes) ++count[classes[t]];
  return static_cast<int>(std::max_element(count.begin(), count.end()) - count.begin());
}

void rescore(std::vector<BehaviorWindow>& windows, const std::vector<behavior::BehaviorPrediction>& predictions,
             const WindowUncertaintyWeights& weights) {
  for (BehaviorWindow& w : windows) {
    const behavior::BehaviorPrediction& p = predictions[w.video];
    const behavior::MousePrediction& m = p.mice[w.mouse];
    const int k = static_cast<int>(p.behaviors.size());
    w.uncertainty = score_window(m.proba.data() + w.first * k, m.classes.data() + w.first, w.mouse_frames(), k, weights);
    w.predicted = most_frequent(m.classes.data() + w.first, w.mouse_frames(), k);
  }
}

// ---- plotting and tables ----

// Test macro-F1 against labelled windows, one line per strategy; dashed: random-stratified's
// final macro-F1, the level the others must reach.
void write_curve_png(const fs::path& path, const std::vector<BehaviorCurvePoint>& curve,
                     const std::vector<std::string>& strategies, double target) {
  std::vector<CurveSeries> series;
  for (const std::string& name : strategies) {
    series.push_back({name, {}});
    for (const BehaviorCurvePoint& c : curve)
      if (c.strategy == name) series.back().points.emplace_back(c.windows, c.test.macro_f1);
  }
  write_learning_curve_png(path, series, "labelled windows", "test macro-F1 (behaviour, per frame)", target);
}

void write_curve_csv(const fs::path& path, const std::vector<BehaviorCurvePoint>& curve) {
  AtomicFile f(path);
  f.stream() << "strategy,cycle,windows,mouse_frames,macro_f1,accuracy,bout_macro_f1,train_s\n";
  for (const BehaviorCurvePoint& c : curve)
    f.stream() << c.strategy << ',' << c.cycle << ',' << c.windows << ',' << c.mouse_frames << ',' << c.test.macro_f1
               << ',' << c.test.accuracy << ',' << c.test.bout_macro_f1 << ',' << c.train_seconds << '\n';
  f.commit();
}

std::vector<LabelsToReach> labels_to_reach(const std::vector<BehaviorCurvePoint>& curve,
                                           const std::vector<std::string>& strategies, double target) {
  std::vector<LabelsToReach> out;
  for (const std::string& s : strategies) {
    LabelsToReach r{s, std::nullopt, std::nullopt};
    for (const BehaviorCurvePoint& c : curve)
      if (c.strategy == s && c.test.macro_f1 >= target && !r.windows) r.windows = c.windows, r.mouse_frames = c.mouse_frames;
    out.push_back(r);
  }
  return out;
}

json evaluation_json(const behavior::Evaluation& e) {
  json per_class = json::object();
  for (std::size_t c = 0; c < e.behaviors.size(); ++c)
    per_class[e.behaviors[c]] = {{"f1", e.per_class[c].f1}, {"frames", e.per_class[c].support}};
  return {{"frames", e.n_frames}, {"accuracy", e.accuracy}, {"macro_f1", e.macro_f1},
          {"bout_macro_f1", e.bout_macro_f1}, {"per_class", per_class}};
}

json weights_json(const WindowOptions& o) {
  return {{"window_s", o.window_s}, {"min_coverage", o.min_coverage},
          {"weights", {{"entropy", o.weights.entropy}, {"margin", o.weights.margin},
                       {"disagreement", o.weights.disagreement}}}};
}

}  // namespace

// ---- scoring ----

void WindowUncertaintyWeights::validate() const {
  if (!(entropy >= 0) || !(margin >= 0) || !(disagreement >= 0) || !(entropy + margin + disagreement > 0))
    throw_invalid(fmt::format("window uncertainty weights (entropy {:g}, margin {:g}, disagreement {:g}): each must "
                              "be >= 0 and one > 0", entropy, margin, disagreement));
}

WindowUncertainty score_window(const float* proba, const int* smoothed, std::size_t n, int n_classes,
                               const WindowUncertaintyWeights& w) {
  WindowUncertainty u;
  if (n == 0 || n_classes < 2) return u;
  const double log_k = std::log(static_cast<double>(n_classes));
  for (std::size_t t = 0; t < n; ++t) {
    const float* p = proba + t * n_classes;
    double h = 0, first = -1, second = -1;
    int arg = 0;
    for (int c = 0; c < n_classes; ++c) {
      const double q = std::clamp<double>(p[c], 0.0, 1.0);
      if (q > 0) h -= q * std::log(q);  // H = -sum p log p
      if (q > first) second = first, first = q, arg = c;
      else if (q > second) second = q;
    }
    u.entropy += h / log_k;
    u.margin += 1.0 - (first - second);
    u.disagreement += smoothed[t] != arg ? 1.0 : 0.0;
  }
  u.entropy /= n, u.margin /= n, u.disagreement /= n;
  u.total = (w.entropy * u.entropy + w.margin * u.margin + w.disagreement * u.disagreement) /
            (w.entropy + w.margin + w.disagreement);
  return u;
}

void WindowOptions::validate() const {
  if (!(window_s > 0) || !(window_s <= 600))
    throw_invalid(fmt::format("window_s = {:g}: must be in (0, 600] seconds", window_s));
  if (!(min_coverage > 0) || !(min_coverage <= 1))
    throw_invalid(fmt::format("min_coverage = {:g}: must be in (0, 1]", min_coverage));
  weights.validate();
}

int WindowOptions::window_frames(double fps) const {
  return std::max(1, static_cast<int>(std::lround(window_s * fps)));
}

std::vector<BehaviorWindow> behavior_windows(const behavior::BehaviorPrediction& prediction, std::size_t video,
                                             const WindowOptions& o) {
  o.validate();
  if (!(prediction.fps > 0)) throw_invalid("behaviour windows: the prediction's fps is unknown; the tracks need an fps");
  const int w = o.window_frames(prediction.fps);
  const int k = static_cast<int>(prediction.behaviors.size());
  std::vector<BehaviorWindow> out;
  for (std::size_t m = 0; m < prediction.mice.size(); ++m) {
    const behavior::MousePrediction& mouse = prediction.mice[m];
    std::size_t first = 0;
    while (first < mouse.frames.size()) {
      const std::int64_t tile = mouse.frames[first] / w;
      std::size_t last = first;
      while (last < mouse.frames.size() && mouse.frames[last] / w == tile) ++last;
      if (static_cast<double>(last - first) >= o.min_coverage * w) {
        BehaviorWindow win;
        win.video = video, win.mouse = m, win.id = mouse.id, win.tile = tile;
        win.start_frame = mouse.frames[first], win.end_frame = mouse.frames[last - 1];
        win.first = first, win.last = last;
        win.uncertainty = score_window(mouse.proba.data() + first * k, mouse.classes.data() + first, last - first, k, o.weights);
        win.predicted = most_frequent(mouse.classes.data() + first, last - first, k);
        out.push_back(win);
      }
      first = last;
    }
  }
  return out;
}

// ---- simulation ----

void BehaviorSimulateOptions::validate() const {
  if (strategies.empty()) throw_invalid("simulate: no strategies given");
  if (initial < 1) throw_invalid("simulate option initial = " + std::to_string(initial) + ": must be >= 1");
  if (per_cycle < 1) throw_invalid("simulate option per_cycle = " + std::to_string(per_cycle) + ": must be >= 1");
  if (cycles < 0) throw_invalid("simulate option cycles = " + std::to_string(cycles) + ": must be >= 0");
  if (out_dir.empty()) throw_invalid("simulate: --out is required");
  windows.validate();
  classifier.validate();
}

namespace {

struct SimulationData {
  std::vector<behavior::PoseFeatureRows> pool_rows, test_rows;
  // Per pool video: each mouse's frames in the order a prediction lists them (what a
  // window's rows index), with flat probabilities until a model has predicted.
  std::vector<behavior::BehaviorPrediction> shapes;
  std::vector<BehaviorWindow> windows;          // every window of the pool
  std::vector<std::vector<float>> features;     // per window
};

behavior::BehaviorPrediction shape_of(const behavior::PoseFeatureRows& r, const std::vector<std::string>& behaviors) {
  behavior::BehaviorPrediction shape;
  shape.behaviors = behaviors;
  shape.fps = r.fps;
  std::map<int, behavior::MousePrediction> mice;
  const std::size_t k = behaviors.size();
  for (std::size_t i = 0; i < r.n_rows(); ++i) {
    behavior::MousePrediction& m = mice[r.ids[i].value];
    m.id = r.ids[i];
    m.frames.push_back(r.frames[i]);
    m.classes.push_back(0);
    m.proba.insert(m.proba.end(), k, 1.0f / k);
  }
  for (auto& [id, m] : mice) shape.mice.push_back(std::move(m));
  return shape;
}

SimulationData prepare_simulation(const std::vector<behavior::LabelledVideo>& pool,
                                  const std::vector<behavior::LabelledVideo>& test, const BehaviorSimulateOptions& o,
                                  const ProgressCallback& progress) {
  SimulationData d;
  for (const auto& v : pool) {
    behavior::check_labels_against_tracks(v.labels, v.tracks, v.name);
    d.pool_rows.push_back(behavior::extract_pose_features(v.tracks, o.classifier, progress));
  }
  for (const auto& v : test) {
    behavior::check_labels_against_tracks(v.labels, v.tracks, v.name);
    d.test_rows.push_back(behavior::extract_pose_features(v.tracks, o.classifier, progress));
  }
  // Window geometry depends on the tracks only, not on the model.
  WindowFeatureSums sums(d.pool_rows.empty() ? 0 : d.pool_rows[0].names.size());
  for (std::size_t v = 0; v < pool.size(); ++v) {
    const behavior::PoseFeatureRows& r = d.pool_rows[v];
    const int w = o.windows.window_frames(r.fps);
    for (std::size_t i = 0; i < r.n_rows(); ++i) sums.add(v, r.ids[i], r.frames[i] / w, r.x.data() + i * r.names.size());
    d.shapes.push_back(shape_of(r, o.classifier.behaviors));
    for (const BehaviorWindow& win : behavior_windows(d.shapes.back(), v, o.windows)) d.windows.push_back(win);
  }
  for (const BehaviorWindow& win : d.windows) d.features.push_back(sums.feature(win.video, win.id, win.tile));
  return d;
}

// Copies the truth of window `w` into `labels`; returns the mouse-frames labelled.
std::int64_t label_window(const BehaviorWindow& w, const behavior::BehaviorPrediction& shape,
                          const behavior::LabelSet& truth, behavior::LabelSet& labels) {
  std::int64_t n = 0;
  const behavior::MousePrediction& m = shape.mice[w.mouse];
  for (std::size_t r = w.first; r < w.last; ++r)
    if (const auto c = truth.find(m.frames[r], m.id)) labels.set(m.frames[r], m.id, *c), ++n;
  return n;
}

behavior::Evaluation evaluate(const behavior::PoseClassifier& clf, const SimulationData& d,
                              const std::vector<behavior::LabelledVideo>& test,
                              const std::vector<std::string>& behaviors) {
  behavior::Evaluator ev(behaviors);
  for (std::size_t v = 0; v < test.size(); ++v)
    behavior::add_to_evaluator(ev, clf.predict_features(d.test_rows[v]), test[v].labels);
  return ev.result();
}

}  // namespace

BehaviorSimulateSummary simulate_behavior_active_learning(const std::vector<behavior::LabelledVideo>& pool,
                                                          const std::vector<behavior::LabelledVideo>& test,
                                                          const BehaviorSimulateOptions& o,
                                                          const ProgressCallback& progress) {
  o.validate();
  if (pool.empty()) throw_invalid("simulate: no pool videos given (--train)");
  if (test.empty()) throw_invalid("simulate: no test videos given (--test)");
  for (const auto* set : {&pool, &test})
    for (const auto& v : *set)
      if (v.labels.behaviors() != o.classifier.behaviors)
        throw_invalid("labels " + bt::quoted(v.name) + ": behaviour list differs from the classifier's");
  const SimulationData d = prepare_simulation(pool, test, o, progress);
  const int needed = o.initial + o.per_cycle * o.cycles;
  if (static_cast<int>(d.windows.size()) < needed)
    throw_invalid(fmt::format("simulate: the pool has {} windows of {:g} s, the simulation needs {} (initial + "
                              "per_cycle x cycles); give more or longer --train videos",
                              d.windows.size(), o.windows.window_s, needed));

  // The same initial windows for every strategy.
  std::vector<std::size_t> everyone(d.windows.size());
  std::iota(everyone.begin(), everyone.end(), 0);
  std::vector<std::size_t> initial;
  {
    initial = pick_windows(candidates_of(d.windows, everyone, d.features), {}, o.initial, Strategy::kRandomStratified,
                           o.seed);
  }
  fs::create_directories(o.out_dir);

  BehaviorSimulateSummary summary;
  std::vector<std::string> names;
  Progress bar("behaviour active learning", static_cast<std::int64_t>(o.strategies.size()) * (o.cycles + 1), progress);
  for (Strategy strategy : o.strategies) {
    names.push_back(to_string(strategy));
    std::vector<BehaviorWindow> windows = d.windows;
    std::vector<behavior::BehaviorPrediction> pool_pred(pool.size());
    std::vector<behavior::LabelSet> labels(pool.size(), behavior::LabelSet(o.classifier.behaviors));
    std::vector<bool> is_labelled(windows.size(), false);
    std::vector<std::size_t> labelled;
    std::int64_t mouse_frames = 0;
    auto take = [&](std::size_t i) {
      is_labelled[i] = true;
      labelled.push_back(i);
      mouse_frames += label_window(windows[i], d.shapes[windows[i].video], pool[windows[i].video].labels,
                                   labels[windows[i].video]);
    };
    for (std::size_t i : initial) take(i);
    for (int cycle = 0; cycle <= o.cycles; ++cycle) {
      std::vector<const behavior::PoseFeatureRows*> rows;
      std::vector<const behavior::LabelSet*> sets;
      for (std::size_t v = 0; v < pool.size(); ++v) rows.push_back(&d.pool_rows[v]), sets.push_back(&labels[v]);
      const auto t0 = std::chrono::steady_clock::now();
      const behavior::PoseClassifier clf = behavior::PoseClassifier::train_on_features(rows, sets, o.classifier, {});
      const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      BehaviorCurvePoint point{names.back(), cycle, static_cast<int>(labelled.size()), mouse_frames,
                               evaluate(clf, d, test, o.classifier.behaviors), train_s};
      log_info("simulate {} cycle {}: {} windows ({} mouse-frames), test macro-F1 {:.3f}", point.strategy, cycle,
               point.windows, point.mouse_frames, point.test.macro_f1);
      summary.curve.push_back(point);
      bar.advance();
      if (cycle == o.cycles) break;

      if (strategy == Strategy::kUncertainty || strategy == Strategy::kHybrid) {
        for (std::size_t v = 0; v < pool.size(); ++v) pool_pred[v] = clf.predict_features(d.pool_rows[v]);
        rescore(windows, pool_pred, o.windows.weights);
      }
      std::vector<std::size_t> open;
      for (std::size_t i = 0; i < windows.size(); ++i)
        if (!is_labelled[i]) open.push_back(i);
      std::vector<std::vector<float>> labelled_features;
      for (std::size_t i : labelled) labelled_features.push_back(d.features[i]);
      const std::vector<Candidate> candidates = candidates_of(windows, open, d.features);
      for (std::size_t i : pick_windows(candidates, labelled_features, o.per_cycle, strategy, o.seed + 1000 + cycle))
        take(i);
    }
  }
  bar.finish();

  // Random-stratified's final macro-F1 is the level to reach (the first strategy's when
  // random-stratified was not run).
  const std::string reference = std::find(names.begin(), names.end(), to_string(Strategy::kRandomStratified)) != names.end()
                                    ? to_string(Strategy::kRandomStratified) : names.front();
  for (const BehaviorCurvePoint& c : summary.curve)
    if (c.strategy == reference) summary.target_macro_f1 = c.test.macro_f1;  // the last one wins
  summary.labels_to_reach_random = labels_to_reach(summary.curve, names, summary.target_macro_f1);
  summary.curve_csv = o.out_dir / "learning_curve.csv";
  summary.curve_png = o.out_dir / "learning_curve.png";
  summary.summary_json = o.out_dir / "summary.json";
  write_curve_csv(summary.curve_csv, summary.curve);
  write_curve_png(summary.curve_png, summary.curve, names, summary.target_macro_f1);

  json reach = json::object();
  for (const LabelsToReach& r : summary.labels_to_reach_random)
    reach[r.strategy] = {{"windows", r.windows ? json(*r.windows) : json(nullptr)},
                         {"mouse_frames", r.mouse_frames ? json(*r.mouse_frames) : json(nullptr)}};
  json points = json::array();
  for (const BehaviorCurvePoint& c : summary.curve)
    points.push_back({{"strategy", c.strategy}, {"cycle", c.cycle}, {"windows", c.windows},
                      {"mouse_frames", c.mouse_frames}, {"test", evaluation_json(c.test)}, {"train_s", c.train_seconds}});
  json pool_names = json::array(), test_names = json::array();
  for (const auto& v : pool) pool_names.push_back(v.name);
  for (const auto& v : test) test_names.push_back(v.name);
  const json doc = {{"task", "behavior"}, {"pool", pool_names}, {"test", test_names},
                    {"pool_windows", d.windows.size()}, {"initial", o.initial}, {"per_cycle", o.per_cycle},
                    {"cycles", o.cycles}, {"seed", o.seed}, {"windows", weights_json(o.windows)},
                    {"classifier", {{"rounds", o.classifier.gbt.n_rounds}, {"depth", o.classifier.gbt.max_depth},
                                    {"windows_s", o.classifier.windows_s}}},
                    {"reference", reference}, {"target_macro_f1", summary.target_macro_f1},
                    {"labels_to_reach_random_final_macro_f1", reach}, {"curve", points}};
  write_file_atomically(summary.summary_json, doc.dump(1) + "\n");
  return summary;
}

// ---- proposals in a project ----

void BehaviorNextOptions::validate() const {
  if (n < 1) throw_invalid("active option n = " + std::to_string(n) + ": must be >= 1");
  windows.validate();
}

namespace {

struct NextVideo {
  project::VideoRecord record;
  std::string stored_path;
  fs::path tracks_path;
  behavior::BehaviorPrediction prediction;
};

// What the project holds for one mouse's frames [a, b]: a confirmed bout there makes the
// window labelled; proposals alone (unconfirmed) make it queued for a person.
enum class WindowStatus { kOpen, kQueued, kLabelled };

WindowStatus window_status(const std::vector<project::Bout>& bouts, TrackId track, FrameIndex a, FrameIndex b) {
  bool queued = false;
  for (const project::Bout& x : bouts) {
    if (x.track != track || x.start_frame > b || x.end_frame < a) continue;
    if (x.confirmed) return WindowStatus::kLabelled;
    queued = true;
  }
  return queued ? WindowStatus::kQueued : WindowStatus::kOpen;
}

// The smoothed classes of the window as bouts: a class change or a frame gap ends one.
std::vector<project::Bout> window_bouts(const BehaviorWindow& w, const NextVideo& v) {
  const behavior::MousePrediction& m = v.prediction.mice[w.mouse];
  std::vector<project::Bout> out;
  for (std::size_t r = w.first; r < w.last; ++r) {
    const bool extends = !out.empty() && m.frames[r] == out.back().end_frame + 1 &&
                         out.back().behavior == v.prediction.behaviors[m.classes[r]];
    if (extends) {
      out.back().end_frame = m.frames[r];
      continue;
    }
    project::Bout b;
    b.video_id = v.record.id, b.track = m.id, b.behavior = v.prediction.behaviors[m.classes[r]];
    b.start_frame = b.end_frame = m.frames[r];
    b.source = project::Source::kPredicted;
    b.confirmed = false;
    out.push_back(b);
  }
  return out;
}

void check_behaviors(const project::Project& p, const fs::path& model_dir, const std::vector<std::string>& model) {
  for (const std::string& b : model)
    if (std::find(p.behaviors().begin(), p.behaviors().end(), b) == p.behaviors().end())
      throw_invalid("model " + bt::quoted(model_dir.string()) + ": behaviour " + bt::quoted(b) +
                    " is not in the project's behaviour list; train the model on the project's behaviours");
}

void write_windows_csv(AtomicFile& f, const std::vector<ProposedWindow>& windows) {
  std::ostream& s = f.stream();
  s << "video_id,video,id,start_frame,end_frame,start_s,end_s,mouse_frames,uncertainty,entropy,margin,disagreement,"
       "predicted,bout_ids\n";
  for (const ProposedWindow& w : windows) {
    std::string ids;
    for (std::int64_t id : w.bout_ids) ids += (ids.empty() ? "" : " ") + std::to_string(id);
    std::string video = w.video;
    if (video.find_first_of(",\"\n") != std::string::npos) {
      std::string q = "\"";
      for (char c : video) q += c == '"' ? std::string("\"\"") : std::string(1, c);
      video = q + "\"";
    }
    s << w.video_id << ',' << video << ',' << w.id.value << ',' << w.start_frame << ',' << w.end_frame << ','
      << w.start_s << ',' << w.end_s << ',' << w.mouse_frames << ',' << w.uncertainty.total << ','
      << w.uncertainty.entropy << ',' << w.uncertainty.margin << ',' << w.uncertainty.disagreement << ','
      << w.predicted << ',' << ids << '\n';
  }
}

json window_json(const ProposedWindow& w) {
  return {{"video_id", w.video_id}, {"id", w.id.value}, {"start_frame", w.start_frame}, {"end_frame", w.end_frame},
          {"uncertainty", w.uncertainty.total}, {"predicted", w.predicted}, {"bout_ids", w.bout_ids}};
}

}  // namespace

BehaviorNextSummary behavior_next(const fs::path& project_dir, const fs::path& model_dir,
                                  const std::vector<TracksInput>& inputs, const BehaviorNextOptions& o,
                                  const ProgressCallback& progress) {
  o.validate();
  if (inputs.empty()) throw_invalid("active behavior-next: no tracks given (--tracks)");
  project::Project p = project::Project::open(project_dir);
  const behavior::PoseClassifier clf = behavior::PoseClassifier::load(model_dir);
  if (o.write_bouts) check_behaviors(p, model_dir, clf.options().behaviors);

  // Step 1-2: match each tracks file to its video; predict; stream the window features.
  std::vector<NextVideo> videos;
  WindowFeatureSums sums(clf.feature_names().size());
  std::vector<BehaviorWindow> windows;
  std::vector<WindowStatus> status;
  for (const TracksInput& in : inputs) {
    InstancesFile tracks = read_instances_json(in.tracks);
    behavior::require_tracked(tracks, in.tracks.string());
    if (tracks.header.video.empty() && !in.video.empty()) tracks.header.video = in.video.filename().string();
    const FrameIndex last_frame = tracks.frames.empty() ? -1 : tracks.frames.back().frame;
    NextVideo v{project::video_of_tracks(p, in.tracks, tracks.header.video, in.video, last_frame), "", in.tracks, {}};
    for (const NextVideo& earlier : videos)
      if (earlier.record.id == v.record.id)
        throw_invalid("tracks " + bt::quoted(in.tracks.string()) + ": video " + bt::quoted(v.record.path.filename().string()) +
                      " is already given by tracks " + bt::quoted(earlier.tracks_path.string()));
    v.stored_path = p.to_stored_path(v.record.path);
    v.prediction = clf.predict(tracks, progress);
    const std::size_t index = videos.size();
    const int w = o.windows.window_frames(v.prediction.fps);
    behavior::stream_pose_features(tracks, clf.options(), [&](FrameIndex f, TrackId id, const float* x) {
      sums.add(index, id, f / w, x);
    }, {});
    const std::vector<project::Bout> bouts = p.list_bouts(v.record.id);
    for (const BehaviorWindow& win : behavior_windows(v.prediction, index, o.windows)) {
      windows.push_back(win);
      status.push_back(window_status(bouts, win.id, win.tile * w, (win.tile + 1) * w - 1));
    }
    for (const behavior::MousePrediction& m : v.prediction.mice)
      if (m.id.value > p.expected_animals())
        log_warn("tracks {}: mouse {} is beyond the project's {} animals; the annotation app shows mice 1..{}",
                 in.tracks.string(), m.id.value, p.expected_animals(), p.expected_animals());
    videos.push_back(std::move(v));
  }

  // Step 3: pick among the windows no bout covers yet. Diversity moves away from the
  // labelled windows and from those queued for a person (a near-copy of a window already
  // waiting for review teaches little more).
  std::vector<std::size_t> open, done, queued;
  for (std::size_t i = 0; i < windows.size(); ++i)
    (status[i] == WindowStatus::kOpen ? open : status[i] == WindowStatus::kQueued ? queued : done).push_back(i);
  if (windows.empty()) throw_invalid("active behavior-next: the tracks hold no window of a tracked mouse");
  std::vector<std::vector<float>> features;
  for (const BehaviorWindow& w : windows) features.push_back(sums.feature(w.video, w.id, w.tile));
  std::vector<std::vector<float>> labelled_features;
  for (const auto* set : {&done, &queued})
    for (std::size_t i : *set) labelled_features.push_back(features[i]);
  const std::vector<Candidate> candidates = candidates_of(windows, open, features);
  std::vector<std::size_t> picked = pick_windows(candidates, labelled_features, o.n, o.strategy, o.seed);
  std::stable_sort(picked.begin(), picked.end(), [&](std::size_t a, std::size_t b) {
    return windows[a].uncertainty.total > windows[b].uncertainty.total;
  });

  BehaviorNextSummary s;
  s.candidates = open.size();
  s.labelled = done.size();
  s.queued = queued.size();
  s.mean_uncertainty_candidates = mean_uncertainty(windows, open);
  s.mean_uncertainty_selected = mean_uncertainty(windows, picked);
  for (std::size_t i : picked) {
    const BehaviorWindow& w = windows[i];
    const NextVideo& v = videos[w.video];
    const double fps = v.prediction.fps;
    s.windows.push_back({v.record.id, v.stored_path, w.id, w.start_frame, w.end_frame, w.start_frame / fps,
                         (w.end_frame + 1) / fps, w.mouse_frames(), w.uncertainty,
                         v.prediction.behaviors[static_cast<std::size_t>(w.predicted)], {}});
  }

  // Step 4: bouts, run record and CSV together (the CSV is written inside the transaction,
  // so a failure leaves neither).
  json tracks_json = json::array();
  for (const NextVideo& v : videos) tracks_json.push_back({{"tracks", v.tracks_path.string()}, {"video_id", v.record.id}});
  const json options = {{"command", "active behavior-next"}, {"model", fs::absolute(model_dir).string()},
                        {"inputs", tracks_json}, {"n", o.n}, {"strategy", to_string(o.strategy)}, {"seed", o.seed},
                        {"windows", weights_json(o.windows)}, {"write_bouts", o.write_bouts}};
  p.transaction([&] {
    if (o.write_bouts)
      for (std::size_t j = 0; j < picked.size(); ++j)
        for (const project::Bout& b : window_bouts(windows[picked[j]], videos[windows[picked[j]].video])) {
          s.windows[j].bout_ids.push_back(p.add_bout(b));
          ++s.bouts_written;
        }
    json listed = json::array();
    for (const ProposedWindow& w : s.windows) listed.push_back(window_json(w));
    project::RunRecord run;
    run.kind = "behavior-proposals";
    run.options_json = options.dump();
    s.proposals_waiting = p.count_bouts().unconfirmed;
    run.metrics_json = json({{"windows", listed}, {"candidates", s.candidates}, {"labelled", s.labelled},
                             {"queued", s.queued}, {"proposals_waiting", s.proposals_waiting},
                             {"mean_uncertainty_selected", s.mean_uncertainty_selected},
                             {"mean_uncertainty_candidates", s.mean_uncertainty_candidates}}).dump();
    s.run_id = p.add_run(run);
    s.csv = o.out_csv.empty() ? p.dir() / "runs" / std::to_string(s.run_id) / "behavior_windows.csv" : o.out_csv;
    if (s.csv.has_parent_path()) fs::create_directories(s.csv.parent_path());
    AtomicFile f(s.csv);
    write_windows_csv(f, s.windows);
    f.commit();
  });
  return s;
}

}  // namespace bt::analysis
