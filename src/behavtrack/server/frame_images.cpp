#include "behavtrack/server/frame_images.h"

#include <list>
#include <map>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <unordered_map>
#include <vector>

#include "behavtrack/core/error.h"
#include "behavtrack/video/video_reader.h"

namespace bt::server {
namespace fs = std::filesystem;

namespace {

struct OpenVideo {
  std::mutex mutex;
  std::unique_ptr<video::VideoReader> reader;
};

}  // namespace

struct FrameImages::Impl {
  FrameImagesOptions options;
  std::mutex mutex;  // guards videos and the cache, never held while decoding
  std::map<fs::path, std::shared_ptr<OpenVideo>> videos;
  // LRU: most recent at the front; the map points into the list.
  using Key = std::pair<std::string, FrameIndex>;
  std::list<std::pair<Key, std::string>> lru;
  std::map<Key, std::list<std::pair<Key, std::string>>::iterator> index;

  std::shared_ptr<OpenVideo> open(const fs::path& path) {
    std::lock_guard<std::mutex> lock(mutex);
    auto& slot = videos[path];
    if (!slot) slot = std::make_shared<OpenVideo>();
    return slot;
  }

  bool lookup(const Key& key, std::string& out) {
    std::lock_guard<std::mutex> lock(mutex);
    const auto it = index.find(key);
    if (it == index.end()) return false;
    lru.splice(lru.begin(), lru, it->second);
    out = it->second->second;
    return true;
  }

  void remember(const Key& key, const std::string& jpeg) {
    std::lock_guard<std::mutex> lock(mutex);
    if (index.count(key)) return;
    lru.emplace_front(key, jpeg);
    index[key] = lru.begin();
    while (lru.size() > options.cache_entries) {
      index.erase(lru.back().first);
      lru.pop_back();
    }
  }

  std::string decode(const fs::path& path, FrameIndex frame_index) {
    const auto video = open(path);
    std::lock_guard<std::mutex> lock(video->mutex);
    if (!video->reader) video->reader = std::make_unique<video::VideoReader>(path);
    const cv::Mat image = video->reader->frame(frame_index);
    std::vector<unsigned char> bytes;
    if (!cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, options.quality}))
      throw_io("frame " + std::to_string(frame_index) + " of " + bt::quoted(path.string()) +
               ": JPEG encoding failed");
    return std::string(bytes.begin(), bytes.end());
  }
};

FrameImages::FrameImages(FrameImagesOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}
FrameImages::~FrameImages() = default;

std::string FrameImages::jpeg(const fs::path& video, FrameIndex index) {
  const Impl::Key key{video.string(), index};
  std::string out;
  if (impl_->lookup(key, out)) return out;
  out = impl_->decode(video, index);
  impl_->remember(key, out);
  return out;
}

}  // namespace bt::server
