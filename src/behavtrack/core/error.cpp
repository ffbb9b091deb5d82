#include "behavtrack/core/error.h"

#include <cstdio>

namespace bt {

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput: return 2;
    case ErrorKind::kNotFound: return 3;
    case ErrorKind::kIo: return 3;
    case ErrorKind::kInternal: return 1;
  }
  return 1;
}

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput: return "invalid input";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kIo: return "I/O error";
    case ErrorKind::kInternal: return "internal error";
  }
  return "internal error";
}

void throw_invalid(const std::string& message) { throw Error(ErrorKind::kInvalidInput, message); }
void throw_not_found(const std::string& message) { throw Error(ErrorKind::kNotFound, message); }
void throw_io(const std::string& message) { throw Error(ErrorKind::kIo, message); }
void throw_internal(const std::string& message) { throw Error(ErrorKind::kInternal, message); }

std::string quoted(const std::string& name) { return "'" + name + "'"; }

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

}  // namespace bt
