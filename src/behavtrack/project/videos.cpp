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

}  // namespace bt::project
