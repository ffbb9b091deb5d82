// The `behavtrack behavior` commands, run as the real program.
#include <gtest/gtest.h>

#include <fstream>

#include "behavior/behavior_fixtures.h"
#include "behavtrack/core/instances_json.h"
#include "test_support.h"

namespace bt {
namespace {

using test::run_cli;

std::string write_fixture(const test::TempDir& dir, const std::string& name, unsigned seed, int n_frames = 300) {
  InstancesFile f = test::behaving_mice(2, n_frames, seed);
  f.header.video = name + ".mp4";
  const auto path = dir / (name + ".json");
  write_instances_json(path, f);
  return path.string();
}

std::string first_line(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

const std::vector<std::string> kQuick = {"--behaviors", "resting,rearing,running,exploring", "--rounds", "10"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(BehaviorCli, TrainPredictAndCrossValidate) {
  test::TempDir dir;
  const std::string a = write_fixture(dir, "a", 1), b = write_fixture(dir, "b", 2), c = write_fixture(dir, "c", 3);
  const auto model = (dir / "model").string();
  auto r = run_cli(with({"-q", "behavior", "train", "--tracks", a, "--tracks", b, "--out", model}, kQuick));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("trained on 2 video(s), 154 features"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "model" / "model.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "model" / "pose.xgb"));

  r = run_cli({"-q", "behavior", "predict", "--model", model, "--tracks", c, "--out", (dir / "pred").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 mice, 600 mouse-frames"), std::string::npos) << r.out;
  EXPECT_EQ(first_line(dir / "pred" / "behavior.csv"),
            "frame,time_s,id,behavior,confidence,resting_p,rearing_p,running_p,exploring_p");
  EXPECT_EQ(first_line(dir / "pred" / "bouts.csv"), "id,behavior,start_frame,end_frame,start_s,duration_s");

  r = run_cli(with({"-q", "behavior", "cv", "--by", "video", "--tracks", a, "--tracks", b, "--tracks", c, "--out",
                    (dir / "cv").string()},
                   kQuick));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("held out " + c), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("macro-F1"), std::string::npos);
  EXPECT_NE(r.out.find("confusion matrix"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "cv" / "confusion.png"));
  EXPECT_TRUE(std::filesystem::exists(dir / "cv" / "report.txt"));
}

TEST(BehaviorCli, LabelsFromCsv) {
  test::TempDir dir;
  const std::string a = write_fixture(dir, "a", 1, 60);
  std::ofstream(dir / "a.csv") << "frame,id,behavior\n0,1,resting\n1,1,resting\n2,1,running\n3,2,running\n";
  const auto r = run_cli(with({"-q", "behavior", "train", "--tracks", a, "--labels", (dir / "a.csv").string(), "--out",
                               (dir / "m").string()},
                              kQuick));
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST(BehaviorCli, LabelsForAnUnknownMouse) {
  test::TempDir dir;
  const std::string a = write_fixture(dir, "a", 1, 60);
  const auto labels = (dir / "a.csv").string();
  std::ofstream(labels) << "frame,id,behavior\n0,1,resting\n4,9,running\n";
  const auto r = run_cli(with({"behavior", "train", "--tracks", a, "--labels", labels, "--out", (dir / "m").string()}, kQuick));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: '" + labels +
                       "': frame 4 labels mouse id 9, which the tracks 'a.mp4' never contain; are these labels for "
                       "another video?\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "m"));
}

TEST(BehaviorCli, BehaviourNotInTheList) {
  test::TempDir dir;
  const std::string a = write_fixture(dir, "a", 1, 60);
  const auto labels = (dir / "a.csv").string();
  std::ofstream(labels) << "frame,id,behavior\n0,1,resting\n1,1,fighting\n";
  const auto r = run_cli(with({"behavior", "cv", "--tracks", a, "--tracks", a, "--labels", labels, "--labels", labels}, kQuick));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: '" + labels +
                       "' line 3: behaviour 'fighting' is not in the behaviour list; known: resting, rearing, running, "
                       "exploring\n");
}

TEST(BehaviorCli, MismatchedFrameCounts) {
  test::TempDir dir;
  const std::string a = write_fixture(dir, "a", 1, 60);
  const auto labels = (dir / "a.csv").string();
  std::ofstream(labels) << "frame,id,behavior\n0,1,resting\n600,1,running\n";
  const auto r = run_cli(with({"behavior", "train", "--tracks", a, "--labels", labels, "--out", (dir / "m").string()}, kQuick));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: '" + labels + "': frame 600 is beyond the tracks' last frame 59; frame counts do not match\n");
}

TEST(BehaviorCli, LabelsCountMustMatchTracks) {
  test::TempDir dir;
  const std::string a = write_fixture(dir, "a", 1, 60), b = write_fixture(dir, "b", 2, 60);
  std::ofstream(dir / "a.csv") << "frame,id,behavior\n0,1,resting\n";
  const auto r = run_cli(with({"behavior", "train", "--tracks", a, "--tracks", b, "--labels", (dir / "a.csv").string(),
                               "--out", (dir / "m").string()},
                              kQuick));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: --labels: 1 files for 2 --tracks; give one labels file per tracks file, in order\n");
}

TEST(BehaviorCli, StrictNumbersAndFolds) {
  test::TempDir dir;
  const std::string a = write_fixture(dir, "a", 1, 60);
  auto r = run_cli({"behavior", "train", "--tracks", a, "--out", (dir / "m").string(), "--rounds", "10x"});
  EXPECT_EQ(r.exit_code, 2);
  r = run_cli({"behavior", "cv", "--tracks", a, "--tracks", a, "--by", "frame"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: --by: 'frame' is not supported; use video\n");
  r = run_cli({"behavior", "train", "--tracks", a, "--out", (dir / "m").string(), "--windows-s", "0.5,2s"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: --windows-s: '2s' is not a number of seconds\n");
  r = run_cli({"behavior", "predict", "--model", (dir / "none").string(), "--tracks", a, "--out", (dir / "p").string()});
  EXPECT_EQ(r.exit_code, 3);
}

TEST(BehaviorCli, HelpDocumentsUnits) {
  const auto r = run_cli({"behavior", "train", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--min-bout-s"), std::string::npos);
  EXPECT_NE(r.out.find("seconds"), std::string::npos);
}

#if BT_BEHAVIOR_VIDEO
TEST(BehaviorCli, VideoTrainingFlagsAreChecked) {
  test::TempDir dir;
  const std::string a = write_fixture(dir, "a", 1, 60);
  const std::vector<std::string> in = {"behavior", "fusion-sweep", "--video", a, "--tracks", a, "--video", a, "--tracks", a};
  auto r = run_cli(with(in, {"--class-balance", "even"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: class balance 'even' is unknown; use none, weights or sampling\n");
  r = run_cli(with(in, {"--temporal-stride", "3"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: video classifier: temporal_stride 3 must be 1, 2 or 4\n");
  r = run_cli(with(in, {"--folds", "-1"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: cross-validation: folds -1 must be >= 0\n");
  r = run_cli({"behavior", "fusion-sweep", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--clip-cache"), std::string::npos);
  EXPECT_NE(r.out.find("--fusion-from-training"), std::string::npos);
}
#endif

}  // namespace
}  // namespace bt
