#include "behavtrack/server/tracks_catalog.h"

#include <algorithm>
#include <set>
#include <string>

#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/project/project.h"
#include "behavtrack/project/videos.h"

namespace bt::server {
namespace fs = std::filesystem;

namespace {

std::string subject_of(const fs::path& tracks_file) { return "tracks " + bt::quoted(tracks_file.string()); }

// Leaves the instances with an id; counts the others. Frames left empty are dropped.
void keep_identified(VideoTracks& v) {
  std::set<int> ids;
  std::vector<FrameInstances> kept;
  kept.reserve(v.tracks.frames.size());
  for (FrameInstances& f : v.tracks.frames) {
    const auto without_id = [](const Instance& in) { return !in.id; };
    const auto end = std::remove_if(f.instances.begin(), f.instances.end(), without_id);
    v.n_without_id += f.instances.end() - end;
    f.instances.erase(end, f.instances.end());
    for (const Instance& in : f.instances) ids.insert(in.id->value);
    v.n_instances += static_cast<std::int64_t>(f.instances.size());
    if (!f.instances.empty()) kept.push_back(std::move(f));
  }
  v.tracks.frames = std::move(kept);
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
  v.tracks = read_instances_json(in.tracks_file);
  keep_identified(v);
  if (v.ids.empty())
    throw_invalid(subject_of(in.tracks_file) + ": no instance has an id; run 'behavtrack track' first");
  const FrameIndex last_frame = v.tracks.frames.back().frame;
  const project::VideoRecord video =
      project::video_of_tracks(p, in.tracks_file, v.tracks.header.video, in.video_file, last_frame);
  check_frame_size(in.tracks_file, v.tracks.header, video);
  v.video_id = video.id;
  if (!v.tracks.header.skeleton.same_keypoints(p.skeleton()))
    log_warn("{}: keypoints differ from the project's skeleton; drawn in the tracks' own order",
             subject_of(in.tracks_file));
  if (v.n_without_id > 0)
    log_warn("{}: {} instances without an id are not shown", subject_of(in.tracks_file), v.n_without_id);
  return v;
}

}  // namespace

std::vector<const FrameInstances*> VideoTracks::frames_in(FrameIndex first, FrameIndex last) const {
  const auto& frames = tracks.frames;
  const auto by_frame = [](const FrameInstances& f, FrameIndex index) { return f.frame < index; };
  std::vector<const FrameInstances*> out;
  for (auto it = std::lower_bound(frames.begin(), frames.end(), first, by_frame);
       it != frames.end() && it->frame <= last; ++it)
    out.push_back(&*it);
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
