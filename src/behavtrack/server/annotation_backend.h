// What the annotation server needs from a project, as one narrow interface.
//
// The HTTP routes (server.cpp) speak only to this interface; ProjectBackend
// (project_backend.h) implements it over the project store (behavtrack.db). Keeping the
// routes off the store's own types lets the routes be tested on any backend and keeps SQL
// out of the server.
//
// Frames are identified by the store's frame id (a sampled frame of one video); a frame's
// annotations carry a version that increases on every save, for optimistic concurrency:
// a save naming an older version is refused (SaveOutcome::kConflict) and changes nothing.
// Coordinates are pixels of the original video frame, origin top-left (core/types.h).
// Errors: unknown ids throw bt::Error kNotFound; invalid values kInvalidInput.
// Thread safety: implementations must be safe to call from several threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::server {

// Progress of one frame, with BehavTrack's list colours: complete (green) = the expected
// number of animals, each with every keypoint, all confirmed; predicted (blue) = holds an
// unconfirmed prediction; started (orange) = some labels; empty (black) = none.
enum class FrameState { kEmpty, kStarted, kPredicted, kComplete };
const char* to_string(FrameState state);
std::optional<FrameState> frame_state_from_string(const std::string& name);

struct ProjectSummary {
  std::string name;
  Skeleton skeleton;
  std::vector<std::string> behaviors;
  int expected_animals = 0;
  std::vector<std::string> splits;  // split names present in the project ("train", "test"...)
};

struct StateCounts {
  std::int64_t total = 0, complete = 0, predicted = 0, started = 0, empty = 0;
};

struct FrameRow {
  std::int64_t id = 0;
  std::int64_t video_id = 0;  // 0 for an imported image without a video
  std::string name;           // display name, e.g. "m3v1_frame_120.png"
  FrameIndex frame_index = 0;
  std::string split;  // empty when the frame is in no split
  FrameState state = FrameState::kEmpty;
  std::int64_t version = 0;
};

struct FrameFilter {
  std::string split;                // empty: any
  std::optional<FrameState> state;  // nullopt: any
  bool incomplete_first = false;    // else by video then frame index
  std::int64_t offset = 0;
  std::int64_t limit = 100;
};

struct FramePage {
  std::int64_t total = 0;  // rows matching the filter, all pages
  std::vector<FrameRow> frames;
};

// An instance with where it came from: a model prediction stays unconfirmed until a person
// confirms it (BehavTrack's mAnnotated).
struct LabeledInstance {
  Instance instance;
  bool predicted = false;
  bool confirmed = true;
};

struct FrameLabels {
  std::int64_t frame_id = 0;
  std::int64_t version = 0;
  std::vector<LabeledInstance> instances;
};

enum class SaveOutcome { kSaved, kConflict };
struct SaveResult {
  SaveOutcome outcome = SaveOutcome::kSaved;
  std::int64_t version = 0;  // the new version when saved, the current one on conflict
};

struct VideoRow {
  std::int64_t id = 0;
  std::string path;  // as stored
  int width = 0, height = 0;
  double fps = 0;
  std::int64_t n_frames = 0;
};

// A behaviour bout of one animal (a BORIS state event): frames start..end inclusive.
// Like an instance, a model's proposal is predicted and stays unconfirmed until a person
// confirms or edits it; only confirmed bouts are labels.
struct Bout {
  std::int64_t id = 0;
  std::int64_t video_id = 0;
  int track_id = 0;
  std::string behavior;
  FrameIndex start_frame = 0, end_frame = 0;
  std::int64_t version = 0;  // bumped by every change, for optimistic concurrency
  bool predicted = false;    // where it came from; never changes
  bool confirmed = true;
};

// A bout and the version its client last saw (confirming several at once).
struct BoutVersion {
  std::int64_t id = 0;
  std::int64_t version = 0;
};

struct ConfirmResult {
  SaveOutcome outcome = SaveOutcome::kSaved;
  // kSaved: each bout with its new version; kConflict: the stale bouts with their current
  // version (nothing was written).
  std::vector<BoutVersion> bouts;
};

class AnnotationBackend {
 public:
  virtual ~AnnotationBackend() = default;

  virtual ProjectSummary project() = 0;
  virtual StateCounts counts() = 0;
  virtual FramePage frames(const FrameFilter& filter) = 0;
  virtual FrameRow frame(std::int64_t frame_id) = 0;
  // The first frame after `after_id` in list order (wrapping) with unconfirmed predictions.
  virtual std::optional<std::int64_t> next_unconfirmed(std::int64_t after_id) = 0;

  virtual FrameLabels labels(std::int64_t frame_id) = 0;
  // Replaces the frame's instances in one transaction when `expected_version` is current.
  virtual SaveResult save_labels(std::int64_t frame_id, std::int64_t expected_version,
                                 const std::vector<LabeledInstance>& instances) = 0;
  // Marks the frame's predictions confirmed, all or the one at `instance_index` (same
  // version rule).
  virtual SaveResult accept_predictions(std::int64_t frame_id, std::int64_t expected_version,
                                        std::optional<int> instance_index) = 0;

  virtual std::vector<VideoRow> videos() = 0;
  // Absolute path of the video file.
  virtual std::filesystem::path video_file(std::int64_t video_id) = 0;
  // The project folder; image files served from the store must lie inside it.
  virtual std::filesystem::path root() = 0;
  // An image file of the frame already on disk (the project's frame cache), if any; the
  // server decodes the frame from its video otherwise.
  virtual std::optional<std::filesystem::path> frame_image_file(std::int64_t frame_id) = 0;

  virtual std::vector<Bout> bouts(std::int64_t video_id) = 0;
  // Bouts of one track may not overlap (kInvalidInput).
  virtual Bout add_bout(const Bout& bout) = 0;  // returns it with its id and version
  // By bout.id, when `expected_version` is current: frames, behaviour and the confirmed
  // flag (the predicted flag is provenance and is kept).
  virtual SaveResult update_bout(const Bout& bout, std::int64_t expected_version) = 0;
  // Confirms the bouts in one transaction, all or none (same version rule for each).
  virtual ConfirmResult confirm_bouts(const std::vector<BoutVersion>& bouts) = 0;
  virtual SaveResult delete_bout(std::int64_t bout_id, std::int64_t expected_version) = 0;
};

}  // namespace bt::server
