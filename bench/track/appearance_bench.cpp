// What the colour cue does for identities: the same damaged truth detections as
// BM_TrackerComparison, tracked without the video and with it (each detection's colour
// histogram computed from the rendered frame, false positives included; no truth ids
// used). The lasting identity errors left are split by whether the two mice share a coat
// (the common all-black C57BL/6 cage has only same-coat pairs) and listed by what the
// mice were doing, with how long each lasted. "IDF1 with truth ids" gives the tracked boxes
// the ids of the truth mice they cover: what the tracking would score with no identity
// errors. Also the cost of the histograms and of tracking with them.
// Tables go to $BT_RESULTS/track_appearance.md when set.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <opencv2/core.hpp>

#include "behavtrack/synth/synth.h"
#include "behavtrack/track/appearance.h"
#include "behavtrack/track/metrics.h"
#include "behavtrack/video/video_reader.h"
#include "track/track_bench_data.h"

namespace {

namespace tr = bt::track;

enum class Coat { kBlack, kWhite, kAgouti };
const char* coat_name(Coat c) { return c == Coat::kBlack ? "black" : c == Coat::kWhite ? "white" : "agouti"; }

// One rendered video: truth, light- and heavy-damaged detections with their histograms,
// and each truth mouse's coat (read off its own pixels, for the report only).
struct RenderedVideo {
  std::vector<bt::FrameInstances> truth;
  std::vector<bt::FrameInstances> dets[2];
  std::vector<std::vector<tr::Appearance>> hists[2];
  std::map<int, Coat> coat;  // by truth id
};

// Mean colour of the pixels where a mouse's body is on top (the synth's label image),
// every 10th frame: the three synthetic coats are far apart (white: bright; agouti: brown,
// red well above blue; black: dark grey).
std::map<int, Coat> classify_coats(const std::map<int, cv::Scalar>& sum, const std::map<int, double>& n) {
  std::map<int, Coat> out;
  for (const auto& [id, s] : sum) {
    const double b = s[0] / n.at(id), r = s[2] / n.at(id), mean = (s[0] + s[1] + s[2]) / (3 * n.at(id));
    out[id] = mean > 140 ? Coat::kWhite : r - b > 15 ? Coat::kAgouti : Coat::kBlack;
  }
  return out;
}

// With $BT_TRACK_DECODED set, the histograms come from the video as `synth` writes it
// (H.264, decoded again) instead of the uncompressed rendered frames.
std::unique_ptr<RenderedVideo> render(std::uint64_t seed) {
  bt::synth::SynthOptions o;
  o.n_mice = 5;
  o.seconds = 120;
  o.seed = seed;
  std::unique_ptr<bt::video::VideoReader> decoded;
  const std::filesystem::path encoded_dir =
      std::filesystem::temp_directory_path() / ("bt_track_bench_" + std::to_string(seed));
  if (std::getenv("BT_TRACK_DECODED")) {
    bt::synth::write_synth(o, encoded_dir, {});
    decoded = std::make_unique<bt::video::VideoReader>(encoded_dir / "video.mp4");
  }
  bt::synth::SynthVideo sim(o);
  auto v = std::make_unique<RenderedVideo>();
  tr::DamageOptions damage[2] = {tr::light_damage(), tr::heavy_damage()};
  std::vector<tr::DetectionDamager> damagers;
  for (auto& d : damage) {
    d.seed = seed + 100;
    damagers.emplace_back(d, o.width, o.height, o.fps);
  }
  std::map<int, cv::Scalar> colour_sum;
  std::map<int, double> colour_n;
  bt::synth::SynthFrame f;
  bt::video::Frame encoded;
  while (sim.next(f)) {
    if (decoded && decoded->read(encoded)) f.image = encoded.image;
    v->truth.push_back(f.truth);
    for (int s = 0; s < 2; ++s) {
      v->dets[s].push_back(damagers[s].next(f.truth));
      v->hists[s].push_back(tr::appearance_histograms(f.image, v->dets[s].back().instances));
    }
    if (f.index % 10) continue;
    for (const bt::Instance& m : f.truth.instances) {
      const int id = static_cast<int>(m.id->value);
      const cv::Mat mask = f.labels == id;
      const double n = cv::countNonZero(mask);
      if (n < 50) continue;
      colour_sum[id] += cv::mean(f.image, mask) * n;
      colour_n[id] += n;
    }
  }
  v->coat = classify_coats(colour_sum, colour_n);
  if (decoded) std::filesystem::remove_all(encoded_dir);
  return v;
}

// Rendered once per seed within a run (~6 s each).
const RenderedVideo& rendered(std::uint64_t seed) {
  static std::map<std::uint64_t, std::unique_ptr<RenderedVideo>> cache;
  auto& slot = cache[seed];
  if (!slot) slot = render(seed);
  return *slot;
}

// The id of the truth mouse a tracked box covers (box IoU >= 0.5, the best), 0 for none.
int truth_id_covered(const bt::Instance& tracked, const bt::FrameInstances& truth) {
  double best = 0.5;
  int who = 0;
  for (const bt::Instance& t : truth.instances)
    if (bt::iou(tracked.box, t.box) >= best) best = bt::iou(tracked.box, t.box), who = static_cast<int>(t.id->value);
  return who;
}

// A lasting identity error: a predicted id that followed truth mouse `from` for at least
// a second goes on with mouse `to` for at least a second (`frames`: how long, first to last
// frame of that run; an error that lasts costs IDF1 in proportion).
struct LastingSwitch {
  int frame = 0, from = 0, to = 0, frames = 0;
};

// The truth id each predicted id covers per frame (box IoU >= 0.5, best), as runs of at
// least `min_run` frames; a change between consecutive runs is a lasting switch.
std::vector<LastingSwitch> lasting_switches(const std::vector<bt::FrameInstances>& truth,
                                            const std::vector<bt::FrameInstances>& pred, int min_run) {
  std::map<int, std::vector<std::pair<int, int>>> seq;  // pred id -> (frame, truth id)
  std::map<bt::FrameIndex, const bt::FrameInstances*> by_frame;
  for (const auto& f : truth) by_frame[f.frame] = &f;
  for (const auto& f : pred) {
    const auto it = by_frame.find(f.frame);
    if (it == by_frame.end()) continue;
    for (const bt::Instance& p : f.instances) {
      const int who = truth_id_covered(p, *it->second);
      if (who) seq[static_cast<int>(p.id->value)].emplace_back(static_cast<int>(f.frame), who);
    }
  }
  std::vector<LastingSwitch> out;
  for (const auto& [id, s] : seq) {
    int current = 0;
    for (std::size_t i = 0; i < s.size();) {
      std::size_t j = i;
      while (j < s.size() && s[j].second == s[i].second) ++j;
      if (static_cast<int>(j - i) >= min_run) {
        if (current && current != s[i].second)
          out.push_back({s[i].first, current, s[i].second, s[j - 1].first - s[i].first + 1});
        current = s[i].second;
      }
      i = j;
    }
  }
  return out;
}

// The tracked instances with the id of the truth mouse each covers (box IoU >= 0.5, best;
// 100 + its own id where it covers none, or one already taken in that frame): the IDF1
// this tracking would have with no identity errors, limited only by its boxes.
std::vector<bt::FrameInstances> with_truth_ids(const std::vector<bt::FrameInstances>& truth,
                                               std::vector<bt::FrameInstances> pred) {
  std::map<bt::FrameIndex, const bt::FrameInstances*> by_frame;
  for (const auto& f : truth) by_frame[f.frame] = &f;
  for (bt::FrameInstances& f : pred) {
    const auto it = by_frame.find(f.frame);
    std::set<int> taken;
    for (bt::Instance& p : f.instances) {
      int who = it != by_frame.end() ? truth_id_covered(p, *it->second) : 0;
      if (!who || !taken.insert(who).second) who = 100 + static_cast<int>(p.id->value);
      p.id = bt::TrackId(who);
    }
  }
  return pred;
}

std::string behaviour_at(const bt::FrameInstances& f, int id) {
  for (const bt::Instance& i : f.instances)
    if (static_cast<int>(i.id->value) == id) return i.behavior.empty() ? "?" : i.behavior;
  return "?";
}

// The longest run of frames within +-window of `frame` in which truth mouse `id` has no
// detection (none overlapping it by IoU >= 0.5): how long it was hidden or dropped there.
int longest_miss(const std::vector<bt::FrameInstances>& truth, const std::vector<bt::FrameInstances>& dets, int frame,
                 int id, int window) {
  int longest = 0, run = 0;
  for (int t = std::max(0, frame - window); t <= std::min<int>(static_cast<int>(truth.size()) - 1, frame + window); ++t) {
    const bt::Instance* mouse = nullptr;
    for (const bt::Instance& i : truth[t].instances)
      if (static_cast<int>(i.id->value) == id) mouse = &i;
    bool seen = false;
    for (const bt::Instance& d : dets[t].instances) seen |= mouse && bt::iou(d.box, mouse->box) >= 0.5;
    run = seen ? 0 : run + 1;
    longest = std::max(longest, run);
  }
  return longest;
}

struct Config {
  const char* name;
  bool video;
  tr::TrackerOptions options;
};

// $BT_TRACK_OFFLINE_COLOUR="weight,margin,min_s,overlap,alike" replaces the offline pass's colour
// options in the "video" rows (for choosing them on seeds other than the reported ones).
tr::TrackerOptions with_colour_override(tr::TrackerOptions o) {
  if (const char* text = std::getenv("BT_TRACK_OFFLINE_COLOUR"))
    std::sscanf(text, "%lf,%lf,%lf,%lf,%lf", &o.offline.appearance_weight, &o.offline.appearance_margin,
                &o.offline.appearance_min_s, &o.offline.contact_overlap, &o.offline.appearance_alike);
  return o;
}

// $BT_TRACK_REPAIR="margin,min_s" replaces the colour repair's options likewise.
tr::TrackerOptions with_repair_override(tr::TrackerOptions o) {
  if (const char* text = std::getenv("BT_TRACK_REPAIR"))
    std::sscanf(text, "%lf,%lf", &o.offline.repair_margin, &o.offline.repair_min_s);
  return o;
}

std::vector<Config> configs() {
  tr::TrackerOptions no_colour_pass = tr::bench::ours();
  no_colour_pass.offline.appearance_weight = 0;
  tr::TrackerOptions no_repair = with_colour_override(tr::bench::ours());
  no_repair.offline.repair_margin = 0;
  const tr::TrackerOptions colour = with_repair_override(with_colour_override(tr::bench::ours()));
  tr::TrackerOptions stage1 = colour;
  stage1.appearance_weight = 0.2;
  return {{"detections only (no video)", false, tr::bench::ours()},
          {"video: streaming re-id colour only (session 3's --video)", true, no_colour_pass},
          {"video: + offline pass colour cue, no colour repair (session 8)", true, no_repair},
          {"video: + offline colour cue and colour repair (default)", true, colour},
          {"video: + offline colour + --appearance-weight 0.2", true, stage1}};
}

void BM_TrackerAppearance(benchmark::State& state) {
  const int n = tr::bench::n_seeds(), seed0 = tr::bench::first_seed();
  const char* scenario_names[2] = {"light: 5% dropped, 2 px", "heavy: 15% dropped, 5% FP, 10-frame occlusions"};
  std::string table =
      "| detections | tracker | IDF1 | IDF1 per seed | IDF1 with truth ids | HOTA | ID switches | lasting errors: "
      "same coat | different coats |\n|---|---|---|---|---|---|---|---|---|\n";
  std::string details =
      "\nLasting errors (a predicted id on one mouse >= 1 s, then on another >= 1 s), with the truth behaviours "
      "and each mouse's longest run of undetected frames within 1 s (10+: an occlusion):\n";
  std::string coats = "\nCoats per video (truth ids 1..5):";
  for (auto _ : state) {
    for (int k = 0; k < n; ++k) {
      const RenderedVideo& v = rendered(static_cast<std::uint64_t>(seed0 + k));
      coats += " " + std::to_string(seed0 + k) + ":";
      for (const auto& [id, c] : v.coat) coats += std::string(id > 1 ? "/" : "") + coat_name(c);
    }
    for (int s = 0; s < 2; ++s)
      for (const Config& c : configs()) {
        if (std::getenv("BT_TRACK_HEAVY_ONLY") && s == 0) continue;
        double idf1 = 0, hota = 0, switches = 0, same = 0, different = 0, ceiling = 0;
        std::string per_seed;
        for (int k = 0; k < n; ++k) {
          const RenderedVideo& v = rendered(static_cast<std::uint64_t>(seed0 + k));
          const auto pred = tr::bench::track(c.options, v.dets[s], c.video ? v.hists[s] : std::vector<std::vector<tr::Appearance>>{});
          const tr::MotMetrics m = tr::evaluate_tracking(v.truth, pred, {});
          idf1 += m.idf1 / n, hota += m.hota / n, switches += static_cast<double>(m.id_switches) / n;
          char one[16];
          std::snprintf(one, sizeof one, "%s%.3f", k ? " / " : "", m.idf1);
          per_seed += one;
          ceiling += tr::evaluate_tracking(v.truth, with_truth_ids(v.truth, pred), {}).idf1 / n;
          for (const LastingSwitch& e : lasting_switches(v.truth, pred, 30)) {
            const bool alike = v.coat.at(e.from) == v.coat.at(e.to);
            (alike ? same : different) += 1.0 / n;
            char line[320];
            std::snprintf(line, sizeof line,
                          "- %s | %s | seed %d frame %d: mouse %d (%s, %s) -> %d (%s, %s) for %d frames; longest miss within "
                          "1 s: %d / %d frames\n",
                          scenario_names[s], c.name, seed0 + k, e.frame, e.from, coat_name(v.coat.at(e.from)),
                          behaviour_at(v.truth[e.frame], e.from).c_str(), e.to, coat_name(v.coat.at(e.to)),
                          behaviour_at(v.truth[e.frame], e.to).c_str(), e.frames,
                          longest_miss(v.truth, v.dets[s], e.frame, e.from, 30),
                          longest_miss(v.truth, v.dets[s], e.frame, e.to, 30));
            details += line;
          }
        }
        char row[640];
        std::snprintf(row, sizeof row, "| %s | %s | %.4f | %s | %.4f | %.4f | %.1f | %.2f | %.2f |\n", scenario_names[s],
                      c.name, idf1, per_seed.c_str(), ceiling, hota, switches, same, different);
        table += row;
      }
  }
  table += "\nMeans over " + std::to_string(n) + " rendered 2-minute videos of 5 mice (synth seeds " +
           std::to_string(seed0) + ".." + std::to_string(seed0 + n - 1) + ", damage seeds " + std::to_string(seed0 + 100) +
           "..), 30 fps, 640x480; histograms from the " +
           std::string(std::getenv("BT_TRACK_DECODED") ? "decoded H.264 video (synth's video.mp4)" : "uncompressed rendered frames") +
           ".\n" + coats + "\n" + details;
  std::fputs(table.c_str(), stdout);
  if (const char* dir = std::getenv("BT_RESULTS")) std::ofstream(std::string(dir) + "/track_appearance.md") << table;
}
BENCHMARK(BM_TrackerAppearance)->Iterations(1)->Unit(benchmark::kSecond);

// Colour histograms per second (appearance_histograms on the detections of a rendered
// 640x480 frame, each leaving out its neighbours' boxes): the per-detection price of the
// colour cue, apart from tracking.
void BM_AppearanceHistogram(benchmark::State& state) {
  const RenderedVideo& v = rendered(static_cast<std::uint64_t>(tr::bench::first_seed()));
  bt::synth::SynthOptions o;
  o.n_mice = 5;
  o.seconds = 1;
  o.seed = static_cast<std::uint64_t>(tr::bench::first_seed());
  bt::synth::SynthVideo sim(o);
  bt::synth::SynthFrame f;
  sim.next(f);
  std::int64_t boxes = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tr::appearance_histograms(f.image, v.dets[0][0].instances));
    boxes += static_cast<std::int64_t>(v.dets[0][0].instances.size());
  }
  state.SetItemsProcessed(boxes);
  state.SetLabel("items = detections, one core");
}
BENCHMARK(BM_AppearanceHistogram)->Unit(benchmark::kMicrosecond);

