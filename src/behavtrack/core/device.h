// Compute device as data: "cpu", "cuda" (the first GPU) or "cuda:N".
// Parsing needs no Torch; whether the device is usable is checked by bt::nn
// (require_available) where Torch is linked.
// Thread safety: plain value.
#pragma once

#include <string>

namespace bt {

struct Device {
  enum class Type { kCpu, kCuda };
  Type type = Type::kCpu;
  int index = 0;  // GPU ordinal for kCuda

  // Throws bt::Error (kInvalidInput) for anything but cpu, cuda, cuda:N.
  static Device parse(const std::string& text);
  std::string str() const;
  bool is_cuda() const { return type == Type::kCuda; }
};

}  // namespace bt
