// The networks themselves: folding batch norm into the convolutions for inference must not
// change what the detector and the refiner output.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "behavtrack/pose/pose_net_torch.h"

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

TEST(PoseNet, FoldingBatchNormKeepsTheDetectorsOutput) {
  torch::manual_seed(1);
  YoloPoseNet net(YoloPoseNetOptions{"n", 4});
  randomise_batch_norms(*net);
  net->eval();
  const torch::Tensor x = torch::rand({2, 3, 128, 128});
  torch::InferenceMode guard;
  const torch::Tensor before = net->forward(x);
  fuse_conv_bn_for_inference(*net);
  const torch::Tensor after = net->forward(x);
  ASSERT_EQ(before.sizes(), after.sizes());
  EXPECT_LT((before - after).abs().max().item<float>(), 1e-3f);
}

TEST(PoseNet, FoldingBatchNormKeepsTheRefinersOutput) {
  torch::manual_seed(2);
  RefineNet net(4);
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

}  // namespace
}  // namespace bt::pose
