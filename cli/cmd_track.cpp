// `behavtrack track`: identities for detections (known or unknown number of mice),
// `track swap` (bulk identity correction) and `track evaluate` (MOT metrics).
#include <cstdio>
#include <functional>
#include <memory>
#include <sstream>

#include "behavtrack/core/error.h"
#include "behavtrack/core/instances_json.h"
#include "behavtrack/track/metrics.h"
#include "behavtrack/track/track_run.h"
#include "behavtrack/track/tracks_swap.h"
#include "command_registry.h"

namespace {

namespace tr = bt::track;

struct TrackFlags {
  tr::TrackRunOptions run;
  std::string detections, video, out, render, preset = "ours", cost = "mixed";
  bool no_motion = false, no_turn = false, no_two_stage = false, no_reid = false, no_flip = false, no_appearance = false;
  bool no_offline_identities = false;
};

// A tracker flag: its name and how to copy its value onto options built from a preset.
using Override = std::pair<std::string, std::function<void(tr::TrackerOptions&, const TrackFlags&)>>;

template <typename T>
void add_tracker_option(CLI::App* cmd, std::vector<Override>& overrides, TrackFlags& f, const std::string& name,
                        T tr::TrackerOptions::*field, const std::string& help) {
  cmd->add_option(name, f.run.tracker.*field, help)->capture_default_str()->group("Tracker");
  overrides.emplace_back(name, [field](tr::TrackerOptions& o, const TrackFlags& fl) { o.*field = fl.run.tracker.*field; });
}

tr::TrackerOptions preset(const std::string& name, int animals) {
  if (name == "ours") return {};
  if (name == "iou") return tr::TrackerOptions::iou_only();
  if (name == "behavtrack") return tr::TrackerOptions::behavtrack_style(animals);
  bt::throw_invalid("--preset '" + name + "': unknown; use ours, iou or behavtrack");
}

void add_track_flags(CLI::App* cmd, TrackFlags& f, std::vector<Override>& ov) {
  cmd->add_option("detections", f.detections,
                  "Detections: an Instances JSON file (ids ignored) or a folder of YOLO pose label .txt files");
  cmd->add_option("--video", f.video, "The video the detections come from: colour cue for re-identification, "
                                       "source of --render, and the frames --model detects on");
  cmd->add_option("--model", f.run.model, "Detect every frame of --video instead of reading detections: a pose model "
                                          "folder, an Ultralytics .torchscript file, or classical (background "
                                          "subtraction, no training)");
  cmd->add_option("--device", f.run.device, "Device for --model: cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--out", f.out, "Output folder: tracks.json, tracks.csv, run.json (created if missing)");
  cmd->add_option("--render", f.render, "Also write this video (.mp4): a colour per id, boxes, keypoints, trails, "
                                        "ids and the frame number (needs --video)");
  cmd->add_option("--animals", f.run.tracker.animals, "Number of mice in the video (ids 1..N, never more); "
                                                      "0 = unknown")->capture_default_str();
  cmd->add_option("--fps", f.run.fps, "Frame rate, frames/second (default: from the detections or the video)");
  cmd->add_option("--width", f.run.width_px, "Image width, pixels (YOLO labels are normalised by it)");
  cmd->add_option("--height", f.run.height_px, "Image height, pixels");
  cmd->add_option("--yolo-frame-base", f.run.yolo_frame_base,
                  "Number of the first frame in YOLO label file names (Ultralytics video labels: 1)")->capture_default_str();
  cmd->add_option("--keypoints", f.run.keypoints, "Expected keypoint names, comma-separated (YOLO: their order; "
                                                  "JSON: checked). Default: nose,earL,earR,tailB for YOLO, any for JSON");
  cmd->add_flag("--no-appearance", f.no_appearance,
                "Do not use colour histograms from --video (re-identification, the offline pass's colour cue and "
                "colour repair)");
  cmd->add_option("--trail-s", f.run.trail_s, "Render: trail length, seconds")->capture_default_str();
  cmd->add_option("--preset", f.preset, "Starting point for the tracker flags: ours, iou (plain IoU + Hungarian) or "
                                        "behavtrack (BehavTrack-style cost, last positions)")->capture_default_str();
  cmd->add_option("--cost", f.cost, "Association cost: mixed (IoU + centre distance + OKS against the motion "
                                    "prediction) or behavtrack (BehavTrack's alpha-weighted cost)")
      ->capture_default_str()->group("Tracker");
  ov.emplace_back("--cost", [](tr::TrackerOptions& o, const TrackFlags& fl) { o.cost = tr::cost_kind_from_string(fl.cost); });
  auto weight = [&](const std::string& name, double tr::CostWeights::*field, const std::string& help) {
    cmd->add_option(name, f.run.tracker.weights.*field, help)->capture_default_str()->group("Tracker");
    ov.emplace_back(name, [field](tr::TrackerOptions& o, const TrackFlags& fl) { o.weights.*field = fl.run.tracker.weights.*field; });
  };
  weight("--w-iou", &tr::CostWeights::iou, "Mixed cost: weight of 1 - box IoU, 0..1");
  weight("--w-center", &tr::CostWeights::center, "Mixed cost: weight of the centre distance / predicted box diagonal, 0..1");
  weight("--w-keypoints", &tr::CostWeights::keypoints, "Mixed cost: weight of 1 - OKS, 0..1");
  weight("--oks-kappa", &tr::CostWeights::oks_kappa, "OKS constant k: keypoint error scale as a fraction of sqrt(box area)");
  cmd->add_option("--alpha", f.run.tracker.behavtrack.alpha, "behavtrack cost: weight of overlap against distance, 0..1")
      ->capture_default_str()->group("Tracker");
  ov.emplace_back("--alpha", [](tr::TrackerOptions& o, const TrackFlags& fl) { o.behavtrack.alpha = fl.run.tracker.behavtrack.alpha; });
  cmd->add_option("--cost-threshold", f.run.tracker.behavtrack.threshold,
                  "behavtrack cost: pairs at or above this cost (-1..1) are not matched")->capture_default_str()->group("Tracker");
  ov.emplace_back("--cost-threshold", [](tr::TrackerOptions& o, const TrackFlags& fl) { o.behavtrack.threshold = fl.run.tracker.behavtrack.threshold; });
  add_tracker_option(cmd, ov, f, "--match-cost-max", &tr::TrackerOptions::match_cost_max,
                     "Mixed cost: a track and a detection at or above this cost (0..1) are not matched");
  add_tracker_option(cmd, ov, f, "--switch-margin", &tr::TrackerOptions::switch_margin,
                     "Crowds: a detection two tracks could own within this cost (0..1) while one of them is missing "
                     "goes to neither; 0 = off");
  add_tracker_option(cmd, ov, f, "--hold-s", &tr::TrackerOptions::hold_s,
                     "Crowds: how long, seconds, a missing mouse keeps its neighbours from taking a detection it "
                     "could own");
  add_tracker_option(cmd, ov, f, "--appearance-weight", &tr::TrackerOptions::appearance_weight,
                     "Share of the colour-histogram distance (from --video) in the mixed cost, 0..1");
  cmd->add_option("--accel-noise-px-s2", f.run.tracker.kalman.accel_noise_px_s2,
                  "Kalman: std of unmodelled acceleration, pixels/second^2")->capture_default_str()->group("Tracker");
  ov.emplace_back("--accel-noise-px-s2", [](tr::TrackerOptions& o, const TrackFlags& fl) { o.kalman.accel_noise_px_s2 = fl.run.tracker.kalman.accel_noise_px_s2; });
  cmd->add_option("--measurement-noise-px", f.run.tracker.kalman.measurement_noise_px,
                  "Kalman: std of a detected position, pixels")->capture_default_str()->group("Tracker");
  ov.emplace_back("--measurement-noise-px", [](tr::TrackerOptions& o, const TrackFlags& fl) { o.kalman.measurement_noise_px = fl.run.tracker.kalman.measurement_noise_px; });
  cmd->add_flag("--no-motion", f.no_motion, "No motion model: a track stays at its last position")->group("Tracker");
  add_tracker_option(cmd, ov, f, "--coast-s", &tr::TrackerOptions::coast_s,
                     "A lost mouse keeps its predicted velocity this long, seconds, then stops");
  cmd->add_flag("--no-turn-model", f.no_turn,
                "Predict each keypoint on its own velocity instead of turning the mouse's last shape on at its "
                "angular speed")->group("Tracker");
  add_tracker_option(cmd, ov, f, "--max-turn-deg-s", &tr::TrackerOptions::max_turn_deg_s,
                     "Turn model: the fastest turn it extrapolates, degrees/second");
  cmd->add_flag("--no-two-stage", f.no_two_stage, "Ignore low-score detections (no ByteTrack second stage)")->group("Tracker");
  add_tracker_option(cmd, ov, f, "--score-high", &tr::TrackerOptions::score_high, "Detection score of the first stage, 0..1");
  add_tracker_option(cmd, ov, f, "--score-low", &tr::TrackerOptions::score_low, "Detections scored below are ignored, 0..1");
  add_tracker_option(cmd, ov, f, "--low-iou-min", &tr::TrackerOptions::low_iou_min,
                     "Box IoU a low-score detection needs with an active track, 0..1");
  add_tracker_option(cmd, ov, f, "--score-new", &tr::TrackerOptions::score_new, "Detection score needed to start a track, 0..1");
  add_tracker_option(cmd, ov, f, "--confirm-s", &tr::TrackerOptions::confirm_s,
                     "A new track needs detections this long, seconds, before it gets an id");
  cmd->add_flag("--no-reid", f.no_reid, "Do not re-identify lost tracks beyond the motion gate")->group("Tracker");
  add_tracker_option(cmd, ov, f, "--reid-speed-bodies-s", &tr::TrackerOptions::reid_speed_bodies_s,
                     "Re-identification reach: body lengths a hidden mouse may move per second");
  add_tracker_option(cmd, ov, f, "--reid-appearance-weight", &tr::TrackerOptions::reid_appearance_weight,
                     "Share of the colour-histogram distance in re-identification, 0..1");
  add_tracker_option(cmd, ov, f, "--max-lost-s", &tr::TrackerOptions::max_lost_s,
                     "Unknown count only: a track lost this long, seconds, ends");
  add_tracker_option(cmd, ov, f, "--max-gap-s", &tr::TrackerOptions::max_gap_s,
                     "Fill gaps up to this long, seconds, by interpolation (score 0, keypoints v=1); 0 = off");
  add_tracker_option(cmd, ov, f, "--smooth-s", &tr::TrackerOptions::smooth_s,
                     "Width of the centred smoothing window for keypoints and boxes, seconds; 0 = off");
  cmd->add_flag("--no-offline-identities", f.no_offline_identities,
                "With --animals: skip the offline identity pass (a second tracker run backwards in time; where it "
                "continues a contact differently, the continuation that fits motion and body length wins)")
      ->group("Tracker");
  auto add_offline = [&](const std::string& name, double tr::IdentityResolverOptions::*field, const std::string& help) {
    cmd->add_option(name, f.run.tracker.offline.*field, help)->capture_default_str()->group("Tracker");
    ov.emplace_back(name, [field](tr::TrackerOptions& o, const TrackFlags& fl) { o.offline.*field = fl.run.tracker.offline.*field; });
  };
  add_offline("--offline-contact-bodies", &tr::IdentityResolverOptions::contact_bodies,
              "Offline pass: mice closer than this, body lengths, while one is undetected are an ambiguous contact");
  add_offline("--offline-keep-cost", &tr::IdentityResolverOptions::keep_cost,
              "Offline pass: cost, per mouse, of overruling the forward tracker (higher: fewer changes)");
  add_offline("--offline-backward-bias", &tr::IdentityResolverOptions::backward_bias,
              "Offline pass: cost credited to the backward run's continuation of a contact where it differs from the "
              "forward run's (higher: trust the backward run more)");
  add_offline("--offline-continuity-weight", &tr::IdentityResolverOptions::continuity_weight,
              "Offline pass: weight of body-length continuity across a contact against motion, per 3% of length");
  add_offline("--offline-appearance-weight", &tr::IdentityResolverOptions::appearance_weight,
              "Offline pass, with --video: cost per unit of colour-histogram distance (Hellinger, 0..1) between a "
              "tracklet and its identity's colour so far (from boxes holding one mouse); 0 = off");
  add_offline("--offline-appearance-margin", &tr::IdentityResolverOptions::appearance_margin,
              "Offline pass, with --video: cost units by which colour alone must favour a continuation of a contact "
              "that neither the forward nor the backward run chose");
  add_offline("--offline-appearance-alike", &tr::IdentityResolverOptions::appearance_alike,
              "Offline pass, with --video: colour-histogram distance (Hellinger, 0..1) up to which two colours count "
              "as one coat (no cost)");
  add_offline("--offline-appearance-min-s", &tr::IdentityResolverOptions::appearance_min_s,
              "Offline pass, with --video: seconds of single-mouse boxes a tracklet needs for its colour to count fully");
  add_offline("--offline-contact-overlap", &tr::IdentityResolverOptions::contact_overlap,
              "Offline pass, with --video: a box whose central 80% overlaps an undetected (interpolated) mouse's box "
              "by more than this share of its area (0..1) holds two mice; its colours are not used (detected "
              "neighbours' boxes are left out of every histogram)");
  add_offline("--offline-repair-margin", &tr::IdentityResolverOptions::repair_margin,
              "Offline pass, with --video: exchange two identities of different coats back from a contact or a "
              "missed detection on, wherever each one's box fits the other's coat better by this much in sum "
              "(Hellinger, 0..2); 0 = off");
  add_offline("--offline-repair-min-s", &tr::IdentityResolverOptions::repair_min_s,
              "Offline pass, with --video: seconds of frames in a row (those with both mice's single-mouse boxes) that "
              "must show an exchange before the colour repair undoes it");
  cmd->add_flag("--no-flip-correction", f.no_flip, "Keep the detector's nose/tail-base orientation")->group("Tracker");
  add_tracker_option(cmd, ov, f, "--head", &tr::TrackerOptions::head, "Flip correction: the head keypoint's name");
  add_tracker_option(cmd, ov, f, "--tail", &tr::TrackerOptions::tail, "Flip correction: the tail keypoint's name");
  add_tracker_option(cmd, ov, f, "--flip-min-speed-bodies-s", &tr::TrackerOptions::flip_min_speed_bodies_s,
                     "Flip correction: motion direction counts above this speed, body lengths/second");
  add_tracker_option(cmd, ov, f, "--flip-after-s", &tr::TrackerOptions::flip_after_s,
                     "Flip correction: moving tail-first this long, seconds, turns the track around");
  add_tracker_option(cmd, ov, f, "--flip-trust-detector-s", &tr::TrackerOptions::flip_trust_detector_s,
                     "Flip correction: detections that all contradict the track's orientation this long, seconds, "
                     "while its motion does not back it, turn the track their way");
}

tr::TrackerOptions resolve_tracker(CLI::App* cmd, const TrackFlags& f, const std::vector<Override>& ov) {
  tr::TrackerOptions o = preset(f.preset, f.run.tracker.animals);
  o.animals = f.run.tracker.animals;
  for (const auto& [name, apply] : ov)
    if (cmd->count(name) > 0) apply(o, f);
  if (f.no_motion) o.motion_model = false;
  if (f.no_turn) o.turn_model = false;
  if (f.no_two_stage) o.two_stage = false;
  if (f.no_reid) o.reid = false;
  if (f.no_flip) o.flip_correction = false;
  if (f.no_offline_identities) o.offline_identities = false;
  return o;
}

void run_track(CLI::App* cmd, TrackFlags f, const std::vector<Override>& ov, const bt::cli::Context& ctx) {
  if (f.out.empty()) bt::throw_invalid("track: --out is required (the output folder)");
  if (f.detections.empty() && f.run.model.empty())
    bt::throw_invalid("track: give a detections file or folder, or --video V --model M");
  f.run.detections = f.detections;
  f.run.video = f.video;
  f.run.out_dir = f.out;
  f.run.render = f.render;
  f.run.appearance = !f.no_appearance;
  f.run.tracker = resolve_tracker(cmd, f, ov);
  f.run.validate();
  const tr::TrackRunSummary s = tr::run_tracking(f.run, ctx.progress());
  std::printf("track: %lld frames, %lld detections -> %d ids, %lld instances (%lld interpolated, %lld flips fixed)\n",
              static_cast<long long>(s.frames), static_cast<long long>(s.detections), s.identities,
              static_cast<long long>(s.instances), static_cast<long long>(s.interpolated),
              static_cast<long long>(s.flips));
  std::printf("track: association %.0f frames/s, whole run %.2f s\n", s.association_frames_s, s.seconds);
  if (f.run.tracker.offline_identities && f.run.tracker.animals > 0)
    std::printf("track: offline identity pass: %d ambiguous contacts, %d re-decided, %d exchanges undone by colour\n",
                s.offline_episodes, s.offline_changed, s.offline_repaired);
  std::printf("track: wrote %s, %s, %s%s%s\n", s.tracks_json.c_str(), s.tracks_csv.c_str(), s.run_json.c_str(),
              s.render.empty() ? "" : ", ", s.render.c_str());
}

std::vector<int> parse_ids(const std::string& text) {
  std::vector<int> ids;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size()) bt::throw_invalid("--ids " + bt::quoted(text) + ": expected ids like 2,4");
    ids.push_back(v);
  }
  return ids;
}

