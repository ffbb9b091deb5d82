// `behavtrack analyze` with the offline identity pass, through the real program: the same
// identities as `behavtrack track` on the same detections, the pass recorded in the marker,
// the flag that turns it off, and a kill mid-run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "behavtrack/core/atomic_file.h"
#include "test_support.h"

namespace bt {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

// Four synthetic mice: the classical detector often sees two touching mice as one, so the
// tracks hold ambiguous contacts for the offline pass to re-decide.
constexpr int kMice = 4;

fs::path synth_video(const test::TempDir& dir, const std::string& name, int seconds, int mice = kMice) {
  const auto r = test::run_cli({"--quiet", "synth", "--out", (dir / name).string(), "--mice", std::to_string(mice),
                                "--seconds", std::to_string(seconds), "--seed", "11"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const fs::path video = dir / (name + ".mp4");
  fs::rename(dir / name / "video.mp4", video);
  return video;
}

test::CliResult analyze(const fs::path& video, const fs::path& out, const std::vector<std::string>& more = {},
                        int mice = kMice) {
  std::vector<std::string> args = {"--quiet", "analyze", video.string(), "--out", out.string(),
                                   "--animals", std::to_string(mice)};
  args.insert(args.end(), more.begin(), more.end());
  return test::run_cli(args);
}

// `track` on the same video with the classical detector and the thresholds analyze uses
// with it (score_new lowered to the detector's confident score, 0.5).
test::CliResult track(const fs::path& video, const fs::path& out, const std::vector<std::string>& more = {},
                      int mice = kMice) {
  std::vector<std::string> args = {"--quiet", "track", "--video", video.string(), "--model", "classical",
                                   "--animals", std::to_string(mice), "--score-new", "0.5", "--out", out.string()};
  args.insert(args.end(), more.begin(), more.end());
  return test::run_cli(args);
}

json frames_of(const fs::path& tracks_json) { return json::parse(read_file(tracks_json))["frames"]; }

// Frame by frame, the first difference in ids (or anything else) between two tracks.json.
std::string first_difference(const json& a, const json& b) {
  if (a.size() != b.size()) return std::to_string(a.size()) + " frames against " + std::to_string(b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return "frame " + std::to_string(i) + ": " + a[i].dump() + " against " + b[i].dump();
  return "";
}

TEST(AnalyzeOffline, IdentitiesEqualTracksOnTheSameVideoAndDetector) {
  test::TempDir dir;
  const fs::path video = synth_video(dir, "cage", 12);
  const auto a = analyze(video, dir / "analyze");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const auto t = track(video, dir / "track");
  ASSERT_EQ(t.exit_code, 0) << t.err;

  const json analysed = frames_of(dir / "analyze" / "cage" / "tracks.json");
  ASSERT_EQ(analysed.size(), 360u);
  EXPECT_EQ(first_difference(analysed, frames_of(dir / "track" / "tracks.json")), "");
  const json marker = json::parse(read_file(dir / "analyze" / "cage" / "analysis.json"));
  EXPECT_EQ(marker["offline_identities"]["ran"], true);
  // Seed 11: 8 contacts, 2 re-decided; with none re-decided the test would compare only the
  // streaming tracker's ids (pick another seed).
  EXPECT_GT(marker["offline_identities"]["changed"].get<int>(), 0) << marker.dump();
  EXPECT_EQ(marker["identity"]["tracker"]["offline_identities"], true);
}

TEST(AnalyzeOffline, TheFlagTurnsThePassOffAndAnEarlierRunIsNotTakenAsComplete) {
  test::TempDir dir;
  const fs::path video = synth_video(dir, "cage", 12);
  const fs::path out = dir / "analyze";
  const auto with = analyze(video, out);
  ASSERT_EQ(with.exit_code, 0) << with.err;
  const json with_pass = frames_of(out / "cage" / "tracks.json");
  const json marker_with = json::parse(read_file(out / "cage" / "analysis.json"));
  const json& pass = marker_with["offline_identities"];
  EXPECT_EQ(pass["ran"], true);
  // The summary says what the pass did.
  EXPECT_NE(with.out.find("offline identity pass: " + std::to_string(pass["episodes"].get<int>()) +
                          " ambiguous contacts, " + std::to_string(pass["changed"].get<int>()) + " re-decided"),
            std::string::npos)
      << with.out;
  // And the report's metrics table.
  EXPECT_NE(read_file(out / "cage" / "report.html").find("offline identity pass"), std::string::npos);

  const auto without = analyze(video, out, {"--no-offline-identities"});
  ASSERT_EQ(without.exit_code, 0) << without.err;
  EXPECT_NE(without.out.find("1 video(s) analysed, 0 skipped"), std::string::npos) << without.out;
  EXPECT_EQ(without.out.find("offline identity pass"), std::string::npos) << without.out;
  const json marker = json::parse(read_file(out / "cage" / "analysis.json"));
  EXPECT_EQ(marker["offline_identities"]["ran"], false);
  EXPECT_EQ(marker["identity"]["tracker"]["offline_identities"], false);
  EXPECT_EQ(read_file(out / "cage" / "report.html").find("offline identity pass"), std::string::npos);

  // Without the pass the ids are the streaming tracker's: the same as track's without it.
  const auto t = track(video, dir / "track", {"--no-offline-identities"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const json streamed = frames_of(out / "cage" / "tracks.json");
  EXPECT_EQ(first_difference(streamed, frames_of(dir / "track" / "tracks.json")), "");
  if (pass["changed"].get<int>() > 0) {
    EXPECT_NE(first_difference(streamed, with_pass), "") << "the pass re-decided contacts but no id changed";
  }
}

// One mouse: no contact to re-decide, so analyze skips the pass; track, which runs it,
// gives the same ids.
TEST(AnalyzeOffline, OneMouseSkipsThePassWithTheSameIdsAsTrack) {
  test::TempDir dir;
  const fs::path video = synth_video(dir, "cage", 4, 1);
  const auto a = analyze(video, dir / "analyze", {}, 1);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const auto t = track(video, dir / "track", {}, 1);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("offline identity pass"), std::string::npos) << t.out;
  EXPECT_EQ(a.out.find("offline identity pass"), std::string::npos) << a.out;
  const json analysed = frames_of(dir / "analyze" / "cage" / "tracks.json");
  ASSERT_EQ(analysed.size(), 120u);
  EXPECT_EQ(first_difference(analysed, frames_of(dir / "track" / "tracks.json")), "");
  EXPECT_EQ(json::parse(read_file(dir / "analyze" / "cage" / "analysis.json"))["offline_identities"]["ran"], false);
}

// Starts analyze, waits until the first video is complete, kills it with SIGKILL while the
// second is under way; returns whether it was still running then.
bool kill_during_second_video(const std::vector<std::string>& args, const fs::path& first_marker) {
  const pid_t pid = test::start_cli(args);
  int status = 0;
  while (!fs::exists(first_marker)) {
    if (waitpid(pid, &status, WNOHANG) == pid) return false;  // ended before the first video was done
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return test::kill9(pid);
}

TEST(AnalyzeOffline, AKillDuringAVideoLeavesNoTracksOfItAndTheRerunResumes) {
  test::TempDir dir;
  const fs::path first = synth_video(dir, "a", 2), second = synth_video(dir, "b", 6);
  const fs::path out = dir / "out";
  const std::vector<std::string> args = {"--quiet", "analyze", first.string(), second.string(), "--out", out.string(),
                                         "--animals", std::to_string(kMice), "--render"};
  ASSERT_TRUE(kill_during_second_video(args, out / "a" / "analysis.json"));
  for (const char* file : {"tracks.json", "tracks.csv", "tracks.mp4", "report.html", "analysis.json"})
    EXPECT_FALSE(fs::exists(out / "b" / file)) << file;

  const auto r = test::run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1 video(s) analysed, 1 skipped"), std::string::npos) << r.out;
  EXPECT_EQ(frames_of(out / "b" / "tracks.json").size(), 180u);
  EXPECT_TRUE(fs::exists(out / "b" / "tracks.mp4"));
  // The marker says where the time went: the stream, the offline pass and the render pass.
  const json stages = json::parse(read_file(out / "b" / "analysis.json"))["stage_seconds"];
  for (const char* stage : {"stream", "offline_identities", "render"}) EXPECT_GT(stages[stage], 0.0) << stage;
}

}  // namespace
}  // namespace bt
