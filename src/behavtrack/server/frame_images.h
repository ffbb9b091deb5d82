// Frame pictures for the browser: decodes frame k of a video (frame-exact, VideoReader)
// and encodes it as JPEG, keeping the most recent ones in memory.
//
//   bt::server::FrameImages images({.quality = 90, .cache_entries = 256});
//   std::string jpeg = images.jpeg("/p/media/cage1.mp4", 1234);
//
// A few VideoReaders are kept open per video and a request goes to the one just behind the
// wanted frame, so stepping forward (playback, next frame) decodes each frame once instead
// of seeking from the key frame, and a jump does not wait for another decode.
// Errors: bt::Error from the reader (kNotFound for a frame out of range, kIo).
// Thread safety: safe from several threads; each reader decodes for one request at a time.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "behavtrack/core/types.h"

namespace bt::server {

struct FrameImagesOptions {
  int quality = 90;                 // JPEG quality, 1..100
  std::size_t cache_entries = 256;  // encoded frames kept in memory
};

class FrameImages {
 public:
  explicit FrameImages(FrameImagesOptions options = {});
  ~FrameImages();
  std::string jpeg(const std::filesystem::path& video, FrameIndex index);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bt::server
