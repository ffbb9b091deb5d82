// bt::Error: the one exception type the library throws.
//
// Every error carries a kind so the CLI can map it to an exit code (0 ok, 2 bad usage or
// input, 3 not found or I/O, 1 internal). Messages read `<subject>: <problem>[; <hint>]`,
// e.g. `video 'cage3.mp4': no video stream; is this an audio file?`.
// Foreign errors (c10::Error, cv::Exception, libav, SQLite, XGBoost) are translated into
// bt::Error at the boundary where the context is known.
// Thread safety: value type, safe to copy between threads.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace bt {

enum class ErrorKind {
  kInvalidInput,  // malformed file, bad option value, skeleton mismatch...
  kNotFound,      // a file, frame, id or route that does not exist
  kIo,            // reading or writing failed
  kInternal,      // a bug or an unexpected state
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// The process exit status the CLI uses for an error of this kind.
int exit_code(ErrorKind kind);
const char* to_string(ErrorKind kind);

// Shorthands for the common kinds.
[[noreturn]] void throw_invalid(const std::string& message);
[[noreturn]] void throw_not_found(const std::string& message);
[[noreturn]] void throw_io(const std::string& message);
[[noreturn]] void throw_internal(const std::string& message);

// Quotes a user-visible name for messages: quoted("a b.mp4") == "'a b.mp4'".
std::string quoted(const std::string& name);
// A number for messages, as printf's %g writes it: number_text(0.5) == "0.5", NaN -> "nan".
std::string number_text(double v);
// A foreign library's message cut to one line for ours: its first line, without trailing
// blanks (Torch and XGBoost append backtraces and stack traces on further lines).
std::string first_line(std::string_view text);
// nlohmann::json's exception text without its "[json.exception.parse_error.101] " tag:
// "parse error at line 1, column 14: ...".
std::string json_error_text(const std::exception& e);

}  // namespace bt
