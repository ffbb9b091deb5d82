#include "behavtrack/behavior/pose_classifier.h"

#include <gtest/gtest.h>

#include <fstream>

#include "behavior/behavior_fixtures.h"
#include "behavtrack/behavior/video_predict.h"
#include "behavtrack/core/error.h"
#include "test_support.h"

namespace bt::behavior {
namespace {

PoseClassifierOptions quick_options() {
  PoseClassifierOptions o;
  o.behaviors = test::fixture_behaviors();
  o.gbt.n_rounds = 30;
  o.gbt.threads = 1;  // OpenMP threads spin badly on a loaded shared machine
  return o;
}

LabelledVideo fixture_video(const std::string& name, unsigned seed) {
  LabelledVideo v;
  v.name = name;
  v.tracks = test::behaving_mice(3, 600, seed);
  v.tracks.header.video = name;
  v.labels = labels_from_instances(v.tracks, test::fixture_behaviors(), name);
  return v;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(PoseClassifier, LearnsSyntheticBehavioursLeaveOneVideoOut) {
  const std::vector<LabelledVideo> videos = {fixture_video("a", 1), fixture_video("b", 2), fixture_video("c", 3)};
  const CrossValidation cv = cross_validate_pose(videos, quick_options(), {});
  ASSERT_EQ(cv.folds.size(), 3u);
  EXPECT_EQ(cv.overall.n_frames, 3 * 3 * 600);
  EXPECT_GT(cv.overall.accuracy, 0.9) << format_evaluation(cv.overall);
  EXPECT_GT(cv.overall.macro_f1, 0.9);
  EXPECT_GT(cv.overall.bout_macro_f1, 0.6);
}

TEST(PoseClassifier, SavedModelPredictsTheSame) {
  const std::vector<LabelledVideo> videos = {fixture_video("a", 4), fixture_video("b", 5)};
  const PoseClassifier clf = PoseClassifier::train(videos, quick_options(), {});
  test::TempDir dir;
  clf.save(dir / "model");
  const PoseClassifier again = PoseClassifier::load(dir / "model");
  const InstancesFile unseen = test::behaving_mice(2, 200, 9);
  const BehaviorPrediction p1 = clf.predict(unseen, {}), p2 = again.predict(unseen, {});
  ASSERT_EQ(p1.mice.size(), 2u);
  ASSERT_EQ(p2.mice.size(), 2u);
  EXPECT_EQ(p1.mice[0].frames.size(), 200u);
  EXPECT_EQ(p1.mice[1].classes, p2.mice[1].classes);
  EXPECT_EQ(p1.mice[1].proba, p2.mice[1].proba);
  EXPECT_EQ(again.feature_names(), clf.feature_names());
  std::ifstream json(dir / "model" / "model.json");
  const std::string text((std::istreambuf_iterator<char>(json)), {});
  EXPECT_NE(text.find("\"speed_px_s_mean_61f\""), std::string::npos);
}

TEST(PoseClassifier, SmoothingMakesFewerBouts) {
  const std::vector<LabelledVideo> videos = {fixture_video("a", 6), fixture_video("b", 7)};
  // Keypoint jitter on the unseen video makes per-frame answers flicker.
  InstancesFile unseen = test::behaving_mice(3, 600, 11);
  std::mt19937 rng(3);
  std::normal_distribution<double> jitter(0, 4);
  for (auto& f : unseen.frames)
    for (auto& inst : f.instances)
      for (auto& k : inst.keypoints) k.x += jitter(rng), k.y += jitter(rng);
  PoseClassifierOptions raw = quick_options();
  raw.smoothing = Smoothing::kNone;
  raw.min_bout_s = 0;
  PoseClassifierOptions viterbi_only = quick_options();
  viterbi_only.min_bout_s = 0;
  std::size_t bouts_raw = 0, bouts_smooth = 0;
  for (const auto& m : PoseClassifier::train(videos, raw, {}).predict(unseen, {}).mice) bouts_raw += prediction_bouts(m).size();
  for (const auto& m : PoseClassifier::train(videos, viterbi_only, {}).predict(unseen, {}).mice)
    bouts_smooth += prediction_bouts(m).size();
  EXPECT_LT(bouts_smooth * 2, bouts_raw);
}

TEST(PoseClassifier, OutputsTablesAsDesigned) {
  const PoseClassifier clf = PoseClassifier::train({fixture_video("a", 12)}, quick_options(), {});
  const BehaviorPrediction p = clf.predict(test::behaving_mice(2, 100, 13), {});
  test::TempDir dir;
  write_behavior_csv(dir / "behavior.csv", p);
  write_bouts_csv(dir / "bouts.csv", p);
  std::ifstream b(dir / "behavior.csv"), o(dir / "bouts.csv");
  std::string header, first;
  std::getline(b, header);
  std::getline(b, first);
  EXPECT_EQ(header, "frame,time_s,id,behavior,confidence,resting_p,rearing_p,running_p,exploring_p");
  EXPECT_EQ(first.rfind("0,0.0000,1,", 0), 0u) << first;
  std::getline(o, header);
  EXPECT_EQ(header, "id,behavior,start_frame,end_frame,start_s,duration_s");
  std::size_t rows = 0;
  for (std::string line; std::getline(b, line);) ++rows;
  EXPECT_EQ(rows + 1, 200u);
}

TEST(PoseClassifier, NoLabelsIsAClearError) {
  LabelledVideo v = fixture_video("a", 1);
  v.labels = LabelSet(test::fixture_behaviors());
  EXPECT_EQ(error_of([&] { PoseClassifier::train({v}, quick_options(), {}); }),
            "pose classifier: no labelled mouse-frame in the training videos; nothing to learn from");
}

TEST(PoseClassifier, TracksWithoutSizeAreNamed) {
  LabelledVideo v = fixture_video("a", 1);
  v.tracks.header.width = 0;
  EXPECT_EQ(error_of([&] { PoseClassifier::train({v}, quick_options(), {}); }),
            "tracks 'a': pose features: frame size 0x480 must be positive; do the tracks give the video's width and "
            "height?");
}

TEST(PoseClassifier, LoadingAMissingModelIsNamed) {
  EXPECT_EQ(error_of([] { PoseClassifier::load("/nonexistent/model"); }),
            "model '/nonexistent/model': no model.json; is this a behaviour model folder?");
}

// A damaged pose.xgb, and a pose model given as a behaviour model: one line each (XGBoost
// appended its stack trace; the pose model's model.json gave nlohmann's "key 'kind' not found").
TEST(PoseClassifier, DamagedOrWrongModelsAreOneClearLine) {
  test::TempDir dir;
  PoseClassifier::train({fixture_video("a", 12)}, quick_options(), {}).save(dir / "model");
  std::filesystem::create_directories(dir / "damaged");
  std::filesystem::copy_file(dir / "model" / "model.json", dir / "damaged" / "model.json");
  std::ifstream in(dir / "model" / "pose.xgb", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(dir / "damaged" / "pose.xgb", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  const std::string damaged = error_of([&] { PoseClassifier::load(dir / "damaged"); });
  EXPECT_EQ(damaged.find("'" + (dir / "damaged" / "pose.xgb").string() + "': damaged or not an XGBoost model ("), 0u)
      << damaged;
  EXPECT_EQ(damaged.find('\n'), std::string::npos) << damaged;
  std::filesystem::create_directories(dir / "pose");
  std::ofstream(dir / "pose" / "model.json") << R"({"format": "behavtrack.pose-model/1", "input_px": 320})";
  EXPECT_EQ(error_of([&] { behavior_model_kind(dir / "pose"); }),
            "model '" + (dir / "pose").string() + "': a pose model, not a behaviour model");
  std::ofstream(dir / "pose" / "model.json") << R"({"kind": 3)";
  const std::string truncated = error_of([&] { behavior_model_kind(dir / "pose"); });
  EXPECT_EQ(truncated.find("[json.exception"), std::string::npos) << truncated;
  EXPECT_NE(truncated.find("parse error"), std::string::npos) << truncated;
}

TEST(PoseClassifier, CrossValidationNeedsTwoVideos) {
  EXPECT_EQ(error_of([] { cross_validate_pose({fixture_video("a", 1)}, quick_options(), {}); }),
            "cross-validation: needs >= 2 videos for leave-one-video-out, got 1");
}

}  // namespace
}  // namespace bt::behavior
