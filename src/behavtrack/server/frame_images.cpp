#include "behavtrack/server/frame_images.h"

#include <condition_variable>
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

// A few decoders per video: a jump elsewhere (another tab, a prefetch) does not queue behind
// a decode in progress, and each reader keeps its position for cheap forward steps.
constexpr std::size_t kReadersPerVideo = 3;
// Forward distance (frames) below which decoding on from a reader's position beats a seek.
constexpr FrameIndex kForwardReach = 32;

struct OpenVideo {
  std::unique_ptr<video::VideoReader> reader;
  bool busy = false;
};

}  // namespace

struct FrameImages::Impl {
  FrameImagesOptions options;
  std::mutex mutex;  // guards videos and the cache, never held while decoding
  std::condition_variable reader_free;
  std::map<fs::path, std::vector<std::shared_ptr<OpenVideo>>> videos;
  // LRU: most recent at the front; the map points into the list.
  using Key = std::pair<std::string, FrameIndex>;
  std::list<std::pair<Key, std::string>> lru;
  std::map<Key, std::list<std::pair<Key, std::string>>::iterator> index;

  // An idle reader of `path`, preferring one just behind `index`; a new one while fewer
  // than kReadersPerVideo exist; else waits for one to be released.
  std::shared_ptr<OpenVideo> acquire(const fs::path& path, FrameIndex index) {
    std::unique_lock<std::mutex> lock(mutex);
    auto& pool = videos[path];
    for (;;) {
      std::shared_ptr<OpenVideo> best, idle;
      for (const auto& v : pool) {
        if (v->busy) continue;
        idle = v;
        const FrameIndex pos = v->reader ? v->reader->position() : -1;
        if (pos >= 0 && pos <= index && index - pos < kForwardReach) best = v;
      }
      if (!best && pool.size() < kReadersPerVideo) best = pool.emplace_back(std::make_shared<OpenVideo>());
      if (!best) best = idle;
      if (best) {
        best->busy = true;
        return best;
      }
      reader_free.wait(lock);
    }
  }

  void release(const std::shared_ptr<OpenVideo>& video) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      video->busy = false;
    }
    reader_free.notify_one();
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
    const auto video = acquire(path, frame_index);
    cv::Mat image;
    try {
      if (!video->reader) video->reader = std::make_unique<video::VideoReader>(path);
      image = video->reader->frame(frame_index);
    } catch (...) {
      release(video);
      throw;
    }
    release(video);
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
