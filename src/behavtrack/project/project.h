// The project store: one folder a study, with `behavtrack.db` (SQLite) holding videos,
// sampled frames, annotations, behaviour bouts, splits per active-learning cycle, models and
// runs (shared/DESIGN.md, "The project").
//
//   auto p = bt::project::Project::create("study/", {bt::Skeleton::default_mouse(), 5, bt::default_behaviors()});
//   auto q = bt::project::Project::open("study/");           // schema version checked
//   bt::project::FramePage page = q.list_frames({.split = Split::kTrain, .limit = 50});
//   bt::project::FrameAnnotations a = q.get_frame(page.frames[0].id);
//   auto r = q.put_frame(a.frame_id, edited, a.version, "alice");
//   if (r.status == PutStatus::kConflict) { /* someone saved first: reload (HTTP 409) */ }
//
// Coordinates are pixels of the frame's image (the video frame or the imported image),
// origin top-left; keypoint visibility as bt::Visibility (0 absent, 1 occluded, 2 visible).
// Frame indices are 0-based decode order of the video the frame came from.
// Paths: a video inside the project folder is stored relative to it, so the folder can be
// moved; frame images live in the project's `media/frames/` and are stored relative.
//
// Durability: every mutating call is one SQLite transaction in WAL mode with
// synchronous=FULL, so a call that returned survives kill -9 and power loss (one fsync of
// the WAL per commit; human edits are rare and bulk work is batched into one transaction).
// Thread safety: a Project (one SQLite connection) belongs to one thread at a time. Any
// number of threads or processes may each open their own Project on the same folder:
// readers never block, writers queue (busy_timeout) and commit one at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::project {

// Ends the message of an error raised because another process kept the database locked
// (the server answers those with 503: try again).
inline constexpr const char* kBusyHint = "another program is writing the project; try again";

// The schema version this build reads and writes (numbered migrations 1..kSchemaVersion).
inline constexpr int kSchemaVersion = 2;
// The database file inside a project folder.
inline constexpr const char* kDatabaseName = "behavtrack.db";

using VideoId = std::int64_t;
using FrameId = std::int64_t;
using BoutId = std::int64_t;

struct ProjectOptions {
  Skeleton skeleton = Skeleton::default_mouse();
  int expected_animals = 5;  // animals per frame; a frame is complete with this many
  std::vector<std::string> behaviors = default_behaviors();

  // Throws bt::Error naming the field and value.
  void validate() const;
};

struct VideoRecord {
  VideoId id = 0;
  std::filesystem::path path;  // absolute (resolved against the project folder)
  std::string hash;            // content hash (hex), see content_hash()
  double fps = 0;
  int width = 0, height = 0;
  std::int64_t n_frames = 0;
  double duration_s = 0;
  std::vector<FrameIndex> key_frames;
  std::optional<VideoId> source_video_id;  // set for preprocessed outputs
  std::string options_json;                // preprocessing options of an output, else ""
  bool missing = false;                    // the file is not at `path` any more
};

enum class FrameState { kEmpty, kStarted, kPredicted, kComplete };
const char* to_string(FrameState s);
FrameState frame_state_from_string(const std::string& s);  // throws bt::Error

enum class Split { kTest, kTrain, kVal, kPredict, kReserve };
const char* to_string(Split s);
Split split_from_string(const std::string& s);  // throws bt::Error naming the value

struct FrameRecord {
  FrameId id = 0;
  std::optional<VideoId> video_id;   // none for imported images
  FrameIndex frame_index = 0;        // index in the video; 0 for imported images
  std::string image_path;            // relative to the project folder (media/frames/...)
  std::string name;                  // display / export name, e.g. "m3v1_frame_120.png"
  int stratum = -1;                  // appearance stratum; -1 when none
  std::vector<float> feature;        // sampling feature (e.g. 256-bin histogram); may be empty
  FrameState state = FrameState::kEmpty;
  std::int64_t version = 0;          // bumped by every annotation edit
};

// A frame to register (sampling, imports).
struct NewFrame {
  std::optional<VideoId> video_id;
  FrameIndex frame_index = 0;
  std::string image_path;  // relative to the project folder
  std::string name;
  int stratum = -1;
  std::vector<float> feature;
};

struct FrameQuery {
  std::optional<int> cycle;          // with split: the cycle to read (default: the latest)
  std::optional<Split> split;
  std::optional<FrameState> state;
  std::optional<VideoId> video_id;
  bool incomplete_first = false;     // non-complete frames first, then by id
  std::int64_t offset = 0;
  std::int64_t limit = 100;          // <= 0: no limit
  // Keyset paging (id order only, not with incomplete_first): frames with id > after_id,
  // O(limit) however deep the page; offset is then ignored.
  std::optional<FrameId> after_id;
};

struct FramePage {
  std::vector<FrameRecord> frames;
  std::int64_t total = 0;     // frames matching the filter (ignoring offset/limit)
  std::int64_t complete = 0;  // of those, complete
};

