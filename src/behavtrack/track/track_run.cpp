#include "behavtrack/track/track_run.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/instances_json.h"
#include "behavtrack/core/log.h"
#include "behavtrack/track/appearance.h"
#include "behavtrack/track/detections_io.h"
#include "behavtrack/track/frame_detector.h"
#include "behavtrack/track/identity_resolver.h"
#include "behavtrack/track/track_render.h"
#include "behavtrack/track/tracker.h"
#include "behavtrack/track/video_frames.h"

namespace bt::track {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// The longest stretch without any detections a detections file may hold, seconds.
constexpr double kMaxDetectionGapS = 3600;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

// The tracker steps through every frame up to the last one listed (a frame without
// detections is a frame without mice), so a frame number far past the video, or a gap of
// hours, would fill memory with empty frames: refused, naming the frame.
void check_frame_span(const TrackRunOptions& o, const InstancesFile& in, const std::optional<VideoFacts>& video) {
  const std::string subject = "detections " + quoted(o.detections.string());
  const double fps = o.fps > 0 ? o.fps : in.header.fps > 0 ? in.header.fps : 30.0;
  const auto max_gap = static_cast<FrameIndex>(kMaxDetectionGapS * fps);
  FrameIndex previous = -1;
  for (const FrameInstances& f : in.frames) {
    if (video && video->n_frames > 0 && f.frame >= video->n_frames)
      throw_invalid(subject + ": frame " + std::to_string(f.frame) + " is beyond video " + quoted(o.video.string()) +
                    " (" + std::to_string(video->n_frames) + " frames)");
    if (f.frame - previous > max_gap)
      throw_invalid(subject + ": frame " + std::to_string(f.frame) + " comes " + std::to_string(f.frame - previous) +
                    " frames after the previous one (more than " + fmt::format("{:g}", kMaxDetectionGapS / 3600) +
                    " hour at " + fmt::format("{:g}", fps) + " fps); is its frame number wrong?");
    previous = f.frame;
  }
}

InstancesFile load_detections(const TrackRunOptions& o, const std::optional<VideoFacts>& video) {
  if (o.detections.empty()) throw_invalid("track: no detections; give a detections file or folder, or --video with --model");
  if (!fs::exists(o.detections)) throw_not_found("detections " + quoted(o.detections.string()) + ": no such file or folder");
  InstancesFile in;
  if (fs::is_directory(o.detections)) {
    YoloReadOptions y;
    y.width_px = o.width_px > 0 ? o.width_px : (video ? video->width : 0);
    y.height_px = o.height_px > 0 ? o.height_px : (video ? video->height : 0);
    y.frame_base = o.yolo_frame_base;
    if (!o.keypoints.empty()) y.skeleton = Skeleton::from_names(o.keypoints, "");
    in.header.skeleton = y.skeleton;
    in.header.width = y.width_px;
    in.header.height = y.height_px;
    in.frames = read_yolo_pose_folder(o.detections, y);
  } else {
    in = read_instances_json(o.detections);
    if (!o.keypoints.empty()) {
      const Skeleton expected = Skeleton::from_names(o.keypoints, "");
      if (!in.header.skeleton.same_keypoints(expected))
        throw_invalid("detections " + quoted(o.detections.string()) + ": skeleton " +
                      join(in.header.skeleton.keypoints) + " differs from the expected " + join(expected.keypoints) +
                      "; detections from a model with another skeleton?");
    }
  }
  check_frame_span(o, in, video);
  return in;
}

// Header of the output: what the detections say, completed by options and the video.
InstancesHeader output_header(const TrackRunOptions& o, InstancesHeader h, const std::optional<VideoFacts>& video) {
  if (o.fps > 0) h.fps = o.fps;
  else if (!(h.fps > 0) && video) h.fps = video->fps;
  if (o.width_px > 0) h.width = o.width_px;
  else if (h.width <= 0 && video) h.width = video->width;
  if (o.height_px > 0) h.height = o.height_px;
  else if (h.height <= 0 && video) h.height = video->height;
  if (!o.video.empty()) h.video = o.video.filename().string();
  const std::string source = o.model.empty() ? "detections " + quoted(o.detections.string()) : "video " + quoted(o.video.string());
  if (!(h.fps > 0)) throw_invalid(source + ": frame rate unknown; pass --fps (tracking times are in seconds)");
  if (h.width <= 0 || h.height <= 0)
    throw_invalid(source + ": image size unknown; pass --width and --height (pixels) or --video");
  if (video && (video->width != h.width || video->height != h.height))
    throw_invalid("video " + quoted(o.video.string()) + ": " + std::to_string(video->width) + "x" +
                  std::to_string(video->height) + " but the detections are for " + std::to_string(h.width) + "x" +
                  std::to_string(h.height));
  return h;
}

// Renders frames as the tracker emits them, reading its own copy of the video forward.
class Renderer {
 public:
  Renderer(const TrackRunOptions& o, const InstancesHeader& h)
      : reader_(open_frame_reader(o.video)), painter_(h.skeleton, h.fps, o.trail_s) {
    VideoFacts facts = reader_->facts();
    facts.fps = h.fps;
    writer_ = open_frame_writer(o.render, facts);
  }
  // Writes every video frame up to and including `frame`.
  void write_until(FrameIndex frame, const FrameInstances* tracks) {
    const FrameIndex last = std::min<FrameIndex>(frame, reader_->facts().n_frames - 1);
    for (; next_ <= last; ++next_) {
      cv::Mat img = reader_->at(next_).clone();
      if (img.channels() == 1) cv::cvtColor(img, img, cv::COLOR_GRAY2BGR);
      const FrameInstances none{next_, {}};
      painter_.draw(img, tracks && tracks->frame == next_ ? *tracks : none);
      writer_->write(img);
    }
  }
  void finish() {
    write_until(reader_->facts().n_frames - 1, nullptr);
    writer_->close();
  }

