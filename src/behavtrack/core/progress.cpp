#include "behavtrack/core/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <exception>

namespace bt {

using Clock = std::chrono::steady_clock;

Progress::Progress(std::string label, std::int64_t total, ProgressCallback callback)
    : callback_(std::move(callback)),
      start_(Clock::now()),
      last_report_(start_),
      uncaught_at_start_(std::uncaught_exceptions()) {
  event_.label = std::move(label);
  event_.total = total;
}

Progress::~Progress() {
  if (event_.finished) return;
  std::lock_guard<std::mutex> lock(mutex_);
  event_.finished = true;
  event_.failed = std::uncaught_exceptions() > uncaught_at_start_;
  report(true);
}

void Progress::advance(std::int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  event_.done += n;
  report(false);
}

void Progress::set_detail(std::string detail) {
  std::lock_guard<std::mutex> lock(mutex_);
  event_.detail = std::move(detail);
}

void Progress::set_total(std::int64_t total) {
  std::lock_guard<std::mutex> lock(mutex_);
  event_.total = total;
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (event_.finished) return;
  event_.finished = true;
  report(true);
}

void Progress::report(bool force) {
  const auto now = Clock::now();
  if (!force && now - last_report_ < std::chrono::milliseconds(100)) return;
  last_report_ = now;
  event_.elapsed_s = std::chrono::duration<double>(now - start_).count();
  if (callback_) callback_(event_);
}

namespace {

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "--:--";
  const long total = std::lround(s);
  char buf[32];
  if (total >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  else
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", total / 60, total % 60);
  return buf;
}

}  // namespace

ProgressCallback terminal_progress(std::FILE* out) {
  const bool tty = isatty(fileno(out));
  return [out, tty](const ProgressEvent& e) {
    const double rate = e.elapsed_s > 0 ? e.done / e.elapsed_s : 0.0;
    const std::string detail = e.detail.empty() ? "" : "  " + e.detail;
    if (e.failed) {  // the error message follows on a line of its own
      if (tty) std::fputc('\n', out);
      return;
    }
    if (!tty) {
      if (e.finished)
        std::fprintf(out, "%s: %lld done in %s (%.1f/s)%s\n", e.label.c_str(),
                     static_cast<long long>(e.done), format_duration(e.elapsed_s).c_str(), rate,
                     detail.c_str());
      return;
    }
    constexpr int kWidth = 30;
    std::string bar;
    if (e.total > 0) {
      const double frac = std::min(1.0, static_cast<double>(e.done) / e.total);
      const int filled = static_cast<int>(frac * kWidth);
      bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
      const double eta = rate > 0 ? (e.total - e.done) / rate : NAN;
      std::fprintf(out, "\r\033[K%s %s%lld/%lld  %.1f/s  ETA %s%s", e.label.c_str(), bar.c_str(),
                   static_cast<long long>(e.done), static_cast<long long>(e.total), rate,
                   e.finished ? format_duration(e.elapsed_s).c_str() : format_duration(eta).c_str(),
                   detail.c_str());
    } else {
      std::fprintf(out, "\r\033[K%s %lld  %.1f/s  %s%s", e.label.c_str(),
                   static_cast<long long>(e.done), rate, format_duration(e.elapsed_s).c_str(),
                   detail.c_str());
    }
    if (e.finished) std::fputc('\n', out);
    std::fflush(out);
  };
}

}  // namespace bt