enum class Source { kManual, kPredicted };
const char* to_string(Source s);
Source source_from_string(const std::string& s);  // "manual" | "predicted"; throws bt::Error

// One animal's annotation in one frame.
struct Annotation {
  Instance instance;              // box, keypoints (skeleton order), scores, id, behaviour
  Source source = Source::kManual;
  bool confirmed = true;          // predictions start unconfirmed
  bool box_derived = false;       // box computed from keypoints (formats without boxes)
  std::string author;             // who saved it last ("" for imports by nobody)
  std::string updated_at;         // ISO 8601 UTC, set by the store
};

struct FrameAnnotations {
  FrameId frame_id = 0;
  std::int64_t version = 0;
  std::vector<Annotation> instances;
};

enum class PutStatus { kOk, kConflict };
struct PutResult {
  PutStatus status = PutStatus::kOk;
  std::int64_t version = 0;  // the new version, or on conflict the current one
};

// A behaviour bout: one track doing one behaviour over frames [start_frame, end_frame].
// Like an instance, a bout says where it came from: a model's proposal (`active
// behavior-next`) is predicted and unconfirmed until a person confirms or edits it; only
// confirmed bouts are labels (training, evaluation, exports). Schema 2 added the two fields.
struct Bout {
  BoutId id = 0;
  VideoId video_id = 0;
  TrackId track;
  std::string behavior;
  FrameIndex start_frame = 0, end_frame = 0;  // inclusive
  std::int64_t version = 0;
  Source source = Source::kManual;
  bool confirmed = true;  // proposals start unconfirmed
};

// The confirmed bouts of `bouts`, in order: what training and evaluation may treat as
// truth. `n_unconfirmed` (optional) receives how many were left out.
std::vector<Bout> confirmed_bouts(const std::vector<Bout>& bouts, std::size_t* n_unconfirmed = nullptr);

struct BoutCounts {
  std::int64_t total = 0;
  std::int64_t unconfirmed = 0;  // proposals still waiting for a person
};

// One bout to confirm and the version the caller last saw.
struct BoutVersion {
  BoutId id = 0;
  std::int64_t version = 0;
};

struct ConfirmBoutsResult {
  PutStatus status = PutStatus::kOk;
  // kOk: every bout with its new version (a bout already confirmed keeps its version);
  // kConflict: the bouts whose version was stale, with their current version.
  std::vector<BoutVersion> bouts;
};

// Per-frame behaviour of one track, derived from the bouts.
struct FrameLabel {
  FrameIndex frame = 0;
  TrackId track;
  std::string behavior;
};

struct CycleRecord {
  int cycle = 0;
  std::uint64_t seed = 0;
  std::string options_json;
  std::string created_at;
};

// A frame ready for training or evaluation: its image and its confirmed instances.
struct LabelledFrame {
  FrameRecord frame;
  std::filesystem::path image;  // absolute
  std::vector<Instance> instances;
};

struct ModelRecord {
  std::int64_t id = 0;
  std::string name, path, options_json, metrics_json, created_at;
};

struct RunRecord {
  std::int64_t id = 0;
  std::string kind, options_json, metrics_json, created_at;
  std::optional<std::int64_t> model_id;
};

// How BehavTrack turns model output into annotations: degenerate boxes dropped, keypoints
// outside their box made absent, v = 2 when the keypoint score > 0.9 else 1.
// Returns nullopt for a dropped instance. ref: shared/reference/behavtrack.md, "prediction".
std::optional<Instance> prediction_to_annotation(const Instance& predicted);

// The state of a frame holding `instances` when `expected_animals` are expected.
FrameState compute_frame_state(const std::vector<Annotation>& instances, int n_keypoints,
                               int expected_animals);

// A content hash of a file (hex): FNV-1a 64 over the size, the first and the last MiB. It
// identifies a moved or renamed video without reading hours of it.
std::string content_hash(const std::filesystem::path& file);

class Project {
 public:
  // Creates the folder (may exist, must not hold a project) with media/, models/, runs/.
  static Project create(const std::filesystem::path& dir, const ProjectOptions& options);
  // Opens an existing project; throws bt::Error naming both versions when the file's
  // schema is newer or older than this build's.
  static Project open(const std::filesystem::path& dir);
  // Upgrades an older project's schema in place (one transaction); returns the version it
  // had. A current project is left as it is.
  static int migrate(const std::filesystem::path& dir);

  Project(Project&&) noexcept;
  Project& operator=(Project&&) noexcept;
  ~Project();

  const std::filesystem::path& dir() const;
  const Skeleton& skeleton() const;
  const std::vector<std::string>& behaviors() const;
  int expected_animals() const;
  // Absolute path of something stored relative to the project folder.
  std::filesystem::path resolve(const std::string& stored_path) const;
  // How a path is stored: relative when inside the project folder, else absolute.
  std::string to_stored_path(const std::filesystem::path& path) const;