 private:
  std::unique_ptr<FrameReader> reader_;
  std::unique_ptr<FrameWriter> writer_;
  TrackPainter painter_;
  FrameIndex next_ = 0;
};

FrameDetectorOptions detector_options(const TrackRunOptions& o) {
  FrameDetectorOptions d;
  d.model = o.model;
  d.device = o.device;
  d.animals = o.tracker.animals;
  return d;
}

// What a run reads: the video when given, and either a detector on it or a detections
// file (whose header carries the skeleton, size and frame rate).
struct TrackInputs {
  std::unique_ptr<FrameReader> video;
  std::optional<VideoFacts> facts;
  std::unique_ptr<FrameDetector> detector;  // set when detecting with --model
  InstancesFile detections;                 // frames empty when detecting
};

TrackInputs open_inputs(const TrackRunOptions& o) {
  TrackInputs in;
  if (!o.video.empty()) {
    in.video = open_frame_reader(o.video);
    in.facts = in.video->facts();
  }
  if (o.model.empty()) {
    in.detections = load_detections(o, in.facts);
  } else {
    in.detector = open_frame_detector(detector_options(o), o.video);
    in.detections.header.skeleton = in.detector->skeleton();
  }
  return in;
}

// What a run writes, frame by frame as tracks become final: tracks.json, tracks.csv and
// the render. Nothing appears under its final name before commit().
class TrackOutputs {
 public:
  TrackOutputs(const TrackRunOptions& o, const InstancesHeader& header)
      : out_dir_(o.out_dir), render_(o.render), json_(out_dir_ / "tracks.json", header),
        csv_(out_dir_ / "tracks.csv", header) {
    if (!o.render.empty()) renderer_ = std::make_unique<Renderer>(o, header);
  }
  void write(const std::vector<FrameInstances>& done) {
    for (const FrameInstances& f : done) {
      json_.add_frame(f);
      csv_.add_frame(f);
      if (renderer_) renderer_->write_until(f.frame, &f);
      instances_ += static_cast<std::int64_t>(f.instances.size());
    }
  }
  // Finishes the render and moves the tables into place; fills the summary's paths and
  // instance count.
  void commit(TrackRunSummary& s) {
    if (renderer_) renderer_->finish();
    json_.commit();
    csv_.commit();
    s.tracks_json = out_dir_ / "tracks.json", s.tracks_csv = out_dir_ / "tracks.csv";
    s.run_json = out_dir_ / "run.json", s.render = render_;
    s.instances = instances_;
  }

