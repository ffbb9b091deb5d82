#include "behavtrack/track/video_frames.h"

#include <cmath>

#include "behavtrack/core/error.h"
#include "behavtrack/video/video_reader.h"
#include "behavtrack/video/video_writer.h"

namespace bt::track {
namespace {

class LibavFrameReader : public FrameReader {
 public:
  explicit LibavFrameReader(const std::filesystem::path& path) : reader_(path), path_(path) {
    const video::VideoInfo& info = reader_.info();
    facts_ = {info.width, info.height, info.fps_value(), info.n_frames};
  }
  const VideoFacts& facts() const override { return facts_; }
  const cv::Mat& at(FrameIndex index) override {
    while (frame_.index < index) {
      if (!reader_.read(frame_))
        throw_not_found("video " + quoted(path_.string()) + ": frame " + std::to_string(index) +
                        " is past the end (" + std::to_string(facts_.n_frames) + " frames)");
    }
    return frame_.image;
  }

 private:
  video::VideoReader reader_;
  std::filesystem::path path_;
  video::Frame frame_;
  VideoFacts facts_;
};

class LibavFrameWriter : public FrameWriter {
 public:
  LibavFrameWriter(const std::filesystem::path& path, const VideoFacts& f)
      : writer_(path, options(f)) {}
  void write(const cv::Mat& bgr) override { writer_.write(bgr); }
  void close() override { writer_.close(); }

 private:
  static video::WriterOptions options(const VideoFacts& f) {
    video::WriterOptions o;
    o.width = f.width;
    o.height = f.height;
    // Rational frame rate good to 1/1000 fps (29.97 stays 29970/1000).
    o.fps = {static_cast<int>(std::lround(f.fps * 1000)), 1000};
    return o;
  }
  video::VideoWriter writer_;
};

}  // namespace

std::unique_ptr<FrameReader> open_frame_reader(const std::filesystem::path& video) {
  return std::make_unique<LibavFrameReader>(video);
}

std::unique_ptr<FrameWriter> open_frame_writer(const std::filesystem::path& path, const VideoFacts& facts) {
  return std::make_unique<LibavFrameWriter>(path, facts);
}

}  // namespace bt::track
