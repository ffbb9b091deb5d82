// `behavtrack video ...` run as a user runs it: the real program, its output and exit code.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "behavtrack/video/video_reader.h"
#include "test_support.h"

namespace bt::video {
namespace {
namespace fs = std::filesystem;
using test::run_cli;
using test::TempDir;

std::string dlc_video() { return (test::dlc_dir() / "videos" / "m3v1mp4.mp4").string(); }

TEST(CmdVideo, ProbeDlcVideoPrintsCountRateAndSize) {
  const auto r = run_cli({"video", "probe", dlc_video()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("640 x 480 px, h264, yuv444p"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2330 frames at 30 fps (30/1)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("constant frame rate"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("12 key frames: 0 182 366"), std::string::npos) << r.out;
}

TEST(CmdVideo, ProbeJsonHasEveryField) {
  const auto r = run_cli({"video", "probe", dlc_video(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["n_frames"], 2330);
  EXPECT_EQ(j["width"], 640);
  EXPECT_EQ(j["height"], 480);
  EXPECT_EQ(j["fps"]["num"], 30);
  EXPECT_EQ(j["fps"]["den"], 1);
  EXPECT_DOUBLE_EQ(j["fps"]["value"].get<double>(), 30.0);
  EXPECT_EQ(j["codec"], "h264");
  EXPECT_EQ(j["pixel_format"], "yuv444p");
  EXPECT_EQ(j["variable_frame_rate"], false);
  EXPECT_TRUE(j["damage"].is_null());
  EXPECT_EQ(j["key_frames"].size(), 12u);
  EXPECT_EQ(j["key_frames"][1], 182);
  ASSERT_EQ(j["frame_times_s"].size(), 2330u);
  EXPECT_NEAR(j["frame_times_s"][30].get<double>(), 1.0, 1e-4);
  EXPECT_NEAR(j["duration_s"].get<double>(), 77.67, 0.01);
}

TEST(CmdVideo, FrameWritesTheExactFrameAsPng) {
  TempDir dir;
  const fs::path out = dir / "f.png";
  const auto r = run_cli({"video", "frame", dlc_video(), "--index", "1000", "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("frame 1000 of"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(t = 33.333 s)"), std::string::npos) << r.out;
  const cv::Mat png = cv::imread(out.string(), cv::IMREAD_UNCHANGED);
  VideoReader reader(dlc_video());
  const cv::Mat expected = reader.frame(1000);
  ASSERT_EQ(png.size(), expected.size());
  EXPECT_EQ(cv::norm(png, expected, cv::NORM_INF), 0.0) << "PNG is lossless: same pixels as the reader";

  const fs::path gray = dir / "g.png";
  ASSERT_EQ(run_cli({"video", "frame", dlc_video(), "--index", "5", "--out", gray.string(), "--gray"}).exit_code, 0);
  EXPECT_EQ(cv::imread(gray.string(), cv::IMREAD_UNCHANGED).channels(), 1);
}

TEST(CmdVideo, FrameErrorsExitNonZeroAndWriteNothing) {
  TempDir dir;
  const fs::path out = dir / "f.png";
  auto r = run_cli({"video", "frame", dlc_video(), "--index", "2330", "--out", out.string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err, "behavtrack: video '" + dlc_video() + "': frame 2330 is out of range; valid frames are 0..2329\n");
  r = run_cli({"video", "frame", dlc_video(), "--index", "-3", "--out", out.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: video frame: --index = -3 must be >= 0\n");
  r = run_cli({"video", "frame", dlc_video(), "--index", "12x", "--out", out.string()});
  EXPECT_EQ(r.exit_code, 2) << "numbers parse strictly";
  r = run_cli({"video", "frame", dlc_video(), "--index", "3", "--out", (dir / "f.gif").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: image '" + (dir / "f.gif").string() +
                       "': unsupported extension '.gif'; use .png, .jpg, .bmp or .tif\n");
  r = run_cli({"video", "frame", (dir / "missing.mp4").string(), "--index", "0", "--out", out.string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err, "behavtrack: video '" + (dir / "missing.mp4").string() + "': file does not exist\n");
  EXPECT_TRUE(fs::is_empty(dir.path())) << "no partial output";
}

TEST(CmdVideo, ProbeOfANonVideoIsAUsageError) {
  TempDir dir;
  const fs::path text = dir / "a.txt";
  std::ofstream(text) << "hello";
  const auto r = run_cli({"video", "probe", text.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: video '" + text.string() +
                       "': not a readable video file (Invalid data found when processing input); is it a video, and "
                       "complete?\n");
}

TEST(CmdVideo, CheckDecodesEveryFrame) {
  const auto r = run_cli({"-q", "video", "check", dlc_video()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("all 2330 frames decoded in"), std::string::npos) << r.out;
}

TEST(CmdVideo, HelpDocumentsEveryFlag) {
  const auto r = run_cli({"video", "frame", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--index", "--out", "--gray", "0-based"}) EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  const auto p = run_cli({"video", "probe", "--help"});
  EXPECT_NE(p.out.find("--json"), std::string::npos);
}

}  // namespace
}  // namespace bt::video
