// The pose model end to end: a short training run on synthetic mice, model.json checks,
// loading errors, and Ultralytics TorchScript interop with a fixture made by python3-torch.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/pose/pose_model.h"
#include "behavtrack/synth/synth.h"
#include "pose/pose_fixtures.h"
#include "test_support.h"

namespace bt::pose {
namespace {

PoseDataset synth_frames(int n_frames, int n_mice, std::uint64_t seed, int every = 15) {
  synth::SynthOptions o;
  o.n_mice = n_mice;
  o.width = 320;
  o.height = 240;
  o.seconds = n_frames * every / o.fps + 1;
  o.seed = seed;
  o.noise = 0.3;
  synth::SynthVideo sim(o);
  synth::SynthFrame f;
  PoseDataset out;
  while (static_cast<int>(out.size()) < n_frames && sim.next(f)) {
    if (f.index % every) continue;
    PoseSample s;
    s.name = "synth#" + std::to_string(f.index);
    s.image = f.image.clone();
    s.instances = f.truth.instances;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& path) {
  std::vector<std::vector<std::string>> rows;
  std::stringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> row;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) row.push_back(cell);
    rows.push_back(row);
  }
  return rows;
}

TEST(PoseTrainSlow, ShortRunOnSyntheticMiceLowersTheLossAndFindsTheMice) {
  test::TempDir dir;
  const PoseDataset train = synth_frames(8, 2, 11);
  ASSERT_EQ(train.size(), 8u);
  TrainOptions o;
  o.input_px = 320;
  o.refine_px = 64;
  // 240 small steps: the IoU-aware objectness needs ~100 steps before it ranks a mouse above
  // the floor (measured on the DLC set too); 160 steps found 9 of the 16 mice.
  o.epochs = 60;
  o.batch = 2;
  o.val_every_epochs = 20;
  o.lr = 4e-3;
  o.warmup_fraction = 0.02;
  o.seed = 3;
  o.augment.rotate_deg = 15;  // a short run learns faster from views close to the data
  o.augment.quarter_turns = false;
  const TrainResult r = train_pose_model(train, {}, Skeleton::default_mouse(), o,
                                         dir / "model", {});
  EXPECT_EQ(r.epochs_run, 60);
  ASSERT_TRUE(std::filesystem::exists(dir / "model" / "weights.pt"));
  EXPECT_FALSE(std::filesystem::exists(dir / "model" / "checkpoint.pt"));

  const auto log = read_csv(dir / "model" / "train_log.csv");
  ASSERT_EQ(log.size(), 61u);  // header + one row per epoch
  EXPECT_EQ(log[0][3], "loss_box");
  const double box_first = std::stod(log[1][3]), box_last = std::stod(log.back()[3]);
  const double heat_first = std::stod(log[1][7]), heat_last = std::stod(log.back()[7]);
  EXPECT_LT(box_last, 0.7 * box_first);
  EXPECT_LT(heat_last, 0.7 * heat_first);

  const PoseModel model = PoseModel::load(dir / "model", Device{});
  EXPECT_EQ(model.info().skeleton.keypoints, Skeleton::default_mouse().keypoints);
  PredictOptions p;
  p.max_det = 2;
  p.score_min = 0.01f;  // a short run's scores are low; AP ranks by score all the same
  std::vector<std::vector<Instance>> truth;
  for (const auto& s : train) truth.push_back(s.instances);
  const PoseMetrics m = evaluate_pose(truth, predict_dataset(model, train, p, {}),
                                      Skeleton::default_mouse(), {});
  EXPECT_GE(m.box_ap50, 0.5) << m.to_json();
  EXPECT_GE(m.n_matched, m.n_truth / 2) << m.to_json();
}

// An interrupted run resumed from its checkpoint ends with the weights and log of a run
// never interrupted: the optimisers, the EMA and the per-epoch shuffling all carry over.
TEST(PoseTrainResume, ResumedRunEndsWhereAnUninterruptedOneDoes) {
  test::TempDir dir;
  const PoseDataset train = synth_frames(4, 1, 5);
  TrainOptions o;
  o.input_px = 128;
  o.refine_px = 32;
  o.epochs = 4;
  o.batch = 2;
  o.seed = 9;
  const TrainResult whole = train_pose_model(train, {}, Skeleton::default_mouse(), o,
                                             dir / "whole", {});
  EXPECT_EQ(whole.epochs_run, 4);

  struct Interrupted {};
  const ProgressCallback stop_after_two = [](const ProgressEvent& e) {
    if (e.done >= 2 && !e.finished) throw Interrupted{};
  };
  EXPECT_THROW(train_pose_model(train, {}, Skeleton::default_mouse(), o, dir / "resumed",
                                stop_after_two),
               Interrupted);
  ASSERT_TRUE(std::filesystem::exists(dir / "resumed" / "checkpoint.pt"));
  // The callback reports at most 10 times a second, so the run stopped after epoch 2 or
  // later. As if killed after logging the next epoch but before its checkpoint: that row
  // must not stay.
  const auto log_path = dir / "resumed" / "train_log.csv";
  const size_t logged = read_csv(log_path).size() - 1;
  ASSERT_GE(logged, 2u);
  ASSERT_LT(logged, 4u);
  write_file_atomically(log_path, read_file(log_path) + std::to_string(logged + 1) +
                                      ",0.0,0.1,9,9,9,9,9,9,0,0,0,0,0\n");

  o.resume = true;
  const TrainResult resumed = train_pose_model(train, {}, Skeleton::default_mouse(), o,
                                               dir / "resumed", {});
  EXPECT_EQ(resumed.epochs_run, 4);
  EXPECT_FALSE(std::filesystem::exists(dir / "resumed" / "checkpoint.pt"));
  // The saved weights predict alike, to float rounding (the files' bytes differ: TorchScript
  // numbers its classes per process; measured differences ~1e-5 px).
  PredictOptions p;
  p.score_min = 0.001f;
  const auto predicted = [&](const char* name) {
    return predict_dataset(PoseModel::load(dir / name, Device{}), train, p, {});
  };
  const auto from_whole = predicted("whole"), from_resumed = predicted("resumed");
  ASSERT_EQ(from_whole.size(), from_resumed.size());
  for (size_t i = 0; i < from_whole.size(); ++i) {
    ASSERT_EQ(from_whole[i].size(), from_resumed[i].size()) << "image " << i;
    for (size_t j = 0; j < from_whole[i].size(); ++j) {
      EXPECT_NEAR(from_whole[i][j].score, from_resumed[i][j].score, 1e-4);
      EXPECT_NEAR(from_whole[i][j].box.x1, from_resumed[i][j].box.x1, 0.01);
      EXPECT_NEAR(from_whole[i][j].keypoints[0].x, from_resumed[i][j].keypoints[0].x, 0.01);
    }
  }
  // The same rows, once each: epoch numbers exact, losses and metrics to rounding (the
  // seconds column, 1, differs).
  const auto a = read_csv(dir / "whole" / "train_log.csv"), b = read_csv(log_path);
  ASSERT_EQ(a.size(), 5u);
  ASSERT_EQ(b.size(), 5u);
  EXPECT_EQ(a[0], b[0]);
  for (size_t row = 1; row < a.size(); ++row) {
    ASSERT_EQ(a[row].size(), b[row].size());
    EXPECT_EQ(a[row][0], b[row][0]);
    for (size_t col = 2; col < a[row].size(); ++col) {
      const double x = std::stod(a[row][col]), y = std::stod(b[row][col]);
      EXPECT_NEAR(x, y, 1e-3 * (1 + std::abs(x))) << "row " << row << ", " << a[0][col];
    }
  }
}

// Damaged or misplaced weights are one clear line, not Torch's message and backtrace: the
// weights file given as the model, a damaged --from model, a damaged checkpoint.
TEST(PoseModelLoad, DamagedOrMisplacedWeightsAreOneClearLine) {
  test::TempDir dir;
  const PoseDataset train = synth_frames(2, 1, 5);
  TrainOptions o;
  o.input_px = 64;
  o.refine_px = 32;
  o.epochs = 1;
  o.batch = 2;
  train_pose_model(train, {}, Skeleton::default_mouse(), o, dir / "model", {});
  auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([&] { PoseModel::load(dir / "model" / "weights.pt", Device{}); }),
            "model '" + (dir / "model" / "weights.pt").string() +
                "': a weights file, not a TorchScript model; give the model's folder (the one holding model.json)");
  std::filesystem::create_directories(dir / "damaged");
  std::filesystem::copy_file(dir / "model" / "model.json", dir / "damaged" / "model.json");
  write_file_atomically(dir / "damaged" / "weights.pt", read_file(dir / "model" / "weights.pt").substr(0, 1000));
  TrainOptions from = o;
  from.from_model = dir / "damaged";
  const std::string from_error = message([&] { train_pose_model(train, {}, Skeleton::default_mouse(), from, dir / "ft", {}); });
  EXPECT_EQ(from_error.find("from_model '" + (dir / "damaged" / "weights.pt").string() + "': damaged or not this model's weights ("), 0u)
      << from_error;
  EXPECT_EQ(from_error.find('\n'), std::string::npos) << from_error;
  std::filesystem::create_directories(dir / "partial");
  write_file_atomically(dir / "partial" / "checkpoint.pt", "not a checkpoint");
  TrainOptions resume = o;
  resume.resume = true;
  const std::string resume_error =
      message([&] { train_pose_model(train, {}, Skeleton::default_mouse(), resume, dir / "partial", {}); });
  EXPECT_NE(resume_error.find("damaged checkpoint ("), std::string::npos) << resume_error;
  EXPECT_EQ(resume_error.find('\n'), std::string::npos) << resume_error;
}

