#include <gtest/gtest.h>

#include "behavtrack/core/runtime.h"
#include "behavtrack/nn/torch_runtime.h"

int main(int argc, char** argv) {
  bt::ensure_runtime_environment(argv);
  bt::configure_malloc();
  bt::configure_opencv_threads(bt::compute_threads());
  bt::nn::configure_torch_threads(bt::compute_threads());
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
