#include "behavtrack/project/frame_images.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <opencv2/imgcodecs.hpp>

#include "behavtrack/core/error.h"
#include "behavtrack/video/video_reader.h"

namespace bt::project {
namespace fs = std::filesystem;

std::string frame_image_name(const VideoRecord& video, FrameIndex index) {
  return video.path.stem().string() + "_frame_" + std::to_string(index) + ".png";
}

std::string frame_image_path(const VideoRecord& video, FrameIndex index) {
  // One folder per video, named by id and stem, so two videos called the same never clash.
  return "media/frames/v" + std::to_string(video.id) + "-" + video.path.stem().string() + "/" +
         frame_image_name(video, index);
}

void write_png_atomically(const fs::path& path, const cv::Mat& image) {
  static std::atomic<int> counter{0};
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const fs::path tmp = path.parent_path() / ("." + path.stem().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                                             std::to_string(counter++) + ".png");
  bool ok = false;
  try {
    ok = cv::imwrite(tmp.string(), image);
  } catch (const cv::Exception& e) {
    fs::remove(tmp, ec);
    throw_io("image " + bt::quoted(path.string()) + ": cannot write: " + e.what());
  }
  if (!ok) {
    fs::remove(tmp, ec);
    throw_io("image " + bt::quoted(path.string()) + ": cannot write");
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw_io("image " + bt::quoted(path.string()) + ": cannot move into place: " + ec.message());
  }
}

void cache_frame_images(const Project& project, std::vector<std::pair<VideoId, FrameIndex>> frames,
                        const ProgressCallback& progress) {
  std::sort(frames.begin(), frames.end());
  frames.erase(std::unique(frames.begin(), frames.end()), frames.end());
  std::map<VideoId, VideoRecord> videos;
  std::vector<std::pair<VideoId, FrameIndex>> missing;
  for (const auto& [vid, index] : frames) {
    auto it = videos.find(vid);
    if (it == videos.end()) it = videos.emplace(vid, project.get_video(vid)).first;
    if (!fs::exists(project.resolve(frame_image_path(it->second, index)))) missing.emplace_back(vid, index);
  }
  if (missing.empty()) return;
  Progress bar("cache frame images", static_cast<std::int64_t>(missing.size()), progress);
  std::unique_ptr<video::VideoReader> reader;
  VideoId open_id = -1;
  for (const auto& [vid, index] : missing) {
    const VideoRecord& v = videos.at(vid);
    if (vid != open_id) {
      if (v.missing)
        throw_not_found("video " + bt::quoted(v.path.string()) + ": file not found; use `behavtrack video relink`");
      reader = std::make_unique<video::VideoReader>(v.path);
      open_id = vid;
    }
    // read_at keeps decoding forward when the frame is ahead and near, else seeks to the
    // key frame before it: frame-exact either way.
    const video::Frame f = reader->read_at(index);
    write_png_atomically(project.resolve(frame_image_path(v, index)), f.image);
    bar.advance();
  }
  bar.finish();
}

}  // namespace bt::project
