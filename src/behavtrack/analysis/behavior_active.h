// Active learning for behaviour labels: which video windows (one mouse, ~1-2 s) the
// pose-feature behaviour classifier (behavior/pose_classifier.h) is least sure about, queued
// for a person to label; and the simulation that measures how many labels that saves.
//
//   bt::analysis::BehaviorNextOptions o;  o.n = 20;  o.strategy = Strategy::kHybrid;
//   auto s = bt::analysis::behavior_next("study/", "models/behavior1", {{"cage1.tracks.json", ""}}, o, progress);
//   // s.csv: the proposed windows; the project holds their predicted bouts for review
//
//   bt::analysis::BehaviorSimulateOptions so;  so.out_dir = "curves/";
//   bt::analysis::simulate_behavior_active_learning(pool_videos, test_videos, so, progress);
//
// Windows: each mouse's track is cut into tiles of window_s (tile k of a video covers frames
// [k W, (k + 1) W - 1], W = round(window_s x fps)); a tile where the mouse is tracked in less
// than min_coverage of its W frames is no candidate. Labelling a window means labelling that
// mouse's tracked frames in it.
// Uncertainty of a window (each term in [0, 1], mean over the mouse's frames in the window;
// p = the classifier's class probabilities before smoothing, K classes):
//   entropy:      -sum_k p_k log p_k / log K;
//   margin:       1 - (p_(1) - p_(2)), the two most likely classes (ref: Settles 2009,
//                 "Active Learning Literature Survey", sec. 3.1);
//   disagreement: share of frames where the smoothed (HMM + minimum bout) class differs
//                 from the arg-max class: the classifier and its temporal model disagree;
//   total:        weighted mean of the three.
// Diversity feature of a window: the mean over its frames of each pose feature, z-scored
// with the mean and standard deviation over every tracked mouse-frame of the videos (missing
// values skipped; a feature missing in the whole window counts as the mean). Selection is
// acquisition.h's select_frames (uncertainty / diversity / hybrid / random-stratified) with
// one stratum per video and mouse for the random baseline, held to k picks (its one-per-
// stratum floor would otherwise give the baseline more labels than the others).
//
// behavior_next, step by step:
//  1. each tracks file (Instances JSON with ids, as `behavior predict` takes) is matched to
//     a registered video of the project (--video, else the tracks' own video name);
//  2. the model predicts every mouse-frame; windows are scored; a window overlapping a
//     confirmed bout of that mouse is labelled, one overlapping only unconfirmed proposals
//     (an earlier behavior-next nobody has reviewed yet) is queued: neither is a candidate,
//     and both are the set the diversity term moves away from;
//  3. n windows are picked; in one transaction their predicted bouts (the smoothed classes
//     over the window, split where the class changes or the track has a gap) are added to
//     the project's bouts as predicted and unconfirmed (project::Bout), where the annotation
//     app shows them as proposals on each mouse's ethogram for confirmation or correction;
//     training and exports skip them until a person confirms them. A run (kind
//     "behavior-proposals") records the options, every window with the ids of its bouts,
//     and the counts (candidates, labelled, queued, proposals_waiting); the windows CSV is
//     written (atomic): video_id,video,id,start_frame,end_frame,start_s,end_s,mouse_frames,
//     uncertainty,entropy,margin,disagreement,predicted,bout_ids (sorted by uncertainty,
//     highest first).
//  With write_bouts = false only the CSV and the run are written and the project's bouts
//  stay untouched.
//
// simulate_behavior_active_learning runs cycles with the truth labels standing in for the
// person: the windows of the pool videos are the pool, the test videos are held out whole.
// Every strategy starts from the same random-stratified initial windows; each cycle trains
// the classifier on the labelled windows, scores macro-F1 (per frame, after smoothing) on the
// test videos, then labels per_cycle more windows the strategy picks. Writes
// learning_curve.csv (strategy,cycle,windows,mouse_frames,macro_f1,accuracy,bout_macro_f1,
// train_s), learning_curve.png (macro-F1 against labelled windows) and summary.json (the
// curve with per-class F1, and the windows and mouse-frames each strategy needed to reach
// random-stratified's final macro-F1).
// Thread safety: pure functions apart from behavior_next, which writes one project (one
// call per project at a time).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "behavtrack/analysis/acquisition.h"
#include "behavtrack/behavior/pose_classifier.h"
#include "behavtrack/core/progress.h"

