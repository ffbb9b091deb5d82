// The project's frame image cache: frames of registered videos decoded frame-exact (the
// VideoReader) and stored losslessly as PNG under media/frames/, so the annotation tool,
// exports and training read single images instead of seeking in videos.
//
//   std::string rel = bt::project::frame_image_path(video, 120);  // media/frames/v1-cage/cage_frame_120.png
//   bt::project::cache_frame_images(project, {{video_id, 120}, ...}, progress);
//
// Images are written under a temporary name and renamed, so a killed run never leaves a
// truncated PNG behind; an image already cached is not decoded again.
// Thread safety: functions are reentrant; the Project belongs to the calling thread.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "behavtrack/core/progress.h"
#include "behavtrack/project/project.h"

namespace bt::project {

// Where the image of frame `index` of `video` lives, relative to the project folder.
std::string frame_image_path(const VideoRecord& video, FrameIndex index);
// The display name of that frame, BehavTrack's `<video>_frame_<index>` with .png.
std::string frame_image_name(const VideoRecord& video, FrameIndex index);

// Decodes and caches the images of the given (video, index) frames that are not cached
// yet: sorted per video, decoding forward where frames are close and seeking otherwise.
// Throws bt::Error naming the video and frame when one cannot be decoded.
void cache_frame_images(const Project& project, std::vector<std::pair<VideoId, FrameIndex>> frames,
                        const ProgressCallback& progress);

// Writes an image losslessly (PNG) through a temporary name; throws kIo naming the path.
void write_png_atomically(const std::filesystem::path& path, const cv::Mat& image);

}  // namespace bt::project
