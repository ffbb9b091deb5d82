// Frame pictures for the browser: decodes frame k of a video (frame-exact, VideoReader)
// and encodes it as JPEG, keeping the most recent ones in memory.
//
//   bt::server::FrameImages images({.quality = 90, .cache_entries = 256});
//   std::string jpeg = images.jpeg("/p/media/cage1.mp4", 1234);
//
// One VideoReader is kept open per video, so stepping forward through a video (the video
// mode's playback) decodes each frame once instead of seeking from the key frame.
// Errors: bt::Error from the reader (kNotFound for a frame out of range, kIo).
// Thread safety: safe from several threads; decodes of one video are serialised.
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