  // ---- videos ----
  // Registers a video (probed, hashed, key frames indexed). The same file (same content
  // hash) again returns the existing id and changes nothing.
  VideoId add_video(const VideoRecord& video);
  std::vector<VideoRecord> list_videos() const;
  VideoRecord get_video(VideoId id) const;  // throws kNotFound
  std::optional<VideoRecord> find_video_by_hash(const std::string& hash) const;
  // Points a video whose file moved to `new_path` (same content hash required).
  void relink_video(VideoId id, const std::filesystem::path& new_path);

  // ---- frames ----
  // Registers frames in one transaction; returns their ids in order. A frame of a video
  // that is already registered (same video and index) keeps its id and annotations.
  std::vector<FrameId> add_frames(const std::vector<NewFrame>& frames);
  FrameRecord get_frame_record(FrameId id) const;  // throws kNotFound
  std::optional<FrameRecord> find_frame(std::optional<VideoId> video, FrameIndex index,
                                        const std::string& name) const;
  FramePage list_frames(const FrameQuery& query) const;
  // The first frame after `after` (by id, wrapping around once) that is not complete and
  // matches the query's filters; nullopt when every matching frame is complete.
  std::optional<FrameId> next_incomplete(FrameId after, const FrameQuery& query) const;
  std::int64_t count_frames() const;

  // ---- annotations ----
  FrameAnnotations get_frame(FrameId id) const;  // throws kNotFound
  // Replaces the frame's instances if `expected_version` is current; kConflict otherwise
  // (nothing written). Validates keypoint counts and finite coordinates (kInvalidInput).
  PutResult put_frame(FrameId id, const std::vector<Annotation>& instances,
                      std::int64_t expected_version, const std::string& author);
  // Writes model predictions as unconfirmed instances (prediction_to_annotation rules).
  // Frames holding manual or confirmed work are left untouched; earlier unconfirmed
  // predictions are replaced. Returns the number of frames written. One transaction.
  std::int64_t write_predictions(const std::vector<std::pair<FrameId, std::vector<Instance>>>& predictions,
                                 const std::string& model_name);
  // Confirms the frame's predictions (all, or the one at `instance_index`).
  PutResult accept_predictions(FrameId id, std::int64_t expected_version, const std::string& author,
                               std::optional<int> instance_index = std::nullopt);

  // ---- behaviour bouts ----
  // Bouts of one track may not overlap (proposals included); the behaviour must be one of
  // behaviors(). add_bout stores the bout's source and confirmed flag as given.
  BoutId add_bout(const Bout& bout);
  // Writes frames, behaviour and the confirmed flag when `expected_version` is current
  // (kConflict otherwise, nothing written); the source is provenance and never changes.
  PutResult update_bout(const Bout& bout, std::int64_t expected_version);
  PutResult delete_bout(BoutId id, std::int64_t expected_version);
  // Every bout of the video, proposals included (the annotation app's view); training and
  // evaluation take confirmed_bouts() of it.
  std::vector<Bout> list_bouts(VideoId video) const;
  // Confirms the bouts in one transaction when every given version is current; on any
  // stale version nothing is written (kConflict naming the stale bouts). Throws kNotFound
  // for an unknown id.
  ConfirmBoutsResult confirm_bouts(const std::vector<BoutVersion>& bouts);
  // Bouts of one video, or of the whole project when `video` is nullopt.
  BoutCounts count_bouts(std::optional<VideoId> video = std::nullopt) const;
  // Replaces all bouts of a video in one transaction (imports).
  void replace_bouts(VideoId video, const std::vector<Bout>& bouts);
  // Per-frame labels from the video's confirmed bouts.
  std::vector<FrameLabel> frame_labels(VideoId video) const;

  // ---- splits (per active-learning cycle) ----
  // Records a new cycle (numbered from 0) with its seed, options and frame -> split map.
  int add_cycle(std::uint64_t seed, const std::string& options_json,
                const std::vector<std::pair<FrameId, Split>>& assignment);
  std::optional<int> latest_cycle() const;
  CycleRecord get_cycle(int cycle) const;
  std::vector<std::pair<FrameId, Split>> split_of(int cycle) const;
  // Frames of a split (latest cycle when none given) with their image and confirmed
  // instances; frames without confirmed instances are included only if `include_empty`.
  std::vector<LabelledFrame> labelled_frames(Split split, std::optional<int> cycle = std::nullopt,
                                             bool include_empty = false) const;

  // ---- models and runs ----
  std::int64_t add_model(const ModelRecord& model);
  std::vector<ModelRecord> list_models() const;
  std::optional<ModelRecord> find_model(const std::string& name) const;
  std::int64_t add_run(const RunRecord& run);
  void set_run_metrics(std::int64_t run_id, const std::string& metrics_json);
  std::vector<RunRecord> list_runs() const;

  // Runs `body` inside one transaction (for multi-call imports); nested calls join it.
  void transaction(const std::function<void()>& body);

 private:
  struct Impl;
  explicit Project(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bt::project
