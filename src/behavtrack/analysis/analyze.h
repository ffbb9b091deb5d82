// `behavtrack analyze`: many videos to tracks, behaviour tables and a report each.
//
//   bt::analysis::AnalyzeOptions o;
//   o.videos = bt::analysis::expand_video_inputs({"videos/"});   // files, folders, globs
//   o.out_dir = "results";  o.animals = 5;  o.pose_model = "project/models/cycle3";
//   bt::analysis::AnalyzeSummary s = bt::analysis::analyze_videos(o, progress);
//
// Each video is streamed once: decode -> detect (pose model, or the classical detector
// when none is given) -> colour histograms (track/appearance.h appearance_histograms) ->
// the streaming tracker with the known animal count. With two or more mice and
// tracker.offline_identities (the default, as in `behavtrack track`), the offline identity
// pass then runs over the whole video (track/tracker.h resolve_offline: a second tracker
// backwards in time over the same detections, and the identity resolver re-deciding the
// ambiguous contacts by motion, body length and colour): analyze's identities equal
// `track --video V --model M`'s for the same detections and tracker options (with one
// mouse the pass can exchange nothing and is skipped: the same ids). Then behaviour
// (when a behaviour model is given), tables and report, all from the final identities.
// Outputs in out_dir/<video stem>/:
//   tracks.json (Instances JSON with ids), tracks.csv, behavior.csv, bouts.csv,
//   report.html, tracks.mp4 (with render: a second decoding pass once the ids are final),
//   analysis.json (options, inputs, timings, what the offline pass did).
// Every file is written atomically and analysis.json last: a video whose analysis.json
// matches the current options and the video's size and time is complete and skipped; a
// killed run resumes with the first incomplete video.
// Memory: frames stream through; the tracker holds a bounded window; the tracks of one
// video (a few hundred bytes per mouse per frame) are kept for the behaviour classifier,
// in flat arrays while streaming (core/compact_frames.h). The offline pass also keeps the
// detections (the same way) and their colour histograms while streaming, the histograms'
// non-zero bins only (track/frame_histograms.h: ~85 bytes a detection on synthetic 5-mouse
// videos, ~30 on the DLC mouse, against ~550 as one vector each). When the stream ends,
// resolve_offline reads the histograms a frame at a time but takes the detections and the
// forward tracks as whole-video vectors and makes the backward run's: peak memory then
// grows by ~0.35 KB per detection. Measured (bench/analysis/analyze_offline.sh,
// BT_OFFLINE_MEMORY=1; synth 5 mice, classical detector): 1 minute 247 MiB with or without
// the pass; 10 minutes 248 MiB without, 273 MiB with it (90,000 detections; 303 MiB when
// the histograms were expanded too). With one mouse the pass is skipped (it can exchange
// nothing): the DLC video's 10-minute peak is 235 MiB against 233 for 1 minute.
// Thread safety: reentrant; uses all compute threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "behavtrack/analysis/report.h"
#include "behavtrack/core/progress.h"
#include "behavtrack/track/tracker_options.h"

namespace bt::analysis {

struct AnalyzeOptions {
  std::vector<std::filesystem::path> videos;
  std::filesystem::path out_dir;
  std::filesystem::path pose_model;      // model folder or .torchscript; empty = classical
  std::filesystem::path behavior_model;  // behaviour model folder; empty = no behaviour
  int animals = 0;                       // mice per video; 0 = unknown
  std::string device = "cpu";            // cpu | cuda | cuda:N
  bool render = false;                   // also write tracks.mp4
  // A pose model's full detection runs at least every this many frames; in between, each
  // mouse is refined in a crop around where it moved (pose/pose_stream.h). 1 = every frame.
  int detect_every_frames = 5;
  bool force = false;                    // redo videos whose outputs are complete
  track::TrackerOptions tracker;
  ReportOptions report;

  void validate() const;  // throws bt::Error naming the field and value
};

struct VideoAnalysis {
  std::filesystem::path video, out_dir;
  bool skipped = false;          // complete from an earlier run
  std::int64_t frames = 0;
  int identities = 0;
  // The offline identity pass (track/identity_resolver.h): whether it ran, the ambiguous
  // contact episodes it found, how many it re-decided and how many exchanges its colour
  // repair undid.
  bool offline_ran = false;
  int offline_episodes = 0, offline_changed = 0, offline_repaired = 0;
  double seconds = 0;            // wall time of this video
  double realtime_factor = 0;    // video duration / wall time
};

struct AnalyzeSummary {
  std::vector<VideoAnalysis> videos;
};

AnalyzeSummary analyze_videos(const AnalyzeOptions& options, const ProgressCallback& progress);

// Files are taken as they are; folders give their videos (mp4, avi, mov, mkv, mpg, mpeg,
// webm, m4v; not recursive); anything with * ? [ is a glob. Sorted, duplicates removed.
// Throws bt::Error naming an argument that matches nothing.
std::vector<std::filesystem::path> expand_video_inputs(const std::vector<std::string>& inputs);

}  // namespace bt::analysis
