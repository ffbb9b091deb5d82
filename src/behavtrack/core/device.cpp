#include "behavtrack/core/device.h"

#include <cctype>

#include "behavtrack/core/error.h"

namespace bt {

Device Device::parse(const std::string& text) {
  if (text == "cpu") return {Type::kCpu, 0};
  if (text == "cuda") return {Type::kCuda, 0};
  if (text.rfind("cuda:", 0) == 0 && text.size() > 5) {
    const std::string digits = text.substr(5);
    bool all_digits = digits.size() <= 3;
    for (char c : digits) all_digits = all_digits && std::isdigit(static_cast<unsigned char>(c));
    if (all_digits) return {Type::kCuda, std::stoi(digits)};
  }
  throw_invalid("device " + quoted(text) + ": expected cpu, cuda or cuda:N");
}

std::string Device::str() const {
  return type == Type::kCpu ? "cpu" : "cuda:" + std::to_string(index);
}

}  // namespace bt