namespace bt::analysis {

struct WindowUncertaintyWeights {
  double entropy = 1.0, margin = 1.0, disagreement = 1.0;  // >= 0, not all 0
  void validate() const;
};

struct WindowUncertainty {
  double entropy = 0, margin = 0, disagreement = 0, total = 0;
};

// Scores `n` frames: proba is n x n_classes (row-major), smoothed the chosen classes.
WindowUncertainty score_window(const float* proba, const int* smoothed, std::size_t n, int n_classes,
                               const WindowUncertaintyWeights& weights);

struct WindowOptions {
  double window_s = 1.5;      // window length, seconds (> 0, at least one frame)
  double min_coverage = 0.5;  // share of the window's frames the mouse must be tracked in, (0, 1]
  WindowUncertaintyWeights weights;
  void validate() const;
  int window_frames(double fps) const;  // round(window_s x fps), >= 1
};

// One candidate window of one mouse in one video.
struct BehaviorWindow {
  std::size_t video = 0;       // index into the caller's list of videos
  std::size_t mouse = 0;       // index into that video's BehaviorPrediction::mice
  TrackId id;
  std::int64_t tile = 0;       // k: the window covers frames [k W, (k + 1) W - 1]
  FrameIndex start_frame = 0, end_frame = 0;  // the mouse's first and last tracked frame in the tile
  std::size_t first = 0, last = 0;            // rows [first, last) of the mouse's prediction
  WindowUncertainty uncertainty;
  int predicted = 0;           // the most frequent smoothed class in the window
  std::size_t mouse_frames() const { return last - first; }
};

// Every window of one video's prediction with its uncertainty, by mouse then tile.
std::vector<BehaviorWindow> behavior_windows(const behavior::BehaviorPrediction& prediction, std::size_t video,
                                             const WindowOptions& options);

struct BehaviorNextOptions {
  int n = 20;                          // windows to propose (>= 1)
  Strategy strategy = Strategy::kHybrid;
  std::uint64_t seed = 42;             // random-stratified draws
  WindowOptions windows;
  bool write_bouts = true;             // add the predicted bouts of the picked windows
  std::filesystem::path out_csv;       // default: <project>/runs/<run id>/behavior_windows.csv
  void validate() const;
};

// A tracks file and, optionally, the video file it belongs to (empty: the tracks' own
// `video` name, matched against the registered videos' file names).
struct TracksInput {
  std::filesystem::path tracks;
  std::filesystem::path video;
};

struct ProposedWindow {
  std::int64_t video_id = 0;
  std::string video;                   // as stored in the project
  TrackId id;
  FrameIndex start_frame = 0, end_frame = 0;
  double start_s = 0, end_s = 0;       // start_frame / fps, (end_frame + 1) / fps
  std::size_t mouse_frames = 0;
  WindowUncertainty uncertainty;
  std::string predicted;
  std::vector<std::int64_t> bout_ids;  // the proposed bouts written for it
};

struct BehaviorNextSummary {
  std::vector<ProposedWindow> windows;  // highest uncertainty first
  std::size_t candidates = 0;           // windows that could be proposed
  std::size_t labelled = 0;             // windows skipped: overlapping a confirmed bout
  std::size_t queued = 0;               // windows skipped: only unconfirmed proposals there
  std::int64_t proposals_waiting = 0;   // unconfirmed bouts in the project after this call
  double mean_uncertainty_selected = 0, mean_uncertainty_candidates = 0;
  std::int64_t run_id = 0;
  std::size_t bouts_written = 0;
  std::filesystem::path csv;
};

BehaviorNextSummary behavior_next(const std::filesystem::path& project_dir, const std::filesystem::path& model_dir,
                                  const std::vector<TracksInput>& inputs, const BehaviorNextOptions& options,
                                  const ProgressCallback& progress);

struct BehaviorSimulateOptions {
  std::vector<Strategy> strategies = {Strategy::kRandomStratified, Strategy::kUncertainty, Strategy::kHybrid};
  WindowOptions windows;
  int initial = 20;                    // windows labelled before the first cycle (>= 1)
  int per_cycle = 20;                  // windows added per cycle (>= 1)
  int cycles = 8;                      // training rounds after the first (>= 0)
  std::uint64_t seed = 42;             // initial set and random draws
  behavior::PoseClassifierOptions classifier;
  std::filesystem::path out_dir;       // learning_curve.csv, learning_curve.png, summary.json
  void validate() const;
};

struct BehaviorCurvePoint {
  std::string strategy;
  int cycle = 0;
  int windows = 0;                     // labelled windows
  std::int64_t mouse_frames = 0;       // labelled mouse-frames
  behavior::Evaluation test;
  double train_seconds = 0;
};

struct LabelsToReach {
  std::string strategy;
  std::optional<int> windows;          // nullopt: never reached
  std::optional<std::int64_t> mouse_frames;
};

struct BehaviorSimulateSummary {
  std::vector<BehaviorCurvePoint> curve;
  double target_macro_f1 = 0;          // random-stratified's final test macro-F1
  std::vector<LabelsToReach> labels_to_reach_random;
  std::filesystem::path curve_csv, curve_png, summary_json;
};

// Videos carry their truth labels (every tracked mouse-frame of the test videos that has a
// label is scored). Throws bt::Error when the pool has fewer windows than initial +
// per_cycle x cycles, or a video's labels do not fit its tracks.
BehaviorSimulateSummary simulate_behavior_active_learning(const std::vector<behavior::LabelledVideo>& pool,
                                                          const std::vector<behavior::LabelledVideo>& test,
                                                          const BehaviorSimulateOptions& options,
                                                          const ProgressCallback& progress);

}  // namespace bt::analysis
