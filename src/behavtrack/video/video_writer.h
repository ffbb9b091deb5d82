// Video encoding for rendered outputs (synthetic videos, tracking renders, previews).
//
//   bt::video::VideoWriter w("out.mp4", {.width = 640, .height = 480, .fps = {30, 1}});
//   w.write(bgr_image);   // CV_8UC3 (or CV_8UC1 when options.gray) at the given size
//   w.close();            // finishes the file and moves it into place
//
// H.264 through libx264 in an MP4 container; when libx264 is missing it falls back to
// MPEG-4 part 2 and logs a warning. Frame i gets pts i at time base 1/fps, so a reader
// sees exactly the frames written, in order. The file appears at `path` only after
// close() succeeds: a crash or an exception leaves no half-written video.
// Output with a given seed is byte-identical across runs (bit-exact flags, a fixed count
// of x264 slice threads, x264's macroblock-tree off, bit-exact colour conversion). Frames are encoded as yuv420p (BT.601,
// limited range), which every player and browser decodes; gray input gets neutral chroma.
// The container follows the file name's extension (.mp4, .mkv, .avi), MP4 when unknown.
// Thread safety: one writer per thread.
#pragma once

#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>

#include "behavtrack/video/video_info.h"

namespace bt::video {

struct WriterOptions {
  int width = 0, height = 0;   // pixels, even numbers for yuv420p
  Rational fps{30, 1};         // frames per second
  bool gray = false;           // input frames are CV_8UC1; encoded as gray/yuv420p
  std::string codec = "libx264";  // "libx264", "libx265", "mpeg4"
  int crf = 20;                // quality for x264/x265 (lower is better), 0..51
  std::string preset = "veryfast";  // x264/x265 speed preset
  int threads = 0;             // encoder threads, 0 = a fixed default (4), so the bytes
                               // do not depend on the machine's core count; libx265
                               // always uses one (its threads make the bytes vary)
  int gop_frames = 0;          // frames between key frames, 0 = the encoder's default
                               // (250); shorter GOPs make random access faster

  // Throws bt::Error naming the field and value.
  void validate() const;
};

class VideoWriter {
 public:
  VideoWriter(const std::filesystem::path& path, WriterOptions options);
  ~VideoWriter();  // without close(): discards the partial file
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  void write(const cv::Mat& image);
  void close();
  std::int64_t frames_written() const;
  // The codec actually used (after any fallback).
  const std::string& codec() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bt::video
