#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include "behavtrack/core/error.h"
#include "behavtrack/nn/device_torch.h"
#include "behavtrack/nn/torch_runtime.h"

namespace bt::nn {

void configure_torch_threads(int threads) {
  at::set_num_threads(threads);
  // Inter-op threads can only be set once per process, before any parallel work.
  static const bool once = [threads] {
    at::set_num_interop_threads(threads);
    return true;
  }();
  (void)once;
}

bool cuda_available() { return torch::cuda::is_available(); }
int cuda_device_count() { return static_cast<int>(torch::cuda::device_count()); }

void require_available(const Device& device) {
  if (!device.is_cuda()) return;
  if (!cuda_available())
    throw_invalid("device " + quoted(device.str()) + ": CUDA is not available (" +
                  torch_description() + "); use --device cpu or build against a CUDA LibTorch");
  if (device.index >= cuda_device_count())
    throw_invalid("device " + quoted(device.str()) + ": only " +
                  std::to_string(cuda_device_count()) + " CUDA device(s) present");
}

std::string torch_description() {
  std::string s = std::string("LibTorch ") + TORCH_VERSION;
  if (cuda_available())
    s += ", CUDA with " + std::to_string(cuda_device_count()) + " device(s)";
  else
    s += ", CPU only";
  return s;
}

c10::Device to_torch_device(const Device& device) {
  require_available(device);
  if (!device.is_cuda()) return c10::Device(c10::DeviceType::CPU);
  return c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(device.index));
}

}  // namespace bt::nn
