// Frame-exact video decoding on libavformat/libavcodec/libswscale.
//
//   bt::video::VideoReader reader("cage1.mp4");             // probes, opens the decoder
//   bt::video::Frame f;
//   while (reader.read(f)) use(f.index, f.time_s, f.image);  // sequential, bounded memory
//   cv::Mat m = reader.frame(1234);                          // random access, exact
//
// Random access seeks to the key frame at or before the index and decodes forward; when the
// requested index is ahead of the decoder's position (and before the next key frame), it
// keeps decoding instead of seeking. The frame returned for index k is always the k-th frame
// of a sequential decode, whatever the GOP structure (yuv444p, gray, long GOPs included).
// Output is 8-bit BGR (CV_8UC3) or gray (CV_8UC1), at the video's size.
// A truncated or corrupt file decodes as far as it can; the first frame that cannot be
// decoded raises bt::Error (kIo) naming the file and that frame.
// Sequential reading decodes ahead: read() starts a background thread that decodes up to 4
// frames beyond the caller (memory stays bounded) while the caller converts and uses the
// current one; read_at() takes a frame from those when it is among them, else stops the
// thread and seeks. Errors reach the caller at the same frame, with the same message.
// Thread safety: one reader per thread (its own background thread is internal); readers of
// the same file are independent. Destroying a reader stops and joins its thread.
#pragma once

#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>

#include "behavtrack/video/video_info.h"

namespace bt::video {

enum class PixelFormat { kBgr, kGray };

inline constexpr int kMaxDecoderThreads = 64;

struct ReaderOptions {
  PixelFormat output = PixelFormat::kBgr;
  int decoder_threads = 0;  // 0: the decoder's choice (frame + slice threads); at most kMaxDecoderThreads
};

struct Frame {
  FrameIndex index = -1;
  double time_s = 0;  // presentation time from the first frame, seconds
  cv::Mat image;
};

class VideoReader {
 public:
  explicit VideoReader(const std::filesystem::path& path, ReaderOptions options = {});
  ~VideoReader();
  VideoReader(VideoReader&&) noexcept;
  VideoReader& operator=(VideoReader&&) noexcept;

  const VideoInfo& info() const;
  // Next frame in order; false after the last one.
  bool read(Frame& frame);
  // The frame at `index` (0-based); throws bt::Error (kNotFound) when out of range.
  Frame read_at(FrameIndex index);
  cv::Mat frame(FrameIndex index) { return read_at(index).image; }
  // Index of the next frame read() would return.
  FrameIndex position() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bt::video
