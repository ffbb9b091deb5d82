// `behavtrack synth` and write_synth: the files a user gets, and the errors they see.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/instances_json.h"
#include "behavtrack/synth/synth.h"
#include "test_support.h"

namespace bt::synth {
namespace {
namespace fs = std::filesystem;
using test::run_cli;
using test::TempDir;

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

int ffprobe_frames(const fs::path& path) {
  const auto r = test::run_program(
      "/usr/bin/ffprobe", {"-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                           "stream=nb_read_frames,width,height", "-of", "csv=p=0", path.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? std::atoi(r.out.substr(r.out.rfind(',') + 1).c_str()) : -1;
}

TEST(SynthCli, WritesVideoTruthAndBehaviourTable) {
  TempDir dir;
  const fs::path out = dir / "out";
  const auto r = run_cli({"synth", "--out", out.string(), "--mice", "2", "--seconds", "1",
                          "--size", "160x120", "--seed", "3", "--arena", "bedding", "--noise", "0.5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("30 frames of 2 mice"), std::string::npos) << r.out;

  EXPECT_EQ(ffprobe_frames(out / "video.mp4"), 30);

  const InstancesFile truth = read_instances_json(out / "truth.json");
  EXPECT_EQ(truth.header.video, "video.mp4");
  EXPECT_EQ(truth.header.width, 160);
  EXPECT_EQ(truth.header.height, 120);
  EXPECT_DOUBLE_EQ(truth.header.fps, 30);
  EXPECT_EQ(truth.header.skeleton.keypoints,
            (std::vector<std::string>{"nose", "earL", "earR", "tailB"}));
  ASSERT_EQ(truth.frames.size(), 30u);
  for (const FrameInstances& f : truth.frames) {
    ASSERT_EQ(f.instances.size(), 2u);
    EXPECT_EQ(f.instances[0].id, TrackId(1));
    EXPECT_EQ(f.instances[1].id, TrackId(2));
    EXPECT_FALSE(f.instances[0].behavior.empty());
  }

  const auto csv = lines_of(out / "truth_behavior.csv");
  ASSERT_EQ(csv.size(), 1u + 30 * 2);
  EXPECT_EQ(csv[0], "frame,time_s,id,behavior,partner_id");
  EXPECT_EQ(csv[1].rfind("0,0.0000,1,", 0), 0u) << csv[1];
  EXPECT_EQ(csv[4].rfind("1,0.0333,2,", 0), 0u) << csv[4];
  // The CSV and the JSON tell the same behaviour.
  std::istringstream row(csv[2 * 17 + 2]);  // frame 17, mouse 2
  std::string frame, time, id, behavior;
  std::getline(row, frame, ',');
  std::getline(row, time, ',');
  std::getline(row, id, ',');
  std::getline(row, behavior, ',');
  EXPECT_EQ(frame, "17");
  EXPECT_EQ(id, "2");
  EXPECT_EQ(behavior, truth.frames[17].instances[1].behavior);

  const std::string options = read_file(out / "synth_options.json");
  EXPECT_NE(options.find("\"seed\": 3"), std::string::npos) << options;
  EXPECT_NE(options.find("\"arena\": \"bedding\""), std::string::npos) << options;
}

TEST(SynthCli, SocialRowsNameThePartner) {
  TempDir dir;
  const auto r = run_cli({"-q", "synth", "--out", dir.path().string(), "--mice", "5", "--seconds",
                          "60", "--truth-only"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(dir / "video.mp4"));
  const InstancesFile truth = read_instances_json(dir / "truth.json");
  EXPECT_EQ(truth.frames.size(), 1800u);
  EXPECT_EQ(truth.header.video, "");
  int social = 0;
  for (const std::string& line : lines_of(dir / "truth_behavior.csv")) {
    const bool is_social = line.find(",fighting,") != std::string::npos ||
                           line.find(",allogrooming,") != std::string::npos ||
                           line.find(",close_investigation,") != std::string::npos;
    const bool has_partner = line.back() != ',';
    if (line.rfind("frame,", 0) == 0) continue;
    EXPECT_EQ(is_social, has_partner) << line;
    social += is_social;
  }
  EXPECT_GT(social, 100);
}

TEST(SynthCli, SameOptionsGiveTheSameBytes) {
  TempDir dir;
  const std::vector<std::string> args = {"--mice", "3", "--seconds", "1", "--size", "192x144",
                                         "--seed", "9"};
  for (const char* name : {"a", "b"}) {
    std::vector<std::string> full = {"-q", "synth", "--out", (dir / name).string()};
    full.insert(full.end(), args.begin(), args.end());
    const auto r = run_cli(full);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  for (const char* file : {"video.mp4", "truth.json", "truth_behavior.csv"})
    EXPECT_EQ(read_file(dir / "a" / file), read_file(dir / "b" / file)) << file;
}

TEST(SynthCli, BadOptionsExitTwoWithOneLineAndNoOutput) {
  TempDir dir;
  const fs::path out = dir / "out";
  const struct {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"--size", "640"}, "behavtrack: synth: --size: expected WIDTHxHEIGHT in pixels like 640x480, got '640'\n"},
      {{"--arena", "grass"}, "behavtrack: synth: --arena: expected open or bedding, got 'grass'\n"},
      {{"--mice", "0"}, "behavtrack: synth options: n_mice: expected 1..20, got 0\n"},
      {{"--size", "639x480"},
       "behavtrack: synth options: width: expected an even number of pixels in 64..4096, got 639\n"},
      {{"--noise", "nan"}, "behavtrack: synth options: noise: expected a scale in [0, 10], got nan\n"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"synth", "--out", out.string()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0];
    EXPECT_EQ(r.err, c.message);
    EXPECT_FALSE(fs::exists(out)) << "no output for bad options";
  }
  // A malformed number is a usage error too.
  const auto r = run_cli({"synth", "--out", out.string(), "--seconds", "30s"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(fs::exists(out));
}

TEST(SynthCli, HelpDocumentsEveryFlagWithUnits) {
  const auto r = run_cli({"synth", "--help"});
  ASSERT_EQ(r.exit_code, 0);
  for (const char* flag : {"--out", "--mice", "--seconds", "--fps", "--size", "--seed", "--arena",
                           "--noise", "--truth-only"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  EXPECT_NE(r.out.find("in seconds"), std::string::npos);
  EXPECT_NE(r.out.find("in pixels"), std::string::npos);
}

TEST(WriteSynth, OutputThatIsAFileIsAnError) {
  TempDir dir;
  write_file_atomically(dir / "file", "x");
  SynthOptions o;
  o.seconds = 0.1;
  try {
    write_synth(o, dir / "file", {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_EQ(std::string(e.what()), "synth: output " + quoted((dir / "file").string()) +
                                         " is a file, not a folder");
  }
}

TEST(WriteSynth, ReportsProgressToTheEnd) {
  TempDir dir;
  SynthOptions o;
  o.seconds = 0.5;
  o.width = 128;
  o.height = 96;
  std::int64_t last_done = 0, total = 0;
  bool finished = false;
  write_synth(o, dir.path(), [&](const ProgressEvent& e) {
    last_done = e.done;
    total = e.total;
    finished = finished || e.finished;
  });
  EXPECT_EQ(total, 15);
  EXPECT_EQ(last_done, 15);
  EXPECT_TRUE(finished);
}

}  // namespace
}  // namespace bt::synth
