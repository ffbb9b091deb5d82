#include "behavtrack/analysis/analyze.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

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
  t.offline_identities = false;  // analyze streams each video once; the offline pass is track's
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

// Keeps the decoded frames the tracker has not released yet, for --render.
class RenderQueue {
 public:
  RenderQueue(const fs::path& path, const video::VideoInfo& info, const Skeleton& skeleton)
      : painter_(skeleton, info.fps_value()),
        writer_(path, video::WriterOptions{info.width, info.height, info.fps}) {}
  void hold(FrameIndex index, const cv::Mat& bgr) { pending_.emplace_back(index, bgr.clone()); }
  void draw(const FrameInstances& tracked) {
    while (!pending_.empty() && pending_.front().first <= tracked.frame) {
      auto [index, image] = std::move(pending_.front());
      pending_.pop_front();
      painter_.draw(image, index == tracked.frame ? tracked : FrameInstances{index, {}});
      writer_.write(image);
    }
  }
  void close() { writer_.close(); }

 private:
  track::TrackPainter painter_;
  video::VideoWriter writer_;
  std::deque<std::pair<FrameIndex, cv::Mat>> pending_;
};

struct TrackedVideo {
  InstancesFile tracks;
  int identities = 0;
};

// Decode -> detect -> track, writing tracks.json as frames leave the tracker.
TrackedVideo detect_and_track(const fs::path& video_path, FrameDetector& detector, const AnalyzeOptions& o,
                              const fs::path& out, const ProgressCallback& progress) {
  detector.begin_video(video_path);
  video::VideoReader reader(video_path);
  const video::VideoInfo& info = reader.info();
  TrackedVideo result;
  InstancesHeader& header = result.tracks.header;
  header.video = video_path.filename().string();
  header.fps = info.fps_value();
  header.width = info.width;
  header.height = info.height;
  header.skeleton = detector.skeleton();

  track::Tracker tracker(tracker_options_for(o, detector), header.skeleton, header.fps, info.width, info.height);
  InstancesJsonWriter tracks_json(out / "tracks.json", header);
  std::unique_ptr<RenderQueue> render;
  if (o.render) render = std::make_unique<RenderQueue>(out / "tracks.mp4", info, header.skeleton);

  // The tracks stay for the behaviour classifier and the report, kept flat so that memory
  // stays flat in video length (compact_frames.h).
  CompactFrames kept;
  const auto n_frames = static_cast<std::size_t>(std::max<std::int64_t>(0, info.n_frames));
  const auto animals = static_cast<std::size_t>(std::max(1, o.animals));
  kept.reserve(n_frames, n_frames * animals, n_frames * animals * header.skeleton.keypoints.size());
  auto take = [&](const std::vector<FrameInstances>& done) {
    for (const FrameInstances& f : done) {
      tracks_json.add_frame(f);
      if (render) render->draw(f);
      kept.push_back(f);
    }
  };
  Progress bar(header.video, info.n_frames, progress);
  HeapReleaser heap = HeapReleaser::per_second_of_video(header.fps);  // memory flat in video length
  video::Frame frame;
  while (reader.read(frame)) {
    heap.tick();
    FrameInstances detections{frame.index, detector.detect(frame.image, frame.index)};
    std::vector<track::Appearance> appearances;
    for (const Instance& d : detections.instances)
      appearances.push_back(track::appearance_histogram(frame.image, d.box));
    if (render) render->hold(frame.index, frame.image);
    take(tracker.push(detections, appearances));
    bar.advance();
  }
  take(tracker.flush());
  if (render) render->close();
  tracks_json.commit();
  bar.finish();
  result.tracks.frames = kept.expand();
  result.identities = tracker.stats().identities;
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
  meta.metrics_json = json{{"detector", json::parse(detector.metrics_json())}}.dump();
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
  video::probe(video_path);  // a file that is not a video fails here, before any output
  fs::create_directories(result.out_dir);
  // An earlier, different or interrupted run: its marker must go first.
  fs::remove(result.out_dir / "analysis.json");
  const auto start = std::chrono::steady_clock::now();

  const TrackedVideo tracked = detect_and_track(video_path, detector, o, result.out_dir, progress);
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
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double duration_s = tracked.tracks.header.fps > 0 ? result.frames / tracked.tracks.header.fps : 0;
  result.realtime_factor = result.seconds > 0 ? duration_s / result.seconds : 0;

  const json marker = {{"format", kMarkerFormat}, {"identity", identity},   {"outputs", outputs},
                       {"frames", result.frames}, {"identities", result.identities},
                       {"seconds", result.seconds}, {"realtime_factor", result.realtime_factor}};
  write_file_atomically(result.out_dir / "analysis.json", marker.dump(1) + "\n");
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
