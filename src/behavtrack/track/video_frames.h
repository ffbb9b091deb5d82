// The tracker's window onto video files (decoding for appearance cues, encoding renders),
// kept behind this small interface so the tracking library builds without the video
// subsystem (then opening a video throws a bt::Error that says so).
// Thread safety: one object per thread.
#pragma once

#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>

#include "behavtrack/core/types.h"

namespace bt::track {

struct VideoFacts {
  int width = 0, height = 0;
  double fps = 0;
  std::int64_t n_frames = 0;
};

class FrameReader {
 public:
  virtual ~FrameReader() = default;
  virtual const VideoFacts& facts() const = 0;
  // The frame at `index`, reading forward; frames must be asked for in increasing order.
  virtual const cv::Mat& at(FrameIndex index) = 0;
};

class FrameWriter {
 public:
  virtual ~FrameWriter() = default;
  virtual void write(const cv::Mat& bgr) = 0;
  virtual void close() = 0;  // the file appears only now
};

std::unique_ptr<FrameReader> open_frame_reader(const std::filesystem::path& video);
std::unique_ptr<FrameWriter> open_frame_writer(const std::filesystem::path& path, const VideoFacts& facts);

}  // namespace bt::track
