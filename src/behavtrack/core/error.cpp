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

std::string first_line(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) line.remove_suffix(1);
  return std::string(line);
}

std::string json_error_text(const std::exception& e) {
  std::string_view what = e.what();
  const auto tag_end = what.find("] ");
  if (what.rfind("[json.exception.", 0) == 0 && tag_end != std::string_view::npos) what.remove_prefix(tag_end + 2);
  return std::string(what);
}

}  // namespace bt