 private:
  const fs::path out_dir_, render_;
  InstancesJsonWriter json_;
  TracksCsvWriter csv_;
  std::unique_ptr<Renderer> renderer_;
  std::int64_t instances_ = 0;
};

// The frames through the streaming tracker, in order. Without the offline identity pass
// each frame goes to the outputs as soon as the tracker settles it; with it (a known count
// and tracker.offline_identities) every output frame, the detections and their histograms
// are held until finish() has run the pass.
class StreamingPass {
 public:
  StreamingPass(const TrackRunOptions& o, const InstancesHeader& header, bool use_appearance, TrackOutputs& out)
      : o_(o), header_(header), use_appearance_(use_appearance),
        offline_(o.tracker.offline_identities && o.tracker.animals > 0), out_(out),
        tracker_(o.tracker, header.skeleton, header.fps, header.width, header.height) {}

  bool uses_appearance() const { return use_appearance_; }

  // One frame's detections, with the image their colour histograms come from (null: none).
  void step(const FrameInstances& f, const cv::Mat* image) {
    std::vector<Appearance> appearances;
    if (use_appearance_ && image) appearances = appearance_histograms(*image, f.instances);
    for (const Instance& d : f.instances)
      if (d.score < o_.tracker.score_high && d.score >= o_.tracker.score_low) ++low_score_detections_;
    const auto t0 = Clock::now();
    std::vector<FrameInstances> done = tracker_.push(f, appearances);
    if (offline_) pushed_.push_back(f);
    if (offline_ && use_appearance_) pushed_appearances_.push_back(appearances);
    tracker_s_ += std::chrono::duration<double>(Clock::now() - t0).count();
    consume(std::move(done));
  }

  // Flushes the tracker, runs the offline pass when on, and writes what is left.
  TrackRunSummary finish() {
    consume(tracker_.flush());
    TrackRunSummary s;
    if (offline_) {
      IdentityResolverStats resolved;
      out_.write(resolve_offline(std::move(held_), o_.tracker, header_.skeleton, header_.fps, header_.width,
                                 header_.height, pushed_, use_appearance_ ? &pushed_appearances_ : nullptr, &resolved));
      s.offline_episodes = resolved.episodes, s.offline_changed = resolved.changed, s.offline_repaired = resolved.repaired;
    }
    const TrackerStats& st = tracker_.stats();
    s.frames = st.frames;
    s.detections = st.detections_in;
    s.interpolated = st.interpolated;
    s.flips = st.flips;
    s.identities = st.identities;
    s.association_frames_s = tracker_s_ > 0 ? st.frames / tracker_s_ : 0;
    return s;
  }

  // A weak model (early in active learning, or on a new rig) scores many true detections
  // below score_high: a lost mouse then waits for a high score and its frames stay empty.
  // Measured on the DLC video with a model trained 5 minutes on another session's frames:
  // 1893 of 2330 frames tracked, all 2330 with --score-high 0.3 --score-new 0.3. Letting
  // low-score detections continue a lost mouse instead cost synthetic heavy-damage IDF1
  // 0.811 -> 0.788 (seeds 300..305), where low scores are mostly false positives.
  void warn_when_scores_are_low(const TrackRunSummary& s) const {
    const std::int64_t expected = s.frames * o_.tracker.animals;
    if (o_.tracker.animals <= 0 || s.detections == 0 || s.instances >= 0.9 * static_cast<double>(expected) ||
        low_score_detections_ < s.detections / 4)
      return;
    log_warn("track: {} of {} mouse-frames tracked, and {} of {} detections scored between --score-low {} and "
             "--score-high {}; for a weak model try --score-high 0.3 --score-new 0.3",
             s.instances, expected, low_score_detections_, s.detections, o_.tracker.score_low, o_.tracker.score_high);
  }

 private:
  void consume(std::vector<FrameInstances> done) {
    if (!offline_) return out_.write(done);
    for (FrameInstances& f : done) held_.push_back(std::move(f));
  }

