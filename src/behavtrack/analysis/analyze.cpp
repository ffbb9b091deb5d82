#include "behavtrack/analysis/analyze.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "behavtrack/analysis/frame_detector.h"
#include "behavtrack/behavior/pose_classifier.h"
#include "behavtrack/behavior/prediction.h"
#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/compact_frames.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/instances_json.h"
#include "behavtrack/core/log.h"
#include "behavtrack/core/resources.h"
#include "behavtrack/core/runtime.h"
#include "behavtrack/track/appearance.h"
#include "behavtrack/track/detections_io.h"
#include "behavtrack/track/track_render.h"
#include "behavtrack/track/track_run.h"
#include "behavtrack/track/tracker.h"
#include "behavtrack/video/video_info.h"
#include "behavtrack/video/video_reader.h"
#include "behavtrack/video/video_writer.h"

namespace bt::analysis {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const std::set<std::string> kVideoExtensions = {".mp4", ".avi", ".mov", ".mkv", ".mpg",
                                                ".mpeg", ".webm", ".m4v"};
constexpr const char* kMarkerFormat = "behavtrack.analysis/1";
// Non-zero bins of one mouse's colour histogram (of 128), for reserving: measured 12 on
// synthetic 5-mouse videos, 3 on the DLC open-field mouse.
constexpr std::size_t kNonzeroBinsGuess = 16;

bool is_video_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return kVideoExtensions.count(ext) > 0;
}

std::vector<fs::path> glob_paths(const std::string& pattern) {
  glob_t g{};
  std::vector<fs::path> out;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  return out;
}

// The tracker options a run uses: the user's, with the known animal count, and score
// thresholds no higher than what the detector calls confident (a pose model's IoU-aware score
// of ~0.45 on a found mouse is below ByteTrack's 0.5/0.6, which would start no track).
track::TrackerOptions tracker_options_for(const AnalyzeOptions& o, const FrameDetector& detector) {
  track::TrackerOptions t = o.tracker;
  t.animals = o.animals;
  // The offline identity pass needs a known count (tracker.h resolve_offline), and it only
  // exchanges ids at contacts between mice: with one mouse its output is the streaming
  // tracker's, so it is skipped (it would hold ~0.5 KB per frame until the stream ends:
  // 10-minute DLC video, peak memory 243 MiB with it, 235 without).
  t.offline_identities = o.tracker.offline_identities && o.animals > 1;
  const double confident = detector.confident_score();
  t.score_high = std::min(t.score_high, confident);
  t.score_new = std::min(t.score_new, confident);
  t.score_low = std::min(t.score_low, t.score_high);
  return t;
}

// What identifies the analysed input and the analysis: options as used (the report shows
// them), and the video's size and modification time. A run whose marker holds the same is
// complete.
json identity_of(const fs::path& video, const AnalyzeOptions& o, const FrameDetector& detector) {
  struct stat st {};
  ::stat(video.c_str(), &st);
  return {{"video", fs::absolute(video).string()},
          {"video_bytes", static_cast<std::int64_t>(st.st_size)},
          {"video_mtime_s", static_cast<std::int64_t>(st.st_mtime)},
          {"detector", detector.description()},
          {"pose_model", o.pose_model.string()},
          {"behavior_model", o.behavior_model.string()},
          {"animals", o.animals},
          {"render", o.render},
          {"detect_every_frames", o.detect_every_frames},
          {"tracker", json::parse(track::tracker_options_json(tracker_options_for(o, detector)))},
          // Earlier runs fed the streaming tracker whole-box hue x saturation histograms.
          {"colour_histograms", "appearance_histograms"},
          {"report", {{"occupancy_cell_px", o.report.occupancy_cell_px},
                      {"trajectory_rate_hz", o.report.trajectory_rate_hz},
                      {"speed_bin_s", o.report.speed_bin_s},
                      {"contact_distance_px", o.report.contact_distance_px}}}};
}

