#include "behavtrack/server/tracks_catalog.h"

#include <algorithm>
#include <set>
#include <string>

#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/core/runtime.h"
#include "behavtrack/project/project.h"
#include "behavtrack/project/videos.h"

namespace bt::server {
namespace fs = std::filesystem;

namespace {

std::string subject_of(const fs::path& tracks_file) { return "tracks " + bt::quoted(tracks_file.string()); }

// Keeps the instances with an id, flat; counts the others. Frames left empty are dropped.
void keep_identified(std::vector<FrameInstances>& parsed, VideoTracks& v) {
  std::set<int> ids;
  std::size_t n_keypoints = 0, n_instances = 0;
  for (const FrameInstances& f : parsed) {
    n_instances += f.instances.size();
    for (const Instance& in : f.instances) n_keypoints += in.keypoints.size();
  }
  v.frames.reserve(parsed.size(), n_instances, n_keypoints);
  v.frame_indices.reserve(parsed.size());
  for (FrameInstances& f : parsed) {
    const auto without_id = [](const Instance& in) { return !in.id; };
    const auto end = std::remove_if(f.instances.begin(), f.instances.end(), without_id);
    v.n_without_id += f.instances.end() - end;
    f.instances.erase(end, f.instances.end());
    if (f.instances.empty()) continue;
    for (const Instance& in : f.instances) ids.insert(in.id->value);
    v.n_instances += static_cast<std::int64_t>(f.instances.size());
    v.frames.push_back(f);
    v.frame_indices.push_back(f.frame);
  }
  v.ids.assign(ids.begin(), ids.end());
}

// A tracks file made on a resized copy of the video would draw every box in the wrong
// place: the header's frame size, when it gives one, must be the registered video's.
void check_frame_size(const fs::path& tracks_file, const InstancesHeader& h, const project::VideoRecord& video) {
  if (h.width <= 0 || h.height <= 0) return;
  if (h.width == video.width && h.height == video.height) return;
  throw_invalid(subject_of(tracks_file) + ": made on " + std::to_string(h.width) + "x" + std::to_string(h.height) +
                " frames, but video " + bt::quoted(video.path.filename().string()) + " is " +
                std::to_string(video.width) + "x" + std::to_string(video.height) +
                "; are these the tracks of a resized copy?");
}

VideoTracks load_one(const project::Project& p, const TracksInput& in) {
  VideoTracks v;
  v.file = in.tracks_file;
  {
    InstancesFile parsed = read_instances_json(in.tracks_file);
    v.header = parsed.header;
    keep_identified(parsed.frames, v);
  }
  // The parsed document and its per-instance blocks are freed: give their pages back, so
  // a long video's tracks cost their flat arrays only.
  release_free_heap_memory();
  if (v.ids.empty())
    throw_invalid(subject_of(in.tracks_file) + ": no instance has an id; run 'behavtrack track' first");
  const project::VideoRecord video =
      project::video_of_tracks(p, in.tracks_file, v.header.video, in.video_file, v.last_frame());
  check_frame_size(in.tracks_file, v.header, video);
  v.video_id = video.id;
  if (!v.header.skeleton.same_keypoints(p.skeleton()))
    log_warn("{}: keypoints differ from the project's skeleton; drawn in the tracks' own order",
             subject_of(in.tracks_file));
  if (v.n_without_id > 0)
    log_warn("{}: {} instances without an id are not shown", subject_of(in.tracks_file), v.n_without_id);
  return v;
}

}  // namespace

std::vector<FrameInstances> VideoTracks::frames_in(FrameIndex first, FrameIndex last) const {
  std::vector<FrameInstances> out;
  auto i = static_cast<std::size_t>(std::lower_bound(frame_indices.begin(), frame_indices.end(), first) -
                                    frame_indices.begin());
  for (; i < frame_indices.size() && frame_indices[i] <= last; ++i) out.push_back(frames.at(i));
  return out;
}

TracksCatalog TracksCatalog::load(const fs::path& project_dir, const std::vector<TracksInput>& inputs) {
  TracksCatalog catalog;
  if (inputs.empty()) return catalog;
  const project::Project p = project::Project::open(project_dir);
  for (const TracksInput& in : inputs) {
    VideoTracks v = load_one(p, in);
    if (const VideoTracks* earlier = catalog.find(v.video_id))
      throw_invalid(subject_of(in.tracks_file) + ": video " + bt::quoted(p.get_video(v.video_id).path.filename().string()) +
                    " is already given by tracks " + bt::quoted(earlier->file.string()) +
                    "; give one tracks file per video");
    catalog.videos_.push_back(std::move(v));
  }
  return catalog;
}

const VideoTracks* TracksCatalog::find(std::int64_t video_id) const {
  for (const VideoTracks& v : videos_)
    if (v.video_id == video_id) return &v;
  return nullptr;
}

}  // namespace bt::server
