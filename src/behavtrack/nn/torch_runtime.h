// Torch process settings and device checks, behind a plain header (no Torch here).
//
//   bt::nn::configure_torch_threads(bt::compute_threads());
//   bt::nn::require_available(bt::Device::parse("cuda:1"));  // throws when absent
//
// Thread safety: configure at start-up; the queries are thread-safe.
#pragma once

#include <string>

#include "behavtrack/core/device.h"

namespace bt::nn {

void configure_torch_threads(int threads);
bool cuda_available();
int cuda_device_count();
// Throws bt::Error (kInvalidInput) naming the device when it cannot be used, e.g. CUDA
// asked of a CPU-only LibTorch.
void require_available(const Device& device);
// "LibTorch 1.13.1, CPU only" or "LibTorch 2.1.0, CUDA with 2 device(s)".
std::string torch_description();

}  // namespace bt::nn