bool is_complete(const fs::path& out_dir, const json& identity) {
  const fs::path marker = out_dir / "analysis.json";
  std::error_code ec;
  if (!fs::exists(marker, ec)) return false;
  const json m = json::parse(read_file(marker), nullptr, false);
  if (m.is_discarded() || m.value("format", "") != kMarkerFormat || m["identity"] != identity) return false;
  for (const auto& name : m["outputs"])
    if (!fs::exists(out_dir / name.get<std::string>(), ec)) return false;
  return true;
}

struct TrackedVideo {
  InstancesFile tracks;  // final identities
  int identities = 0;
  bool offline_ran = false;
  track::IdentityResolverStats offline;
  // Wall time of each stage, seconds: decode + detect + streaming tracker, the offline pass
  // (expanding what was kept, backward run, identity resolver), the --render pass.
  double stream_s = 0, offline_s = 0, render_s = 0;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// What one pass over the video leaves: the streaming tracker's output and, for the offline
// identity pass, what it was given. All flat (compact_frames.h, track/frame_histograms.h), so
// that memory stays flat in video length while frames stream.
struct StreamedVideo {
  CompactFrames forward, detections;
  track::CompactHistograms histograms;
  int identities = 0;
};

// Decode -> detect -> colour histograms -> streaming tracker, keeping what the offline pass
// needs when it runs.
StreamedVideo stream_video(const fs::path& video_path, FrameDetector& detector, const track::TrackerOptions& options,
                           const InstancesHeader& header, const ProgressCallback& progress) {
  video::VideoReader reader(video_path);
  track::Tracker tracker(options, header.skeleton, header.fps, header.width, header.height);
  // Histograms as `track --video` computes them, so both give the same ids on the same detections.
  const bool offline = options.offline_identities, colour = options.uses_appearance();
  StreamedVideo kept;
  const auto n_frames = static_cast<std::size_t>(std::max<std::int64_t>(0, reader.info().n_frames));
  const std::size_t instances = n_frames * static_cast<std::size_t>(std::max(1, options.animals));
  const std::size_t keypoints = instances * header.skeleton.keypoints.size();
  kept.forward.reserve(n_frames, instances, keypoints);
  if (offline) kept.detections.reserve(n_frames, instances, keypoints);
  if (offline && colour) kept.histograms.reserve(n_frames, instances, instances * kNonzeroBinsGuess);
  auto take = [&](const std::vector<FrameInstances>& done) {
    for (const FrameInstances& f : done) kept.forward.push_back(f);
  };
  Progress bar(header.video, reader.info().n_frames, progress);
  HeapReleaser heap = HeapReleaser::per_second_of_video(header.fps);  // memory flat in video length
  video::Frame frame;
  while (reader.read(frame)) {
    heap.tick();
    const FrameInstances detections{frame.index, detector.detect(frame.image, frame.index)};
    std::vector<track::Appearance> appearances;
    if (colour) appearances = track::appearance_histograms(frame.image, detections.instances);
    take(tracker.push(detections, appearances));
    if (offline) kept.detections.push_back(detections);
    if (offline && colour) kept.histograms.push_back(appearances);
    bar.advance();
  }
  take(tracker.flush());
  bar.finish();
  kept.identities = tracker.stats().identities;
  return kept;
}

// The offline half of `track` (tracker.h resolve_offline) over the kept stream: the
// backward run and the identity pass. It reads the histograms a frame at a time, from the
// flat arrays; it takes the detections and the forward tracks as vectors, so those are
// expanded for this call, each flat copy freed as soon as it is (the peak then holds the
// expanded detections and both runs' tracks, not the flat copies as well).
std::vector<FrameInstances> resolve_offline(StreamedVideo kept, const track::TrackerOptions& options,
                                            const InstancesHeader& header, track::IdentityResolverStats& stats) {
  const double per_histogram = static_cast<double>(kept.histograms.nonzero_bins()) /
                               static_cast<double>(std::max<std::size_t>(1, kept.histograms.histograms()));
  log_debug("{}: offline identity pass over {} frames; {} colour histograms kept in {:.2f} MiB, {:.1f} non-zero bins "
            "each", header.video, kept.detections.size(), kept.histograms.histograms(),
            kept.histograms.bytes() / 1048576.0, per_histogram);
  const std::vector<FrameInstances> detections = std::exchange(kept.detections, {}).expand();
  std::vector<FrameInstances> forward = std::exchange(kept.forward, {}).expand();
  return track::resolve_offline(std::move(forward), options, header.skeleton, header.fps, header.width,
                                header.height, detections, options.uses_appearance() ? &kept.histograms : nullptr,
                                &stats);
}

// tracks.mp4: a second pass over the video, drawing the final identities.
void render_tracks(const fs::path& video_path, const InstancesFile& tracks, const fs::path& out,
                   const ProgressCallback& progress) {
  video::VideoReader reader(video_path);
  const video::VideoInfo& info = reader.info();
  track::TrackPainter painter(tracks.header.skeleton, tracks.header.fps);
  video::VideoWriter writer(out, video::WriterOptions{info.width, info.height, info.fps});
  Progress bar(tracks.header.video + " render", info.n_frames, progress);
  HeapReleaser heap = HeapReleaser::per_second_of_video(tracks.header.fps);
  auto next = tracks.frames.begin();
  video::Frame frame;
  while (reader.read(frame)) {
    heap.tick();
    while (next != tracks.frames.end() && next->frame < frame.index) ++next;
    const bool tracked = next != tracks.frames.end() && next->frame == frame.index;
    painter.draw(frame.image, tracked ? *next : FrameInstances{frame.index, {}});
    writer.write(frame.image);
    bar.advance();
  }
  writer.close();
  bar.finish();
}

void write_tracks_json(const fs::path& path, const InstancesFile& tracks) {
  InstancesJsonWriter out(path, tracks.header);
  for (const FrameInstances& f : tracks.frames) out.add_frame(f);
  out.commit();
}

// Decode -> detect -> track; with a known count, the offline identity pass; then tracks.json
// and tracks.mp4 with the final identities.
TrackedVideo detect_and_track(const fs::path& video_path, const video::VideoInfo& info, FrameDetector& detector,
                              const AnalyzeOptions& o, const fs::path& out, const ProgressCallback& progress) {
  detector.begin_video(video_path);
  TrackedVideo result;
  InstancesHeader& header = result.tracks.header;
  header.video = video_path.filename().string();
  header.fps = info.fps_value();
  header.width = info.width;
  header.height = info.height;
  header.skeleton = detector.skeleton();
  const track::TrackerOptions options = tracker_options_for(o, detector);
  {
    auto start = std::chrono::steady_clock::now();
    StreamedVideo kept = stream_video(video_path, detector, options, header, progress);
    release_free_heap_memory();  // the decoder's and detector's frame buffers, before the offline pass
    result.stream_s = seconds_since(start);
    start = std::chrono::steady_clock::now();
    result.identities = kept.identities;
    result.offline_ran = options.offline_identities;
    result.tracks.frames = result.offline_ran ? resolve_offline(std::move(kept), options, header, result.offline)
                                              : kept.forward.expand();
    if (result.offline_ran) result.offline_s = seconds_since(start);
  }
  release_free_heap_memory();  // what the offline pass held
  write_tracks_json(out / "tracks.json", result.tracks);
  if (o.render) {
    const auto start = std::chrono::steady_clock::now();
    render_tracks(video_path, result.tracks, out / "tracks.mp4", progress);
    result.render_s = seconds_since(start);
  }
  return result;
}

// Per-frame behaviour names from a prediction, keyed by (frame, id).
std::map<std::pair<FrameIndex, int>, std::string> behavior_by_frame(const behavior::BehaviorPrediction& p) {
  std::map<std::pair<FrameIndex, int>, std::string> out;
  for (const auto& mouse : p.mice)
    for (std::size_t i = 0; i < mouse.frames.size(); ++i)
      out[{mouse.frames[i], mouse.id.value}] = p.behaviors[mouse.classes[i]];
  return out;
}

void write_report(const TrackedVideo& tracked, const std::map<std::pair<FrameIndex, int>, std::string>& behaviors,
                  const std::vector<std::string>& behavior_names, const AnalyzeOptions& o,
                  const FrameDetector& detector, const json& identity, const fs::path& out) {
  ReportMeta meta;
  meta.video = tracked.tracks.header.video;
  meta.fps = tracked.tracks.header.fps;
  meta.width = tracked.tracks.header.width;
  meta.height = tracked.tracks.header.height;
  meta.behaviors = behavior_names;
  json metrics = {{"detector", json::parse(detector.metrics_json())}};
  if (tracked.offline_ran)
    metrics["offline identity pass"] = {{"ambiguous contacts", tracked.offline.episodes},
                                        {"re-decided", tracked.offline.changed},
                                        {"exchanges undone by colour", tracked.offline.repaired}};
  meta.metrics_json = metrics.dump();
  meta.options_json = identity.dump();
  ReportBuilder report(meta, o.report);
  for (const FrameInstances& f : tracked.tracks.frames) {
    std::vector<Instance> mice = f.instances;
    for (Instance& m : mice) {
      if (!m.id) continue;
      const auto it = behaviors.find({f.frame, m.id->value});
      m.behavior = it == behaviors.end() ? "" : it->second;
    }
    report.add_frame(f.frame, mice);
  }
  report.write_html(out / "report.html", web_dir());
}

// Everything analyze_one writes into result.out_dir (which exists), the marker last.
void analyze_into(VideoAnalysis& result, const video::VideoInfo& info, const json& identity, FrameDetector& detector,
                  const behavior::PoseClassifier* classifier, const AnalyzeOptions& o,
                  const ProgressCallback& progress) {
  const fs::path& video_path = result.video;
  // An earlier, different or interrupted run: its marker must go first.
  fs::remove(result.out_dir / "analysis.json");
  const auto start = std::chrono::steady_clock::now();

  const TrackedVideo tracked = detect_and_track(video_path, info, detector, o, result.out_dir, progress);
  track::write_tracks_csv(result.out_dir / "tracks.csv", tracked.tracks);
  std::vector<std::string> outputs = {"tracks.json", "tracks.csv", "report.html"};
  if (o.render) outputs.push_back("tracks.mp4");

  std::map<std::pair<FrameIndex, int>, std::string> behaviors;
  std::vector<std::string> behavior_names;
  if (classifier) {
    const behavior::BehaviorPrediction p = classifier->predict(tracked.tracks, progress);
    behavior::write_behavior_csv(result.out_dir / "behavior.csv", p);
    behavior::write_bouts_csv(result.out_dir / "bouts.csv", p);
    outputs.insert(outputs.end(), {"behavior.csv", "bouts.csv"});
    behaviors = behavior_by_frame(p);
    behavior_names = p.behaviors;
  }
  write_report(tracked, behaviors, behavior_names, o, detector, identity, result.out_dir);

  result.frames = static_cast<std::int64_t>(tracked.tracks.frames.size());
  result.identities = tracked.identities;
  result.offline_ran = tracked.offline_ran;
  result.offline_episodes = tracked.offline.episodes;
  result.offline_changed = tracked.offline.changed;
  result.offline_repaired = tracked.offline.repaired;
  result.seconds = seconds_since(start);
  const double duration_s = tracked.tracks.header.fps > 0 ? result.frames / tracked.tracks.header.fps : 0;
  result.realtime_factor = result.seconds > 0 ? duration_s / result.seconds : 0;

  const json marker = {{"format", kMarkerFormat},
                       {"identity", identity},
                       {"outputs", outputs},
                       {"frames", result.frames},
                       {"identities", result.identities},
                       {"offline_identities", {{"ran", result.offline_ran},
                                               {"episodes", result.offline_episodes},
                                               {"changed", result.offline_changed},
                                               {"repaired", result.offline_repaired}}},
                       {"seconds", result.seconds},
                       {"stage_seconds", {{"stream", tracked.stream_s},
                                          {"offline_identities", tracked.offline_s},
                                          {"render", tracked.render_s}}},
                       {"realtime_factor", result.realtime_factor}};
  write_file_atomically(result.out_dir / "analysis.json", marker.dump(1) + "\n");
}

VideoAnalysis analyze_one(const fs::path& video_path, FrameDetector& detector,
                          const behavior::PoseClassifier* classifier, const AnalyzeOptions& o,
                          const ProgressCallback& progress) {
  VideoAnalysis result;
  result.video = video_path;
  result.out_dir = o.out_dir / video_path.stem();
  const json identity = identity_of(video_path, o, detector);
  if (!o.force && is_complete(result.out_dir, identity)) {
    result.skipped = true;
    return result;
  }
  const video::VideoInfo info = video::probe(video_path);  // a file that is not a video fails here, before any output
  // A failed first analysis takes its folder away; an earlier run's folder stays, without
  // its completion marker.
  const bool created = !fs::exists(result.out_dir);
  fs::create_directories(result.out_dir);
  try {
    analyze_into(result, info, identity, detector, classifier, o, progress);
  } catch (...) {
    std::error_code ec;
    if (created) fs::remove_all(result.out_dir, ec);
    throw;
  }
  return result;
}

}  // namespace