void add_swap(CLI::App* track) {
  auto* cmd = track->add_subcommand("swap", "Swap two identities in a run's tracks from a frame on (rewrites "
                                            "tracks.json and tracks.csv atomically)");
  auto run = std::make_shared<std::string>();
  auto ids = std::make_shared<std::string>();
  auto o = std::make_shared<tr::SwapOptions>();
  cmd->add_option("run", *run, "Run folder written by `behavtrack track` (holds tracks.json)")->required();
  cmd->add_option("--ids", *ids, "The two ids to exchange, e.g. 2,4")->required();
  cmd->add_option("--from", o->from, "First frame to change (0-based)")->required();
  cmd->add_option("--to", o->to, "Last frame to change, inclusive (default: the end)");
  cmd->callback([run, ids, o] {
    o->ids = parse_ids(*ids);
    o->validate();
    const tr::SwapSummary s = tr::swap_ids(*run, *o);
    std::printf("track swap: ids %d and %d exchanged in %lld instances over %lld frames (from %lld to %s) in %s\n",
                o->ids[0], o->ids[1], static_cast<long long>(s.instances_changed),
                static_cast<long long>(s.frames_changed), static_cast<long long>(o->from),
                o->to < 0 ? "the end" : std::to_string(o->to).c_str(), run->c_str());
  });
}

