// The networks themselves, both generations: folding batch norm into the convolutions for
// inference must not change what the detector and the refiner output; anchors and decoding
// on rectangular inputs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "behavtrack/core/error.h"
#include "behavtrack/core/atomic_file.h"
#include "behavtrack/pose/model_info.h"
#include "behavtrack/pose/pose_infer_torch.h"
#include "behavtrack/pose/pose_model.h"
#include "behavtrack/pose/pose_net_torch.h"
#include "test_support.h"

namespace bt::pose {
namespace {

// Running statistics far from the identity, so a wrong fold shows.
void randomise_batch_norms(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (const auto& child : module.modules()) {
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(child.get())) {
      bn->running_mean.uniform_(-0.5, 0.5);
      bn->running_var.uniform_(0.5, 2.0);
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.uniform_(-0.2, 0.2);
    }
  }
}

class PoseNetVersions : public testing::TestWithParam<int> {};

TEST_P(PoseNetVersions, FoldingBatchNormKeepsTheDetectorsOutput) {
  torch::manual_seed(1);
  YoloPoseNet net(YoloPoseNetOptions{"n", 4, GetParam()});
  randomise_batch_norms(*net);
  net->eval();
  const torch::Tensor x = torch::rand({2, 3, 128, 96});
  torch::InferenceMode guard;
  const torch::Tensor before = net->forward(x);
  fuse_conv_bn_for_inference(*net);
  const torch::Tensor after = net->forward(x);
  ASSERT_EQ(before.sizes(), after.sizes());
  EXPECT_LT((before - after).abs().max().item<float>(), 1e-3f);
}

// The output has one row per anchor, in anchors()' order, for rectangular inputs too.
TEST_P(PoseNetVersions, AnchorsMatchTheOutputOfARectangularInput) {
  YoloPoseNet net(YoloPoseNetOptions{"n", 4, GetParam()});
  net->eval();
  torch::InferenceMode guard;
  const torch::Tensor raw = net->forward(torch::rand({1, 3, 256, 320}));
  const auto [xy, stride] = net->anchors(320, 256);
  const long expected = GetParam() == 1 ? 40 * 32 + 20 * 16 + 10 * 8 : 20 * 16 + 10 * 8;
  EXPECT_EQ(raw.size(1), expected);
  EXPECT_EQ(xy.size(0), expected);
  EXPECT_EQ(raw.size(2), 5 + 3 * 4);
  const int first = GetParam() == 1 ? 8 : 16;  // the finest level comes first
  EXPECT_FLOAT_EQ(xy[0][0].item<float>(), first / 2.0f);
  EXPECT_FLOAT_EQ(stride[0][0].item<float>(), first);
  // Row-major cells: the second row of the finest level starts after 320 / first cells.
  EXPECT_FLOAT_EQ(xy[320 / first][0].item<float>(), first / 2.0f);
  EXPECT_FLOAT_EQ(xy[320 / first][1].item<float>(), first * 1.5f);
  // The last anchor: the bottom-right cell of stride 32.
  EXPECT_FLOAT_EQ(xy[expected - 1][0].item<float>(), 320 - 16);
  EXPECT_FLOAT_EQ(xy[expected - 1][1].item<float>(), 256 - 16);
  EXPECT_FLOAT_EQ(stride[expected - 1][0].item<float>(), 32);
}

TEST_P(PoseNetVersions, FoldingBatchNormKeepsTheRefinersOutput) {
  torch::manual_seed(2);
  RefineNet net(4, GetParam());
  randomise_batch_norms(*net);
  net->eval();
  const torch::Tensor x = torch::rand({3, 3, 64, 64});
  torch::InferenceMode guard;
  const auto [heat_before, offset_before] = net->forward(x);
  fuse_conv_bn_for_inference(*net);
  const auto [heat_after, offset_after] = net->forward(x);
  EXPECT_LT((heat_before - heat_after).abs().max().item<float>(), 1e-3f);
  EXPECT_LT((offset_before - offset_after).abs().max().item<float>(), 1e-3f);
}

INSTANTIATE_TEST_SUITE_P(Generations, PoseNetVersions, testing::Values(1, 2));

// Hand case of decode() on the second cell row of a 320x256 input (version 2, stride 16):
// softplus(raw) = 1 stride on each side, keypoint offsets in units of 2 strides.
TEST(PoseNet, DecodesBoxesAndKeypointsAtTheirAnchorOnARectangularInput) {
  YoloPoseNet net(YoloPoseNetOptions{"n", 1, 2});
  const auto [xy, stride] = net->anchors(320, 256);
  torch::Tensor raw = torch::zeros({1, xy.size(0), 5 + 3});
  const long a = 20 + 3;  // row 1, column 3: centre (56, 24)
  const float one = std::log(std::exp(1.0f) - 1);  // softplus^-1(1)
  raw[0][a].slice(0, 0, 4).fill_(one);
  raw[0][a][5] = 0.5;    // dx: +0.5 x 2 x 16 = +16 px
  raw[0][a][6] = -0.25;  // dy: -8 px
  const auto d = net->decode(raw, xy, stride);
  EXPECT_NEAR(d.boxes[0][a][0].item<float>(), 56 - 16, 1e-4);
  EXPECT_NEAR(d.boxes[0][a][1].item<float>(), 24 - 16, 1e-4);
  EXPECT_NEAR(d.boxes[0][a][2].item<float>(), 56 + 16, 1e-4);
  EXPECT_NEAR(d.boxes[0][a][3].item<float>(), 24 + 16, 1e-4);
  EXPECT_NEAR(d.kpts[0][a][0][0].item<float>(), 72, 1e-4);
  EXPECT_NEAR(d.kpts[0][a][0][1].item<float>(), 16, 1e-4);
}

// Version 2 skips its keypoint branch on request (the refiner places the keypoints): box and
// objectness are the same, the keypoint channels 0.
TEST(PoseNet, ForwardWithoutKeypointsKeepsBoxesAndObjectness) {
  torch::manual_seed(3);
  YoloPoseNet net(YoloPoseNetOptions{"n", 4, 2});
  net->eval();
  torch::InferenceMode guard;
  const torch::Tensor x = torch::rand({1, 3, 128, 160});
  const torch::Tensor full = net->forward(x), lean = net->forward(x, false);
  EXPECT_LT((full.slice(2, 0, 5) - lean.slice(2, 0, 5)).abs().max().item<float>(), 1e-5f);
  EXPECT_EQ(lean.slice(2, 5).abs().max().item<float>(), 0.0f);
  EXPECT_GT(full.slice(2, 5).abs().max().item<float>(), 0.0f);
}

TEST(PoseNet, UnknownNetVersionIsAClearError) {
  try {
    YoloPoseNet net(YoloPoseNetOptions{"n", 4, 3});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "net_version = 3: must be 1 or 2");
  }
}

}  // namespace
}  // namespace bt::pose

