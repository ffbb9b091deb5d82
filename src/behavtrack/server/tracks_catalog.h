// The tracking runs the annotation app draws over its videos, so a person labelling
// behaviour bouts for "Mouse k" sees which animal track id k is.
//
//   auto catalog = bt::server::TracksCatalog::load("study/", {{"run/tracks.json"}});
//   if (const auto* t = catalog.find(video_id)) {
//     auto frames = t->frames_in(0, 299);     // the tracked instances of frames 0..299
//   }
//
// Input: tracks files (Instances JSON with ids 1..N, as `behavtrack track` and `analyze`
// write them, shared/DESIGN.md), each matched to one registered video of the project: by
// the video file name its header names, or by an explicit video file
// (project::video_of_tracks). The ids are those `behavior train --tracks` and `active
// behavior-next --tracks` match bouts to, so bouts labelled under these ids train on them.
// Coordinates are pixels of the original video frame, origin top-left (core/types.h).
//
// Loaded once, whole, at start (read-only afterwards), kept in flat arrays (CompactFrames:
// ~180 bytes an instance with 4 keypoints, no per-frame heap blocks) so that the parsed
// JSON document's memory can be given back to the OS after each file. Reading a file
// parses its JSON whole first: a transient peak of about 9 times the file's size (a
// 10-minute, 30 fps, 5-mouse tracks file: 20 MB of JSON, 90,000 instances; figures in
// docs/http-api.md).
// Errors (bt::Error) name the tracks file: missing or not Instances JSON (from
// read_instances_json), no instance with an id, a video not registered in the project,
// frames past the video's end, a frame size other than the video's, two tracks files for
// one video.
// Thread safety: a loaded catalog is immutable; any number of threads may read it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "behavtrack/core/compact_frames.h"
#include "behavtrack/core/instances_json.h"
#include "behavtrack/core/types.h"

namespace bt::server {

// A tracks file to show, and optionally the registered video file it belongs to (empty:
// the video its header names, matched by file name).
struct TracksInput {
  std::filesystem::path tracks_file;
  std::filesystem::path video_file;
};

// One video's tracks: instances without an id are left out (they are no "Mouse k"), and
// so are frames left without instances.
struct VideoTracks {
  std::int64_t video_id = 0;
  std::filesystem::path file;  // the tracks file as given
  InstancesHeader header;
  CompactFrames frames;                  // in frame order
  std::vector<FrameIndex> frame_indices;  // frames.at(i) is frame frame_indices[i]
  std::vector<int> ids;                  // the distinct track ids, ascending
  std::int64_t n_instances = 0;
  std::int64_t n_without_id = 0;  // instances dropped for lacking an id

  // The frames of `first..last` (inclusive) that hold instances, in frame order.
  std::vector<FrameInstances> frames_in(FrameIndex first, FrameIndex last) const;
  // The first and last frame holding instances (0 when there are none).
  FrameIndex first_frame() const { return frame_indices.empty() ? 0 : frame_indices.front(); }
  FrameIndex last_frame() const { return frame_indices.empty() ? 0 : frame_indices.back(); }
};

class TracksCatalog {
 public:
  TracksCatalog() = default;  // no tracks: the app says so and works without them

  // Reads each tracks file and matches it to a video of the project at `project_dir`.
  static TracksCatalog load(const std::filesystem::path& project_dir, const std::vector<TracksInput>& inputs);

  // The tracks of a video, or nullptr when none were loaded for it.
  const VideoTracks* find(std::int64_t video_id) const;
  const std::vector<VideoTracks>& videos() const { return videos_; }
  bool empty() const { return videos_.empty(); }

 private:
  std::vector<VideoTracks> videos_;
};

}  // namespace bt::server
