// `behavtrack analyze` and `behavtrack active` through the real program.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/instances_json.h"
#include "pose/pose_fixtures.h"
#include "test_support.h"

namespace bt {
namespace {
namespace fs = std::filesystem;

fs::path synth_video(const test::TempDir& dir, const std::string& name, int mice, double seconds) {
  const auto r = test::run_cli({"--quiet", "synth", "--out", (dir / name).string(), "--mice", std::to_string(mice),
                                "--seconds", std::to_string(seconds), "--seed", "3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const fs::path video = dir / name / (name + ".mp4");
  fs::rename(dir / name / "video.mp4", video);
  return video;
}

TEST(AnalyzeCli, ClassicalDetectorWritesEveryOutputAndSkipsWhenComplete) {
  test::TempDir dir;
  const fs::path video = synth_video(dir, "cage", 2, 3);
  const auto out = dir / "out";
  const auto r = test::run_cli({"--quiet", "analyze", video.string(), "--out", out.string(), "--animals", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* file : {"tracks.json", "tracks.csv", "report.html", "analysis.json"})
    EXPECT_TRUE(fs::exists(out / "cage" / file)) << file;
  EXPECT_NE(r.out.find("analyze: 1 video(s) analysed, 0 skipped"), std::string::npos) << r.out;

  const InstancesFile tracks = read_instances_json(out / "cage" / "tracks.json");
  EXPECT_EQ(tracks.frames.size(), 90u);  // 3 s at 30 fps, every frame once
  int max_id = 0;
  for (const auto& f : tracks.frames)
    for (const auto& m : f.instances) max_id = std::max(max_id, m.id ? m.id->value : 0);
  EXPECT_GE(max_id, 1);
  EXPECT_LE(max_id, 2) << "more identities than animals";

  const auto again = test::run_cli({"--quiet", "analyze", video.string(), "--out", out.string(), "--animals", "2"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("complete from an earlier run"), std::string::npos) << again.out;
}

// A pose model scores a mouse it finds about 0.45 (an IoU-aware objectness): below
// ByteTrack's 0.5 / 0.6, which once left every frame of the analysis empty.
TEST(AnalyzeCli, APoseModelsConfidentDetectionsAreTrackedInEveryFrame) {
  test::TempDir dir;
  const fs::path video = synth_video(dir, "cage", 1, 2);
  ASSERT_TRUE(pose::make_torchscript_fixture(dir.path(), dir / "pose.torchscript", 0.45));
  const auto out = dir / "out";
  const auto r = test::run_cli({"--quiet", "analyze", video.string(), "--out", out.string(), "--animals", "1",
                                "--model", (dir / "pose.torchscript").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const InstancesFile tracks = read_instances_json(out / "cage" / "tracks.json");
  ASSERT_EQ(tracks.frames.size(), 60u);
  for (const auto& f : tracks.frames) {
    ASSERT_EQ(f.instances.size(), 1u) << "frame " << f.frame;
    ASSERT_TRUE(f.instances[0].id.has_value());
    EXPECT_EQ(f.instances[0].id->value, 1) << "frame " << f.frame;
  }
  // The run records (and the report shows) the tracker options it used, not the defaults.
  const auto marker = nlohmann::json::parse(read_file(out / "cage" / "analysis.json"));
  const auto& tracker = marker["identity"]["tracker"];
  EXPECT_EQ(tracker["animals"], 1);
  EXPECT_LE(tracker["score_high"].get<double>(), 0.45);
  EXPECT_LE(tracker["score_new"].get<double>(), 0.45);
  // One mouse: no contact for the offline identity pass to re-decide, so it does not run.
  EXPECT_EQ(tracker["offline_identities"], false);
  EXPECT_EQ(marker["offline_identities"]["ran"], false);
}

TEST(AnalyzeCli, MissingVideoIsOneClearLine) {
  test::TempDir dir;
  const auto r = test::run_cli({"analyze", (dir / "nope.mp4").string(), "--out", (dir / "out").string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err, "behavtrack: video '" + (dir / "nope.mp4").string() + "': does not exist\n");
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(AnalyzeCli, NotAVideoLeavesNoOutput) {
  test::TempDir dir;
  std::ofstream(dir / "notes.mp4") << "this is text, not a video\n";
  const auto r = test::run_cli({"analyze", (dir / "notes.mp4").string(), "--out", (dir / "out").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("notes.mp4"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out" / "notes"));
}

TEST(ActiveCli, NextWithoutASplitSaysWhatToRunFirst) {
  test::TempDir dir;
  ASSERT_EQ(test::run_cli({"--quiet", "project", "init", (dir / "p").string()}).exit_code, 0);
  const auto r = test::run_cli({"active", "next", (dir / "p").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: project '" + (dir / "p").string() +
                       "': no split yet; run 'behavtrack frames split DIR --initial-cycle' first\n");
}

TEST(ActiveCli, UnknownStrategyIsAUsageError) {
  test::TempDir dir;
  const auto r = test::run_cli({"active", "next", (dir / "p").string(), "--strategy", "greedy"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("strategy 'greedy'"), std::string::npos) << r.err;
}

TEST(ActiveCli, NegativeHybridRampIsAUsageError) {
  test::TempDir dir;
  const auto r = test::run_cli({"active", "next", (dir / "p").string(), "--hybrid-ramp", "-5"});
  EXPECT_EQ(r.exit_code, 2);
  // One line, the program's prefix, and where the flags are listed.
  EXPECT_EQ(r.err, "behavtrack: --hybrid-ramp: must be >= 0, got -5; see 'behavtrack active next --help'\n");
}

TEST(Cli, ParseErrorsAreOneLineAndSeedsAreNotWrapped) {
  test::TempDir dir;
  auto r = test::run_cli({"synth", "--out", (dir / "s").string(), "--seed", "-1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: --seed: expected a whole number from 0 to 9223372036854775807, got '-1'; "
                   "see 'behavtrack synth --help'\n");
  EXPECT_FALSE(fs::exists(dir / "s"));
  r = test::run_cli({"synth", "--out", (dir / "s").string(), "--seed", "9223372036854775808"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = test::run_cli({"pose", "train", (dir / "p").string(), "--imgsz", "30fps"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: Could not convert: --imgsz = 30fps; see 'behavtrack pose train --help'\n");
  // A path option whose file is missing is "not found".
  r = test::run_cli({"behavior", "predict", "--model", (dir / "m").string(), "--tracks", (dir / "t.json").string(),
                     "--out", (dir / "o").string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
}

TEST(Cli, FilesystemErrorsNameThePathAndAreIoErrors) {
  test::TempDir dir;
  std::ofstream(dir / "afile") << "not a folder";
  ASSERT_EQ(test::run_cli({"synth", "--out", (dir / "s").string(), "--mice", "2", "--seconds", "1", "--size", "160x120"})
                .exit_code,
            0);
  const auto r = test::run_cli({"analyze", (dir / "s" / "video.mp4").string(), "--out", (dir / "afile").string(),
                                "--model", "classical"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("afile"), std::string::npos) << r.err;
}

TEST(ActiveCli, UnknownDiversityFeaturesAreRefusedBeforeAnyWork) {
  test::TempDir dir;
  const auto r = test::run_cli({"active", "next", (dir / "p").string(), "--features", "colour"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("diversity features 'colour': expected appearance or layout"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "p")) << "nothing written";
}

}  // namespace
}  // namespace bt