  const TrackRunOptions& o_;
  const InstancesHeader& header_;
  const bool use_appearance_, offline_;
  TrackOutputs& out_;
  Tracker tracker_;
  double tracker_s_ = 0;                    // seconds spent in the tracker (association speed)
  std::vector<FrameInstances> held_;        // output frames awaiting the offline pass
  std::vector<FrameInstances> pushed_;      // the detections again, for the backward run
  CompactHistograms pushed_appearances_;    // and their histograms, when used
  std::int64_t low_score_detections_ = 0;   // between score_low and score_high
};

void write_run_json(const fs::path& path, const TrackRunOptions& o, const TrackRunSummary& s) {
  nlohmann::ordered_json j;
  j["command"] = "track";
  j["detections"] = o.detections.string();
  j["model"] = o.model;
  j["video"] = o.video.string();
  j["fps"] = o.fps;
  j["yolo_frame_base"] = o.yolo_frame_base;
  j["appearance"] = o.appearance;
  j["tracker"] = nlohmann::ordered_json::parse(tracker_options_json(o.tracker));
  j["summary"] = {{"frames", s.frames}, {"detections", s.detections}, {"instances", s.instances},
                  {"identities", s.identities}, {"interpolated", s.interpolated}, {"flips", s.flips},
                  {"offline_episodes", s.offline_episodes}, {"offline_changed", s.offline_changed},
                  {"offline_repaired", s.offline_repaired}};
  j["corrections"] = nlohmann::ordered_json::array();
  write_file_atomically(path, j.dump(2) + "\n");
}

// The render replaced whatever file it was given: the source video, the detections or an
// output of this run (written over it afterwards) were lost without a word.
void check_render_path(const TrackRunOptions& o) {
  const std::string subject = "--render " + quoted(o.render.string());
  if (o.render.extension() != ".mp4") throw_invalid(subject + ": must be an .mp4 file");
  std::error_code ec;
  const fs::path target = fs::weakly_canonical(o.render, ec);
  const std::pair<fs::path, const char*> taken[] = {{o.video, "the --video it draws on"},
                                                    {o.detections, "the detections file"},
                                                    {o.out_dir / "tracks.json", "an output of this run"},
                                                    {o.out_dir / "tracks.csv", "an output of this run"},
                                                    {o.out_dir / "run.json", "an output of this run"}};
  for (const auto& [path, what] : taken)
    if (!path.empty() && fs::weakly_canonical(path, ec) == target)
      throw_invalid(subject + ": is " + what + "; choose another file");
}

}  // namespace

void TrackRunOptions::validate() const {
  tracker.validate();
  if (out_dir.empty()) throw_invalid("track: --out is required");
  if (!(fps >= 0) || !std::isfinite(fps)) throw_invalid("--fps " + std::to_string(fps) + ": must be > 0");
  if (width_px < 0 || height_px < 0) throw_invalid("--width/--height: must be > 0");
  if (yolo_frame_base < 0) throw_invalid("--yolo-frame-base " + std::to_string(yolo_frame_base) + ": must be >= 0");
  if (!model.empty() && video.empty()) throw_invalid("--model " + quoted(model) + ": needs --video to detect on");
  if (!model.empty() && !detections.empty())
    throw_invalid("--model " + quoted(model) + ": give either a detections file or a model, not both");
  if (!render.empty() && video.empty()) throw_invalid("--render " + quoted(render.string()) + ": needs --video to draw on");
  if (!(trail_s >= 0 && trail_s <= 60)) throw_invalid(fmt::format("--trail-s {:g}: must be in [0, 60] seconds", trail_s));
  if (!render.empty()) check_render_path(*this);
}

