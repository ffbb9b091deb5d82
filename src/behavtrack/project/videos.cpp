#include "behavtrack/project/videos.h"

#include "behavtrack/core/error.h"
#include "behavtrack/video/video_info.h"

namespace bt::project {
namespace fs = std::filesystem;

VideoRecord describe_video_file(const fs::path& file) {
  if (!fs::exists(file)) throw_not_found("video " + bt::quoted(file.string()) + ": no such file");
  const video::VideoInfo info = video::probe(file);
  VideoRecord v;
  v.path = fs::absolute(file).lexically_normal();
  v.hash = content_hash(file);
  v.fps = info.fps_value();
  v.width = info.width;
  v.height = info.height;
  v.n_frames = info.n_frames;
  v.duration_s = info.duration_s;
  v.key_frames = info.key_frames;
  return v;
}

std::pair<VideoId, bool> add_video_file(Project& p, const fs::path& file) {
  // Hash first: a file already registered needs no probing.
  if (!fs::exists(file)) throw_not_found("video " + bt::quoted(file.string()) + ": no such file");
  if (auto existing = p.find_video_by_hash(content_hash(file))) return {existing->id, false};
  return {p.add_video(describe_video_file(file)), true};
}

VideoId relink_video_file(Project& p, const fs::path& file) {
  if (!fs::exists(file)) throw_not_found("video " + bt::quoted(file.string()) + ": no such file");
  const auto existing = p.find_video_by_hash(content_hash(file));
  if (!existing)
    throw_not_found("video " + bt::quoted(file.string()) + ": its content matches no registered video; add it with `behavtrack video add`");
  p.relink_video(existing->id, file);
  return existing->id;
}

VideoRecord video_of_tracks(const Project& p, const fs::path& tracks_file, const std::string& named_video,
                            const fs::path& video_file, FrameIndex last_frame) {
  const std::string subject = "tracks " + bt::quoted(tracks_file.string());
  const std::vector<VideoRecord> videos = p.list_videos();
  std::vector<const VideoRecord*> found;
  if (!video_file.empty()) {
    const fs::path target = fs::weakly_canonical(fs::absolute(video_file));
    for (const auto& v : videos)
      if (fs::weakly_canonical(v.path) == target) found.push_back(&v);
    if (found.empty())
      throw_not_found("video " + bt::quoted(video_file.string()) + ": not registered in project " +
                      bt::quoted(p.dir().string()) + "; add it with 'behavtrack video add'");
  } else {
    if (named_video.empty()) throw_invalid(subject + ": names no video; give the video file with --video");
    const std::string wanted = fs::path(named_video).filename().string();
    for (const auto& v : videos)
      if (v.path.filename().string() == wanted) found.push_back(&v);
    if (found.empty())
      throw_not_found(subject + ": its video " + bt::quoted(named_video) + " is not registered in project " +
                      bt::quoted(p.dir().string()) + "; add it with 'behavtrack video add' or give --video");
    if (found.size() > 1)
      throw_invalid(subject + ": its video name " + bt::quoted(named_video) + " matches " + std::to_string(found.size()) +
                    " registered videos; give the file with --video");
  }
  const VideoRecord& v = *found.front();
  if (last_frame >= v.n_frames)
    throw_invalid(subject + ": frame " + std::to_string(last_frame) + " is beyond video " +
                  bt::quoted(v.path.filename().string()) + " (" + std::to_string(v.n_frames) +
                  " frames); are these the tracks of another video?");
  return v;
}

}  // namespace bt::project