TEST(PoseModelInfo, SkeletonMismatchIsAClearError) {
  ModelInfo info;
  const Skeleton other = Skeleton::from_names("snout,tail", "");
  try {
    info.check_skeleton(other, "models/cycle1");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_STREQ(e.what(),
                 "model 'models/cycle1': skeleton [nose,earL,earR,tailB] does not match the "
                 "project's [snout,tail]; train a model on this project's labels");
  }
  EXPECT_NO_THROW(info.check_skeleton(Skeleton::default_mouse(), "m"));
}

TEST(PoseModelInfo, RoundTripsThroughModelJson) {
  test::TempDir dir;
  ModelInfo info;
  info.size = "s";
  info.input_px = 416;
  info.metrics_json = R"({"rmse_px": 3.5})";
  write_model_info(dir.path(), info);
  const ModelInfo back = read_model_info(dir.path());
  EXPECT_EQ(back.size, "s");
  EXPECT_EQ(back.input_px, 416);
  EXPECT_EQ(back.skeleton.flip, (std::vector<int>{0, 2, 1, 3}));
  EXPECT_NE(back.metrics_json.find("3.5"), std::string::npos);
}

TEST(PoseModelLoad, MissingModelAndFolderWithoutModelJsonAreClearErrors) {
  test::TempDir dir;
  try {
    PoseModel::load(dir / "nope", Device{});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_EQ(std::string(e.what()), "model '" + (dir / "nope").string() + "': not found");
  }
  try {
    PoseModel::load(dir.path(), Device{});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "model '" + dir.path().string() + "': no model.json; is this a behavtrack model folder?");
  }
  write_file_atomically(dir / "junk.torchscript", "not a zip");
  try {
    PoseModel::load(dir / "junk.torchscript", Device{});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("not a TorchScript file"), std::string::npos) << e.what();
  }
}

