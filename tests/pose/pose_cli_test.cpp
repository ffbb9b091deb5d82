// The `behavtrack pose` commands as a user runs them: on a project whose model is an
// Ultralytics TorchScript fixture (no training needed), on a synthetic video with the
// classical detector, and their error messages.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "behavtrack/core/instances_json.h"
#include "behavtrack/pose/metrics.h"
#include "behavtrack/project/project.h"
#include "behavtrack/synth/synth.h"
#include "pose/pose_fixtures.h"
#include "test_support.h"

namespace bt::pose {
namespace {

using project::Project;
using project::Split;

// Two 640x480 frames whose labelled mouse is exactly where the fixture predicts it: box
// (280, 140)-(360, 180) (see pose_fixtures.h). Frame 0 is test, frame 1 predict.
std::filesystem::path make_project(const test::TempDir& tmp, const Skeleton& skeleton) {
  const auto dir = tmp / "study";
  project::ProjectOptions po;
  po.skeleton = skeleton;
  po.expected_animals = 1;
  Project p = Project::create(dir, po);
  std::vector<project::NewFrame> frames;
  for (int i = 0; i < 2; ++i) {
    const std::string rel = "media/frames/f" + std::to_string(i) + ".png";
    std::filesystem::create_directories(dir / "media" / "frames");
    cv::imwrite((dir / rel).string(), cv::Mat(480, 640, CV_8UC3, cv::Scalar::all(90)));
    frames.push_back({std::nullopt, 0, rel, "f" + std::to_string(i) + ".png", -1, {}});
  }
  const auto ids = p.add_frames(frames);
  project::Annotation a;
  a.instance.box = {280, 140, 360, 180};
  for (int k = 0; k < skeleton.size(); ++k)
    a.instance.keypoints.push_back({340.0 - 10 * k, 160, Visibility::kVisible});
  p.put_frame(ids[0], {a}, p.get_frame(ids[0]).version, "test");
  p.add_cycle(1, "{}", {{ids[0], Split::kTest}, {ids[1], Split::kPredict}});
  return dir;
}

TEST(PoseCli, EvaluateAndPredictWithATorchScriptModel) {
  test::TempDir tmp;
  ASSERT_TRUE(make_torchscript_fixture(tmp.path(), tmp / "best.torchscript"));
  const auto dir = make_project(tmp, Skeleton::default_mouse());
  const auto model = (tmp / "best.torchscript").string();

  const auto e = test::run_cli({"pose", "evaluate", dir.string(), "--set", "test", "--model", model});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("(1 mice, 1 found, 0 missed)"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("box AP50 1.000  AP50-95 1.000"), std::string::npos) << e.out;
  const auto j = test::run_cli({"pose", "evaluate", dir.string(), "--model", model, "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_NE(j.out.find("\"oks_ap50_95\""), std::string::npos) << j.out;

  const auto p = test::run_cli({"pose", "predict", dir.string(), "--set", "predict", "--model", model});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find("1 frames of set predict"), std::string::npos) << p.out;
  const Project q = Project::open(dir);
  const auto frames = q.labelled_frames(Split::kPredict, std::nullopt, true);
  ASSERT_EQ(frames.size(), 1u);
  const auto stored = q.get_frame(frames[0].frame.id);
  ASSERT_EQ(stored.instances.size(), 1u);
  EXPECT_EQ(stored.instances[0].source, project::Source::kPredicted);
  EXPECT_FALSE(stored.instances[0].confirmed);
  EXPECT_NEAR(stored.instances[0].instance.box.x1, 280, 1e-3);
  EXPECT_EQ(q.list_runs().size(), 2u);  // each evaluation is recorded with its metrics
}

TEST(PoseCli, RefusesAModelWithAnotherSkeleton) {
  test::TempDir tmp;
  ASSERT_TRUE(make_torchscript_fixture(tmp.path(), tmp / "best.torchscript"));
  const auto dir = make_project(tmp, Skeleton::from_names("snout,tail", ""));
  const auto r = test::run_cli({"pose", "evaluate", dir.string(), "--model",
                                (tmp / "best.torchscript").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: model 'best.torchscript': 4 keypoints, the project's skeleton "
                   "has 2\n");
}

TEST(PoseCli, UsageErrorsAreOneClearLine) {
  test::TempDir tmp;
  const auto dir = make_project(tmp, Skeleton::default_mouse());
  auto r = test::run_cli({"pose", "predict", dir.string(), "--set", "bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: --set 'bogus': must be predict, reserve or all\n");
  r = test::run_cli({"pose", "evaluate", dir.string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no model yet; run `behavtrack pose train`"), std::string::npos) << r.err;
  r = test::run_cli({"pose", "evaluate", dir.string(), "--sigmas", "0.1,abc"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: --sigmas: 'abc' is not a number\n");
  r = test::run_cli({"pose", "train", dir.string(), "--imgsz", "300"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: input_px = 300: must be a multiple of 32 between 32 and 4096\n");
  // A model named x.partial would be deleted by the next training of x (its unfinished
  // folder's name); refused before any work.
  r = test::run_cli({"pose", "train", dir.string(), "--name", "x.partial"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: model name 'x.partial': must not end in '.partial' (the suffix of unfinished trainings)\n");
  r = test::run_cli({"pose", "train", dir.string(), "--name", "a b"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("must be a plain name"), std::string::npos) << r.err;
  r = test::run_cli({"pose", "train", dir.string(), "--name", "zz", "--resume"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("has no checkpoint.pt; train without --resume"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "models" / "zz.partial"));
  r = test::run_cli({"pose", "predict-video", (tmp / "none.mp4").string(), "--out",
                     (tmp / "out.json").string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp / "out.json"));
}

TEST(PoseCli, PredictVideoWithTheClassicalDetectorWritesInstancesJson) {
  test::TempDir tmp;
  synth::SynthOptions o;
  o.n_mice = 2;
  o.seconds = 2;
  o.width = 320;
  o.height = 240;
  o.seed = 4;  // two mice that barely move in 2 s: both would be part of a plain median
  synth::write_synth(o, tmp / "synth", {});
  const auto r = test::run_cli({"pose", "predict-video", (tmp / "synth" / "video.mp4").string(),
                                "--out", (tmp / "det.json").string(), "--max-det", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const InstancesFile f = read_instances_json(tmp / "det.json");
  const InstancesFile truth = read_instances_json(tmp / "synth" / "truth.json");
  ASSERT_EQ(f.frames.size(), 60u);
  EXPECT_EQ(f.header.width, 320);
  std::vector<std::vector<Instance>> pred, expected;
  for (size_t i = 0; i < f.frames.size(); ++i) {
    EXPECT_LE(f.frames[i].instances.size(), 2u);
    pred.push_back(f.frames[i].instances);
    expected.push_back(truth.frames[i].instances);
  }
  // Both mice in at least 90% of the frames, boxes at IoU >= 0.5.
  const PoseMetrics m = evaluate_pose(expected, pred, Skeleton::default_mouse(), {});
  EXPECT_GE(m.n_matched, 108) << m.to_json();
}

}  // namespace
}  // namespace bt::pose
