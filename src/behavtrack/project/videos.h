// Registering video files in a project: probe (exact frame count, key frames), content
// hash, and finding moved files again by that hash.
//
//   auto [id, added] = bt::project::add_video_file(project, "cage1.mp4");  // added false: already there
//   bt::project::relink_video_file(project, "/new/place/cage1.mp4");     // matched by hash
//
// Errors (bt::Error) name the file: missing (kNotFound), not a video (kInvalidInput).
// Thread safety: uses the Project given from the calling thread.
#pragma once

#include <filesystem>
#include <string>
#include <utility>

#include "behavtrack/project/project.h"

namespace bt::project {

// The record of a video file as probed and hashed (not yet registered).
VideoRecord describe_video_file(const std::filesystem::path& file);
// Registers a file; a file with the same content as a registered video is a no-op.
std::pair<VideoId, bool> add_video_file(Project& project, const std::filesystem::path& file);
// Points the registered video with this file's content hash at the file; throws
// kNotFound when no registered video has that content.
VideoId relink_video_file(Project& project, const std::filesystem::path& file);

// The registered video a tracks file (Instances JSON) belongs to: `video_file` when given
// (the same file, by path), else the video the tracks name (`named_video`, by file name,
// as `analyze` and `track` write it). Errors name the tracks file: kNotFound when no
// registered video matches; kInvalidInput when the name matches several videos or
// `last_frame` lies beyond the video (the tracks of another video).
VideoRecord video_of_tracks(const Project& project, const std::filesystem::path& tracks_file,
                            const std::string& named_video, const std::filesystem::path& video_file,
                            FrameIndex last_frame);

}  // namespace bt::project