void add_evaluate(CLI::App* track) {
  auto* cmd = track->add_subcommand("evaluate", "Tracking metrics of predicted tracks against ground truth: MOTA, "
                                                "MOTP, IDF1/IDP/IDR, HOTA (DetA, AssA), ID switches, fragmentations");
  struct Flags {
    std::string truth, pred, match = "iou";
    bool json = false;
    tr::EvaluateOptions options;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("--truth", f->truth, "Ground-truth tracks (Instances JSON with ids)")->required();
  cmd->add_option("--pred", f->pred, "Predicted tracks (Instances JSON with ids), e.g. a run's tracks.json")->required();
  cmd->add_option("--match", f->match, "Similarity: iou (boxes) or keypoints (OKS)")->capture_default_str();
  cmd->add_option("--threshold", f->options.threshold, "Similarity a pair needs to match (CLEAR MOT and IDF1), 0..1")
      ->capture_default_str();
  cmd->add_option("--oks-kappa", f->options.oks_kappa, "OKS constant k when matching keypoints")->capture_default_str();
  cmd->add_flag("--json", f->json, "Print the metrics as JSON");
  cmd->footer("HOTA averages alpha = 0.05..0.95 (Luiten et al. 2021); MOTP is the mean similarity of matched pairs.");
  cmd->callback([f] {
    f->options.match = tr::match_by_from_string(f->match);
    f->options.validate();
    const bt::InstancesFile truth = bt::read_instances_json(f->truth);
    const bt::InstancesFile pred = bt::read_instances_json(f->pred);
    if (f->options.match == tr::MatchBy::kKeypoints && !truth.header.skeleton.same_keypoints(pred.header.skeleton))
      bt::throw_invalid("pred " + bt::quoted(f->pred) + ": its keypoints differ from the truth's; cannot match keypoints "
                        "(use --match iou)");
    const tr::MotMetrics m = tr::evaluate_tracking(truth.frames, pred.frames, f->options);
    std::fputs(f->json ? tr::metrics_json(m).c_str() : tr::format_metrics(m).c_str(), stdout);
  });
}

const bt::cli::CommandRegistration kRegistration("", "", [](CLI::App& app, bt::cli::Context& context) {
  auto* cmd = app.add_subcommand("track", "Identities for detections: a Kalman motion model, two-stage optimal "
                                          "assignment, re-identification for a known number of mice; swap and evaluate");
  cmd->require_subcommand(0, 1);
  auto flags = std::make_shared<TrackFlags>();
  auto overrides = std::make_shared<std::vector<Override>>();
  add_track_flags(cmd, *flags, *overrides);
  add_swap(cmd);
  add_evaluate(cmd);
  cmd->footer("Times are in seconds and converted with the frame rate. Outputs: tracks.json (Instances JSON with "
              "ids), tracks.csv (frame,time_s,id,x1,y1,x2,y2,score,<kp>_x,<kp>_y,<kp>_v,<kp>_score...), run.json "
              "(every option used). Fix a swap by hand: behavtrack track swap RUN --ids 2,4 --from FRAME.");
  cmd->callback([cmd, flags, overrides, &context] {
    if (!cmd->get_subcommands().empty()) return;
    run_track(cmd, *flags, *overrides, context);
  });
});

}  // namespace
