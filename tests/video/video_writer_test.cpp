#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/video/video_writer.h"
#include "test_support.h"

namespace bt::video {
namespace {
namespace fs = std::filesystem;
using test::TempDir;

cv::Mat gradient_frame(int width, int height, int i) {
  cv::Mat m(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(x * 4 + i, y * 4, 128 + i);
  return m;
}

void write_video(const fs::path& path, WriterOptions options, int n_frames) {
  VideoWriter w(path, options);
  for (int i = 0; i < n_frames; ++i) {
    if (options.gray) {
      cv::Mat g(options.height, options.width, CV_8UC1, cv::Scalar(i * 8));
      w.write(g);
    } else {
      w.write(gradient_frame(options.width, options.height, i));
    }
  }
  w.close();
}

WriterOptions small(std::string codec = "libx264") {
  WriterOptions o;
  o.width = 64;
  o.height = 48;
  o.codec = std::move(codec);
  return o;
}

// Frames counted by ffprobe, an independent decoder.
int ffprobe_frames(const fs::path& path) {
  const auto r = test::run_program("/usr/bin/ffprobe",
                                   {"-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                                    "stream=nb_read_frames", "-of", "csv=p=0", path.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return std::atoi(r.out.c_str());
}

TEST(VideoWriter, WritesH264Mp4ThatFfprobeReads) {
  TempDir dir;
  const fs::path path = dir / "out.mp4";
  VideoWriter w(path, small());
  for (int i = 0; i < 30; ++i) w.write(gradient_frame(64, 48, i));
  EXPECT_EQ(w.frames_written(), 30);
  EXPECT_EQ(w.codec(), "libx264");
  EXPECT_FALSE(fs::exists(path)) << "the file must appear only after close()";
  w.close();
  ASSERT_TRUE(fs::exists(path));
  EXPECT_EQ(ffprobe_frames(path), 30);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1)
      << "no temporary file may stay behind";
}

TEST(VideoWriter, Mpeg4AndX265AndGray) {
  TempDir dir;
  write_video(dir / "a.mp4", small("mpeg4"), 12);
  EXPECT_EQ(ffprobe_frames(dir / "a.mp4"), 12);
  write_video(dir / "b.mp4", small("libx265"), 12);
  EXPECT_EQ(ffprobe_frames(dir / "b.mp4"), 12);
  WriterOptions gray = small();
  gray.gray = true;
  write_video(dir / "c.mp4", gray, 12);
  EXPECT_EQ(ffprobe_frames(dir / "c.mp4"), 12);
}

TEST(VideoWriter, SameFramesGiveSameBytes) {
  TempDir dir;
  for (const std::string codec : {"libx264", "libx265", "mpeg4"}) {
    write_video(dir / "1.mp4", small(codec), 40);
    write_video(dir / "2.mp4", small(codec), 40);
    EXPECT_TRUE(read_file(dir / "1.mp4") == read_file(dir / "2.mp4")) << codec << " output differs between runs";
  }
  // Large enough for x264's frame threads to split the work.
  WriterOptions big = small();
  big.width = 320;
  big.height = 240;
  write_video(dir / "1.mp4", big, 60);
  write_video(dir / "2.mp4", big, 60);
  EXPECT_TRUE(read_file(dir / "1.mp4") == read_file(dir / "2.mp4")) << "320x240 x264 output differs between runs";
}

TEST(VideoWriter, LeavesNoFileAfterAnException) {
  TempDir dir;
  const fs::path path = dir / "out.mp4";
  try {
    VideoWriter w(path, small());
    w.write(gradient_frame(64, 48, 0));
    w.write(gradient_frame(32, 48, 1));
    FAIL() << "a wrongly sized frame must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_EQ(std::string(e.what()),
              "video writer '" + path.string() +
                  "': frame 1 is 32x48 with 3 channel(s) of depth 0; expected 64x48 CV_8UC3 (BGR)");
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(dir.path())) << "the temporary file must be removed";
}

TEST(VideoWriter, DestroyedWithoutCloseLeavesNothing) {
  TempDir dir;
  {
    VideoWriter w(dir / "out.mp4", small());
    w.write(gradient_frame(64, 48, 0));
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(VideoWriter, RejectsBadOptionsNamingFieldAndValue) {
  auto message = [](WriterOptions o) {
    try {
      o.validate();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  WriterOptions o = small();
  o.width = 63;
  EXPECT_EQ(message(o), "video writer options: width = 63 must be a positive even number of pixels");
  o = small();
  o.height = 0;
  EXPECT_EQ(message(o), "video writer options: height = 0 must be a positive even number of pixels");
  o = small();
  o.fps = {0, 1};
  EXPECT_EQ(message(o), "video writer options: fps = 0/1 must be a positive rational");
  o = small();
  o.codec = "vp9";
  EXPECT_EQ(message(o), "video writer options: codec = 'vp9' is not one of libx264, libx265, mpeg4");
  o = small();
  o.crf = 60;
  EXPECT_EQ(message(o), "video writer options: crf = 60 must be in 0..51");
  o = small();
  o.gop_frames = -1;
  EXPECT_EQ(message(o), "video writer options: gop_frames = -1 must be >= 0");
}

TEST(VideoWriter, RejectsMissingFolderAndEmptyVideo) {
  TempDir dir;
  const fs::path missing = dir / "nope" / "out.mp4";
  try {
    VideoWriter w(missing, small());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_EQ(std::string(e.what()), "video writer '" + missing.string() + "': folder '" +
                                         (dir / "nope").string() + "' does not exist");
  }
  VideoWriter w(dir / "empty.mp4", small());
  try {
    w.close();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "video writer '" + (dir / "empty.mp4").string() + "': no frames were written");
  }
}

}  // namespace
}  // namespace bt::video