namespace bt::pose {
namespace {

// A model folder written before net_version existed (no such field in model.json) holds
// version 1 networks: it still loads and predicts, on a 640x480 frame (rectangular input).
TEST(PoseModelLoad, FolderWithoutNetVersionLoadsAsVersion1) {
  test::TempDir dir;
  PoseNets nets("n", 4, 320, 64, 1);
  torch::serialize::OutputArchive archive;
  nets.save(archive);
  archive.save_to((dir / "weights.pt").string());
  ModelInfo info;
  info.refine_px = 64;
  std::string json = to_json(info);
  const std::string field = "\"net_version\": 2,";
  ASSERT_NE(json.find(field), std::string::npos);
  json.erase(json.find(field), field.size());
  write_file_atomically(dir / "model.json", json);

  const PoseModel model = PoseModel::load(dir.path(), Device{});
  EXPECT_EQ(model.info().net_version, 1);
  PredictOptions p;
  p.score_min = 0;  // an untrained net: keep whatever it finds
  p.max_det = 2;
  const auto found = model.predict(cv::Mat(480, 640, CV_8UC3, cv::Scalar(90, 120, 150)), p);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].keypoints.size(), 4u);
}

TEST(PoseModelInfo, UnknownNetVersionInModelJsonIsAClearError) {
  std::string json = to_json(ModelInfo{});
  json.replace(json.find("\"net_version\": 2"), 16, "\"net_version\": 7");
  try {
    parse_model_info(json, "m/model.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "'m/model.json': net_version 7 is not 1 or 2; made by a newer "
                           "behavtrack?");
  }
}

}  // namespace
}  // namespace bt::pose
