// `behavtrack track` as a library call: detections (file or folder) in, a run folder out.
//
//   bt::track::TrackRunOptions o;
//   o.detections = "dets.json";  o.out_dir = "run1";  o.tracker.animals = 5;
//   o.render = "run1/tracks.mp4";  o.video = "cage1.mp4";
//   bt::track::TrackRunSummary s = bt::track::run_tracking(o, progress);
//
// Inputs: an Instances JSON file (ids ignored) or a folder of YOLO pose label files
// (detections_io.h), or, with `model` set, detections made from every frame of the video
// by a pose model or the classical detector (frame_detector.h); optionally the video, for
// colour histograms per detection (appearance_histograms: re-identification of lost mice
// and the offline pass's colour cue) and for --render. Outputs in out_dir (each written atomically, all or nothing):
// tracks.json (Instances JSON with ids), tracks.csv, run.json (every option used, and
// later corrections), and the render when asked.
// Frames stream through the tracker: memory holds the detections file (none with a model)
// and a window of lag frames, never the video; with tracker.offline_identities and a known
// count, the detections and the whole output are held, a second tracker runs backwards
// (track_reversed) and resolve_identities settles the contacts where the two disagree
// before anything is written.
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "behavtrack/core/progress.h"
#include "behavtrack/track/tracker_options.h"

namespace bt::track {

struct TrackRunOptions {
  std::filesystem::path detections;  // Instances JSON file or YOLO labels folder
  std::string model;                 // or detect: "classical", a model folder, a .torchscript
  std::string device = "cpu";        // pose model device: cpu | cuda | cuda:N
  std::filesystem::path video;       // optional: appearance cue and render source
  std::filesystem::path out_dir;
  std::filesystem::path render;      // optional: rendered video (.mp4)
  double fps = 0;                    // frames/second; 0: from the detections or the video
  int width_px = 0, height_px = 0;   // 0: from the detections or the video
  int yolo_frame_base = 0;           // number of the first frame in YOLO file names
  std::string keypoints;             // expected keypoint names "a,b,c"; empty: any
  bool appearance = true;            // use the video's colour histograms (re-identification, offline pass)
  double trail_s = 1.0;              // render: trail length, seconds
  TrackerOptions tracker;

  void validate() const;  // throws bt::Error naming the field and value
};

struct TrackRunSummary {
  std::int64_t frames = 0, detections = 0, instances = 0, interpolated = 0, flips = 0;
  int identities = 0;
  double seconds = 0;               // whole run
  double association_frames_s = 0;  // tracker throughput, frames per second
  int offline_episodes = 0, offline_changed = 0;  // offline identity pass (identity_resolver.h)
  int offline_repaired = 0;                       // its colour repair's exchanges (colour_repair.h)
  std::filesystem::path tracks_json, tracks_csv, run_json, render;
};

TrackRunSummary run_tracking(const TrackRunOptions& options, const ProgressCallback& progress);

// Options as JSON (saved in run.json; the CLI prints nothing of it).
std::string tracker_options_json(const TrackerOptions& o);

}  // namespace bt::track