std::string tracker_options_json(const TrackerOptions& o) {
  nlohmann::ordered_json j = {
      {"animals", o.animals}, {"cost", to_string(o.cost)},
      {"weights", {{"iou", o.weights.iou}, {"center", o.weights.center}, {"keypoints", o.weights.keypoints}, {"oks_kappa", o.weights.oks_kappa}}},
      {"behavtrack", {{"alpha", o.behavtrack.alpha}, {"scale_factor", o.behavtrack.scale_factor}, {"threshold", o.behavtrack.threshold}}},
      {"match_cost_max", o.match_cost_max}, {"switch_margin", o.switch_margin}, {"hold_s", o.hold_s}, {"appearance_weight", o.appearance_weight}, {"motion_model", o.motion_model},
      {"kalman", {{"accel_noise_px_s2", o.kalman.accel_noise_px_s2}, {"measurement_noise_px", o.kalman.measurement_noise_px}, {"initial_speed_px_s", o.kalman.initial_speed_px_s}}},
      {"coast_s", o.coast_s}, {"two_stage", o.two_stage}, {"score_high", o.score_high}, {"score_low", o.score_low},
      {"low_iou_min", o.low_iou_min}, {"score_new", o.score_new}, {"confirm_s", o.confirm_s}, {"reid", o.reid},
      {"reid_speed_bodies_s", o.reid_speed_bodies_s}, {"reid_appearance_weight", o.reid_appearance_weight},
      {"max_lost_s", o.max_lost_s}, {"max_gap_s", o.max_gap_s}, {"smooth_s", o.smooth_s},
      {"flip_correction", o.flip_correction}, {"head", o.head}, {"tail", o.tail},
      {"flip_min_speed_bodies_s", o.flip_min_speed_bodies_s}, {"flip_after_s", o.flip_after_s},
      {"offline_identities", o.offline_identities},
      {"offline", {{"contact_bodies", o.offline.contact_bodies}, {"uncertain_margin_s", o.offline.uncertain_margin_s},
                   {"join_s", o.offline.join_s}, {"motion_weight", o.offline.motion_weight},
                   {"speed_bodies_s", o.offline.speed_bodies_s}, {"size_weight", o.offline.size_weight},
                   {"size_tolerance", o.offline.size_tolerance}, {"keep_cost", o.offline.keep_cost},
                   {"backward_bias", o.offline.backward_bias},
                   {"continuity_weight", o.offline.continuity_weight}, {"near_s", o.offline.near_s},
                   {"appearance_weight", o.offline.appearance_weight}, {"appearance_margin", o.offline.appearance_margin},
                   {"appearance_alike", o.offline.appearance_alike},
                   {"appearance_min_s", o.offline.appearance_min_s}, {"contact_overlap", o.offline.contact_overlap},
                   {"repair_margin", o.offline.repair_margin}, {"repair_min_s", o.offline.repair_min_s}, {"iterations", o.offline.iterations}}}};
  return j.dump();
}

TrackRunSummary run_tracking(const TrackRunOptions& o, const ProgressCallback& progress) {
  o.validate();
  const auto start = Clock::now();
  TrackInputs in = open_inputs(o);
  const InstancesHeader header = output_header(o, in.detections.header, in.facts);
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) throw_io("--out " + quoted(o.out_dir.string()) + ": cannot create the folder: " + ec.message());

  TrackOutputs out(o, header);
  StreamingPass pass(o, header, in.video && o.appearance && o.tracker.uses_appearance(), out);
  const std::string name = (in.detector ? o.video : o.detections).filename().string();
  const auto n_frames = in.detector ? in.facts->n_frames : static_cast<std::int64_t>(in.detections.frames.size());
  Progress bar("track " + name, n_frames, progress);
  if (in.detector) {
    for (FrameIndex f = 0; f < in.facts->n_frames; ++f) {
      const cv::Mat& image = in.video->at(f);
      pass.step({f, in.detector->detect(image)}, &image);
      bar.advance();
    }
  } else {
    for (const FrameInstances& f : in.detections.frames) {
      pass.step(f, pass.uses_appearance() && f.frame < in.facts->n_frames ? &in.video->at(f.frame) : nullptr);
      bar.advance();
    }
  }
  TrackRunSummary s = pass.finish();
  bar.finish();
  out.commit(s);
  pass.warn_when_scores_are_low(s);
  write_run_json(s.run_json, o, s);
  s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  log_info("track: {} frames, {} ids, association {:.0f} frames/s", s.frames, s.identities, s.association_frames_s);
  return s;
}

}  // namespace bt::track
