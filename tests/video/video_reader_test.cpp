#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <numeric>
#include <random>
#include <string_view>

#include "behavtrack/core/error.h"
#include "behavtrack/video/video_reader.h"
#include "behavtrack/video/video_writer.h"
#include "index_video.h"
#include "test_support.h"

namespace bt::video {
namespace {
namespace fs = std::filesystem;
using test::TempDir;
using test_fixture::decode_index;

fs::path dlc_video() { return test::dlc_dir() / "videos" / "m3v1mp4.mp4"; }

std::size_t image_hash(const cv::Mat& m) {
  EXPECT_TRUE(m.isContinuous());
  return std::hash<std::string_view>()(
      std::string_view(reinterpret_cast<const char*>(m.data), m.total() * m.elemSize()));
}

std::vector<std::size_t> sequential_hashes(const fs::path& path, PixelFormat output = PixelFormat::kBgr) {
  VideoReader reader(path, {output});
  std::vector<std::size_t> hashes;
  Frame f;
  while (reader.read(f)) {
    EXPECT_EQ(f.index, static_cast<FrameIndex>(hashes.size()));
    hashes.push_back(image_hash(f.image));
  }
  return hashes;
}

std::vector<FrameIndex> shuffled(FrameIndex n, unsigned seed) {
  std::vector<FrameIndex> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  return order;
}

TEST(VideoProbe, DlcVideoHasExactCountRateSizeAndKeyFrames) {
  const VideoInfo info = probe(dlc_video());
  EXPECT_EQ(info.n_frames, 2330);
  EXPECT_EQ(info.fps.num, 30);
  EXPECT_EQ(info.fps.den, 1);
  EXPECT_DOUBLE_EQ(info.fps_value(), 30.0);
  EXPECT_EQ(info.width, 640);
  EXPECT_EQ(info.height, 480);
  EXPECT_EQ(info.codec, "h264");
  EXPECT_EQ(info.pixel_format, "yuv444p");
  EXPECT_EQ(info.key_frames.size(), 12u);
  EXPECT_EQ(info.key_frames.front(), 0);
  EXPECT_TRUE(std::is_sorted(info.key_frames.begin(), info.key_frames.end()));
  ASSERT_EQ(info.frame_times_s.size(), 2330u);
  EXPECT_DOUBLE_EQ(info.frame_times_s[0], 0.0);
  EXPECT_NEAR(info.frame_times_s[3], 0.1, 1e-5);
  EXPECT_FALSE(info.variable_frame_rate);
  EXPECT_NEAR(info.duration_s, 2330 / 30.0, 0.01);
  EXPECT_TRUE(info.damage.empty());
}

// Random access in any order gives the very frame a sequential decode gives; around the 12
// key frames and everywhere else. Every third frame (777 of them, in every GOP): a random
// read decodes ~100 frames from its key frame here, and all 2330 took 6 minutes of `make
// test` on 2 cores; the frames around each key frame are all checked in the next test.
TEST(VideoReaderSlow, DlcEveryThirdFrameInShuffledOrderEqualsSequentialDecode) {
  const std::vector<std::size_t> expected = sequential_hashes(dlc_video());
  ASSERT_EQ(expected.size(), 2330u);
  VideoReader reader(dlc_video());
  int mismatches = 0;
  for (const FrameIndex k : shuffled(2330, 7)) {
    if (k % 3 != 1) continue;
    const Frame f = reader.read_at(k);
    ASSERT_EQ(f.index, k);
    if (image_hash(f.image) != expected[k] && ++mismatches < 10) ADD_FAILURE() << "frame " << k << " differs";
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(VideoReader, DlcFramesAroundKeyFramesEqualSequentialDecode) {
  const std::vector<std::size_t> expected = sequential_hashes(dlc_video());
  ASSERT_EQ(expected.size(), 2330u);
  VideoReader reader(dlc_video());
  std::vector<FrameIndex> picks = {2329, 0, 1, 2328};
  for (const FrameIndex key : reader.info().key_frames)
    for (const FrameIndex k : {key - 1, key, key + 1, key + 2})
      if (k >= 0 && k < 2330) picks.push_back(k);
  for (const FrameIndex k : shuffled(2330, 3)) {
    if (picks.size() >= 80) break;
    picks.push_back(k);
  }
  for (const FrameIndex k : picks) EXPECT_EQ(image_hash(reader.frame(k)), expected[k]) << "frame " << k;
}

TEST(VideoReader, DlcSequentialReadGivesBgrFramesWithTimes) {
  VideoReader reader(dlc_video());
  Frame f;
  ASSERT_TRUE(reader.read(f));
  EXPECT_EQ(f.index, 0);
  EXPECT_EQ(f.image.type(), CV_8UC3);
  EXPECT_EQ(f.image.size(), cv::Size(640, 480));
  EXPECT_EQ(reader.position(), 1);
  ASSERT_TRUE(reader.read(f));
  EXPECT_NEAR(f.time_s, 1 / 30.0, 1e-5);
  reader.read_at(2000);
  EXPECT_EQ(reader.position(), 2001);
  ASSERT_TRUE(reader.read(f));
  EXPECT_EQ(f.index, 2001);
  reader.read_at(2329);
  EXPECT_FALSE(reader.read(f));
}

TEST(VideoReader, KeptFramesAreNotOverwritten) {
  VideoReader reader(dlc_video(), {PixelFormat::kGray});
  Frame f;
  ASSERT_TRUE(reader.read(f));
  const cv::Mat first = f.image;  // shares the buffer
  const cv::Mat first_copy = first.clone();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(reader.read(f));
  EXPECT_EQ(cv::norm(first, first_copy, cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(f.image, first, cv::NORM_L1), 0.0) << "the video moves; frames 0 and 5 differ";
}

// Sequential reads go through the decode-ahead thread; random access stops it and a later
// read() starts it again from the new position. Every path must give the frames a plain
// sequential decode gives: backwards (a seek), a few frames ahead (taken from the queue),
// far ahead across key frames (a seek), and on to the next GOP.
TEST(VideoReader, DlcSequentialAfterRandomAccessGivesTheSameFrames) {
  constexpr FrameIndex kCount = 420;  // crosses the key frames at 182 and 366
  std::vector<std::size_t> expected;
  {
    VideoReader reader(dlc_video());
    Frame f;
    while (static_cast<FrameIndex>(expected.size()) < kCount && reader.read(f)) expected.push_back(image_hash(f.image));
  }
  ASSERT_EQ(static_cast<FrameIndex>(expected.size()), kCount);
  VideoReader reader(dlc_video());
  Frame f;
  auto read_run = [&](FrameIndex from, int n) {
    for (FrameIndex k = from; k < from + n; ++k) {
      ASSERT_TRUE(reader.read(f));
      ASSERT_EQ(f.index, k);
      EXPECT_EQ(image_hash(f.image), expected[k]) << "sequential frame " << k;
    }
  };
  read_run(0, 150);
  EXPECT_EQ(image_hash(reader.frame(40)), expected[40]) << "backwards";
  read_run(41, 20);
  EXPECT_EQ(image_hash(reader.frame(62)), expected[62]) << "two ahead";
  read_run(63, 5);
  EXPECT_EQ(image_hash(reader.frame(68)), expected[68]) << "the next one by index";
  EXPECT_EQ(image_hash(reader.frame(300)), expected[300]) << "across a key frame";
  read_run(301, 100);
  EXPECT_EQ(image_hash(reader.frame(0)), expected[0]) << "back to the start";
  read_run(1, 3);
  EXPECT_EQ(reader.position(), 4);
}

int process_thread_count() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return -1;
}

// A reader destroyed (or replaced) while its decode-ahead thread is busy or waiting on a
// full queue stops it and leaves no thread behind.
TEST(VideoReader, DestroyedMidStreamLeavesNoThreads) {
  const int threads_before = process_thread_count();
  ASSERT_GT(threads_before, 0);
  for (int frames_read : {1, 3, 50}) {
    VideoReader reader(dlc_video());
    Frame f;
    for (int i = 0; i < frames_read; ++i) ASSERT_TRUE(reader.read(f));
    EXPECT_GT(process_thread_count(), threads_before) << "the decoder and the decode-ahead thread run";
  }
  {
    VideoReader reader(dlc_video());
    Frame f;
    ASSERT_TRUE(reader.read(f));
    reader = VideoReader(dlc_video(), {PixelFormat::kGray});  // the running reader goes away
    ASSERT_TRUE(reader.read(f));
    EXPECT_EQ(f.index, 0);
    EXPECT_EQ(f.image.type(), CV_8UC1);
  }
  EXPECT_EQ(process_thread_count(), threads_before);
}

// ---------------------------------------------------------------------------------------
// Synthetic 64x48 videos whose frames carry their own index, from our writer and from the
// ffmpeg CLI, across GOP sizes, B-frames, containers, pixel formats and a variable rate.

struct IndexVideo {
  std::string name;
  std::function<void(const fs::path& dir, const fs::path& out)> make;
  std::string file = "video.mp4";
};

constexpr int kFrames = 30;

IndexVideo ours(std::string name, std::string codec, int gop, bool gray = false) {
  return {name, [=](const fs::path&, const fs::path& out) {
            WriterOptions o;
            o.width = 64;
            o.height = 48;
            o.codec = codec;
            o.gop_frames = gop;
            o.gray = gray;
            VideoWriter w(out, o);
            for (int i = 0; i < kFrames; ++i) {
              cv::Mat bgr = test_fixture::index_frame_bgr(i);
              if (gray) {
                cv::Mat g;
                cv::extractChannel(bgr, g, 0);
                w.write(g);
              } else {
                w.write(bgr);
              }
            }
            w.close();
          }};
}

IndexVideo ffmpeg_cli(std::string name, std::vector<std::string> args, std::string file = "video.mp4") {
  return {name,
          [=](const fs::path& dir, const fs::path& out) {
            test_fixture::write_raw_bgr(dir / "raw.bgr", kFrames);
            std::vector<std::string> all = {"-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s",
                                            "64x48", "-r", "30", "-i", (dir / "raw.bgr").string()};
            all.insert(all.end(), args.begin(), args.end());
            all.push_back(out.string());
            const auto r = test::run_program("/usr/bin/ffmpeg", all);
            ASSERT_EQ(r.exit_code, 0) << r.err;
          },
          file};
}

class IndexVideoTest : public ::testing::TestWithParam<IndexVideo> {
 protected:
  void SetUp() override {
    path_ = dir_ / GetParam().file;
    GetParam().make(dir_.path(), path_);
    ASSERT_TRUE(fs::exists(path_));
  }
  TempDir dir_;
  fs::path path_;
};

TEST_P(IndexVideoTest, ProbeCountsEveryFrame) {
  const VideoInfo info = probe(path_);
  EXPECT_EQ(info.n_frames, kFrames);
  EXPECT_EQ(info.width, 64);
  EXPECT_EQ(info.height, 48);
  EXPECT_EQ(info.frame_times_s.size(), static_cast<std::size_t>(kFrames));
  ASSERT_FALSE(info.key_frames.empty());
  EXPECT_EQ(info.key_frames.front(), 0);
}

TEST_P(IndexVideoTest, SequentialReadGivesEachFrameInOrder) {
  for (const PixelFormat output : {PixelFormat::kBgr, PixelFormat::kGray}) {
    VideoReader reader(path_, {output});
    Frame f;
    int n = 0;
    while (reader.read(f)) {
      EXPECT_EQ(f.image.channels(), output == PixelFormat::kGray ? 1 : 3);
      EXPECT_EQ(decode_index(f.image), n) << "sequential frame " << n;
      ++n;
    }
    EXPECT_EQ(n, kFrames);
  }
}

TEST_P(IndexVideoTest, RandomAccessInShuffledOrderIsExact) {
  for (const unsigned seed : {1u, 2u, 3u}) {
    VideoReader reader(path_, {seed == 2 ? PixelFormat::kGray : PixelFormat::kBgr});
    for (const FrameIndex k : shuffled(kFrames, seed)) EXPECT_EQ(decode_index(reader.frame(k)), k) << "seed " << seed;
  }
  VideoReader reader(path_);
  for (const FrameIndex k : {29, 28, 0, 1, 2, 15, 16, 14, 29, 29, 0, 0, 7})
    EXPECT_EQ(decode_index(reader.frame(k)), k);
}

TEST_P(IndexVideoTest, SequentialReadResumesExactlyAfterRandomAccess) {
  VideoReader reader(path_);
  Frame f;
  auto expect_next = [&](FrameIndex k) {
    ASSERT_TRUE(reader.read(f)) << "frame " << k;
    EXPECT_EQ(f.index, k);
    EXPECT_EQ(decode_index(f.image), k);
  };
  for (FrameIndex k = 0; k < 12; ++k) expect_next(k);
  EXPECT_EQ(decode_index(reader.frame(5)), 5);
  for (FrameIndex k = 6; k < 9; ++k) expect_next(k);
  EXPECT_EQ(decode_index(reader.frame(11)), 11);
  for (FrameIndex k = 12; k < 20; ++k) expect_next(k);
  EXPECT_EQ(decode_index(reader.frame(2)), 2);
  for (FrameIndex k = 3; k < kFrames; ++k) expect_next(k);
  EXPECT_FALSE(reader.read(f));
}

INSTANTIATE_TEST_SUITE_P(
    Sources, IndexVideoTest,
    ::testing::Values(ours("ours_x264_gop1", "libx264", 1), ours("ours_x264_gop5", "libx264", 5),
                      ours("ours_x264_gop12", "libx264", 12), ours("ours_x264_default", "libx264", 0),
                      ours("ours_x264_gray", "libx264", 8, true), ours("ours_x265_gop7", "libx265", 7),
                      ours("ours_mpeg4_gop6", "mpeg4", 6),
                      ffmpeg_cli("cli_x264_yuv444p_gop1", {"-c:v", "libx264", "-pix_fmt", "yuv444p", "-g", "1"}),
                      ffmpeg_cli("cli_x264_yuv444p_gop4_bf3",
                                 {"-c:v", "libx264", "-pix_fmt", "yuv444p", "-g", "4", "-bf", "3"}),
                      ffmpeg_cli("cli_x264_yuv444p_gop10", {"-c:v", "libx264", "-pix_fmt", "yuv444p", "-g", "10"}),
                      ffmpeg_cli("cli_x264_gray_gop6", {"-c:v", "libx264", "-pix_fmt", "gray", "-g", "6"}),
                      ffmpeg_cli("cli_ffv1_gray_mkv", {"-c:v", "ffv1", "-pix_fmt", "gray", "-g", "5"}, "video.mkv"),
                      ffmpeg_cli("cli_x264_opengop_mkv",
                                 {"-c:v", "libx264", "-g", "9", "-bf", "2", "-x264-params", "open-gop=1"},
                                 "video.mkv"),
                      ffmpeg_cli("cli_mpeg4_avi", {"-c:v", "mpeg4", "-q:v", "2", "-g", "7", "-bf", "2"}, "video.avi"),
                      ffmpeg_cli("cli_x264_vfr",
                                 {"-c:v", "libx264", "-g", "8", "-vf", "setpts=(N+floor(N/3))/(30*TB)",
                                  "-fps_mode", "passthrough"})),
    [](const ::testing::TestParamInfo<IndexVideo>& p) { return p.param.name; });

TEST(VideoProbe, VariableFrameRateIsDetectedWithEachFramesTime) {
  TempDir dir;
  ffmpeg_cli("vfr", {"-c:v", "libx264", "-g", "8", "-vf", "setpts=(N+floor(N/3))/(30*TB)", "-fps_mode", "passthrough"})
      .make(dir.path(), dir / "vfr.mp4");
  const VideoInfo info = probe(dir / "vfr.mp4");
  EXPECT_TRUE(info.variable_frame_rate);
  ASSERT_EQ(info.n_frames, kFrames);
  for (int i = 0; i < kFrames; ++i) EXPECT_NEAR(info.frame_times_s[i], (i + i / 3) / 30.0, 1e-6) << i;
  VideoReader reader(dir / "vfr.mp4");
  const Frame f = reader.read_at(10);
  EXPECT_NEAR(f.time_s, 13 / 30.0, 1e-6);
  EXPECT_EQ(decode_index(f.image), 10);
}

TEST(VideoProbe, ConstantRateVideosAreNotVariable) {
  TempDir dir;
  ours("x", "libx264", 5).make(dir.path(), dir / "a.mp4");
  const VideoInfo info = probe(dir / "a.mp4");
  EXPECT_FALSE(info.variable_frame_rate);
  EXPECT_EQ(info.fps.str(), "30/1");
  EXPECT_NEAR(info.duration_s, 1.0, 1e-6);
  ffmpeg_cli("mkv", {"-c:v", "libx264", "-r", "30000/1001"}, "b.mkv").make(dir.path(), dir / "b.mkv");
  const VideoInfo ntsc = probe(dir / "b.mkv");  // millisecond timestamps: 33, 33, 34 ms steps
  EXPECT_FALSE(ntsc.variable_frame_rate);
  EXPECT_EQ(ntsc.fps.str(), "30000/1001");
}

}  // namespace
}  // namespace bt::video