// Frames per second of the streaming tracker given histograms (5 mice, light damage,
// histograms precomputed): the tracking side of the colour cue.
void BM_TrackerAssociationWithAppearance(benchmark::State& state) {
  const RenderedVideo& v = rendered(static_cast<std::uint64_t>(tr::bench::first_seed()));
  const std::vector<bt::FrameInstances> dets(v.dets[0].begin(), v.dets[0].begin() + 600);
  const std::vector<std::vector<tr::Appearance>> hists(v.hists[0].begin(), v.hists[0].begin() + 600);
  tr::TrackerOptions o = tr::bench::ours();
  o.offline_identities = false;
  o.appearance_weight = state.range(0) / 10.0;
  for (auto _ : state) benchmark::DoNotOptimize(tr::bench::track(o, dets, hists));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(dets.size()));
  state.SetLabel("items = frames, one core; arg = stage-1 appearance weight x 10");
}
BENCHMARK(BM_TrackerAssociationWithAppearance)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);

// Frames per second of track's whole identity work with histograms (forward and backward
// runs, the offline pass with its colour cue), 5 mice, light damage.
void BM_TrackerWithOfflinePassAndAppearance(benchmark::State& state) {
  const RenderedVideo& v = rendered(static_cast<std::uint64_t>(tr::bench::first_seed()));
  const std::vector<bt::FrameInstances> dets(v.dets[0].begin(), v.dets[0].begin() + 600);
  const std::vector<std::vector<tr::Appearance>> hists(v.hists[0].begin(), v.hists[0].begin() + 600);
  for (auto _ : state) benchmark::DoNotOptimize(tr::bench::track(tr::bench::ours(), dets, hists));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(dets.size()));
  state.SetLabel("items = frames, one core");
}
BENCHMARK(BM_TrackerWithOfflinePassAndAppearance)->Unit(benchmark::kMillisecond);

}  // namespace