void AnalyzeOptions::validate() const {
  if (videos.empty()) throw_invalid("analyze: no videos given");
  if (out_dir.empty()) throw_invalid("analyze: --out is required");
  if (animals < 0) throw_invalid("analyze option animals = " + std::to_string(animals) + ": must be >= 0");
  if (detect_every_frames < 1)
    throw_invalid("analyze option detect_every_frames = " + std::to_string(detect_every_frames) + ": must be >= 1");
  if (!pose_model.empty() && pose_model != "classical" && !fs::exists(pose_model))
    throw_not_found("pose model " + quoted(pose_model.string()) + ": does not exist");
  if (!behavior_model.empty() && !fs::exists(behavior_model))
    throw_not_found("behaviour model " + quoted(behavior_model.string()) + ": does not exist");
  std::set<std::string> stems;
  for (const fs::path& v : videos) {
    if (!stems.insert(v.stem().string()).second)
      throw_invalid("analyze: two videos are named " + quoted(v.stem().string()) +
                    "; their outputs would share out/" + v.stem().string() + "; analyze them into different --out folders");
  }
  tracker.validate();
  report.validate();
}

std::vector<fs::path> expand_video_inputs(const std::vector<std::string>& inputs) {
  std::set<fs::path> found;
  for (const std::string& input : inputs) {
    std::vector<fs::path> matches;
    std::error_code ec;
    if (input.find_first_of("*?[") != std::string::npos) {
      matches = glob_paths(input);
    } else if (fs::is_directory(input, ec)) {
      for (const auto& e : fs::directory_iterator(input))
        if (e.is_regular_file() && is_video_file(e.path())) matches.push_back(e.path());
    } else if (fs::exists(input, ec)) {
      matches.emplace_back(input);
    } else {
      throw_not_found("video " + quoted(input) + ": does not exist");
    }
    if (matches.empty()) throw_not_found("videos " + quoted(input) + ": no video files match");
    found.insert(matches.begin(), matches.end());
  }
  return {found.begin(), found.end()};
}

AnalyzeSummary analyze_videos(const AnalyzeOptions& options, const ProgressCallback& progress) {
  options.validate();
  std::unique_ptr<FrameDetector> detector = make_detector(options.pose_model, options.device, options.animals,
                                                          options.detect_every_frames);
  std::unique_ptr<behavior::PoseClassifier> classifier;
  if (!options.behavior_model.empty())
    classifier = std::make_unique<behavior::PoseClassifier>(behavior::PoseClassifier::load(options.behavior_model));

  AnalyzeSummary summary;
  Progress overall("analyze", static_cast<std::int64_t>(options.videos.size()), progress);
  for (const fs::path& video : options.videos) {
    summary.videos.push_back(analyze_one(video, *detector, classifier.get(), options, progress));
    const VideoAnalysis& v = summary.videos.back();
    if (v.skipped)
      log_info("{}: complete from an earlier run, skipped", video.string());
    overall.advance();
  }
  overall.finish();
  return summary;
}

}  // namespace bt::analysis
