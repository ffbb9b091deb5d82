// Progress of long work. Library code creates a Progress for a task and advances it; the
// reports go to a callback that the caller chose (the CLI's terminal reporter, a test's
// recorder, nothing).
//
//   bt::Progress p("decode m3v1.mp4", n_frames, callback);
//   for (...) { ...; p.advance(); }
//   p.finish();
//
// terminal_progress() draws a bar with rate and ETA when stderr is a terminal and prints
// one summary line per task otherwise (logs and CI stay quiet).
// Thread safety: advance() may be called from several threads at once; the callback is
// called under a mutex and at most about ten times a second (and once at the end).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace bt {

struct ProgressEvent {
  std::string label;
  std::int64_t done = 0;
  std::int64_t total = 0;  // 0 when unknown
  double elapsed_s = 0;
  bool finished = false;
  bool failed = false;     // the task ended by an error (sent once, with finished)
  std::string detail;      // e.g. "loss 0.413"
};

using ProgressCallback = std::function<void(const ProgressEvent&)>;

class Progress {
 public:
  Progress(std::string label, std::int64_t total, ProgressCallback callback);
  // Finishes the task if finish() was not called, except while an exception unwinds: a
  // failed task reports nothing (the error is the one line the user sees).
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::int64_t n = 1);
  void set_detail(std::string detail);
  void set_total(std::int64_t total);
  void finish();

 private:
  void report(bool force);

  ProgressEvent event_;
  ProgressCallback callback_;
  std::chrono::steady_clock::time_point start_, last_report_;
  int uncaught_at_start_ = 0;
  std::mutex mutex_;
};

// The CLI's reporter (see the header comment). `out` is usually stderr.
ProgressCallback terminal_progress(std::FILE* out);

}  // namespace bt
