// Internal to the Torch-using libraries: conversion of bt::Device to torch::Device.
#pragma once

#include <c10/core/Device.h>

#include "behavtrack/core/device.h"

namespace bt::nn {

// Checks availability first (require_available).
c10::Device to_torch_device(const Device& device);

}  // namespace bt::nn