TEST(PoseTorchScript, DecodesAnUltralyticsExportLikeUltralytics) {
  test::TempDir dir;
  ASSERT_TRUE(make_torchscript_fixture(dir.path(), dir / "best.torchscript"));
  const PoseModel model = PoseModel::load(dir / "best.torchscript", Device{});
  EXPECT_TRUE(model.is_torchscript());
  EXPECT_EQ(model.info().input_px, 320);
  const cv::Mat frame(480, 640, CV_8UC3, cv::Scalar::all(90));
  const auto found = model.predict(frame, {});
  ASSERT_EQ(found.size(), 1u);
  // 640x480 into 320: scale 0.5, 40 px of padding on top: x / 0.5, (y - 40) / 0.5.
  const Instance& m = found[0];
  EXPECT_FLOAT_EQ(m.score, 0.9f);
  EXPECT_NEAR(m.box.x1, 280, 1e-4);
  EXPECT_NEAR(m.box.x2, 360, 1e-4);
  EXPECT_NEAR(m.box.y1, 140, 1e-4);
  EXPECT_NEAR(m.box.y2, 180, 1e-4);
  ASSERT_EQ(m.keypoints.size(), 4u);
  EXPECT_NEAR(m.keypoints[0].x, 340, 1e-4);
  EXPECT_NEAR(m.keypoints[0].y, 160, 1e-4);
  EXPECT_NEAR(m.keypoints[3].x, 290, 1e-4);
  EXPECT_EQ(m.keypoints[2].v, Visibility::kOccluded);  // score 0.3 < 0.5
  EXPECT_EQ(m.keypoints[1].v, Visibility::kVisible);
  EXPECT_NEAR(m.keypoint_scores[3], 0.99, 1e-6);
}

}  // namespace
}  // namespace bt::pose
