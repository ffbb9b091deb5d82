#include "behavtrack/video/video_check.h"

#include <sys/resource.h>

#include <chrono>

namespace bt::video {
namespace {
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}
}  // namespace

DecodeSummary decode_all(const std::filesystem::path& path, ReaderOptions options, ProgressCallback progress) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  VideoReader reader(path, options);
  Progress bar("decode " + path.filename().string(), reader.info().n_frames, std::move(progress));
  DecodeSummary summary;
  Frame frame;
  while (reader.read(frame)) {
    ++summary.n_frames;
    bar.advance();
  }
  bar.finish();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary.cpu_seconds = process_cpu_seconds() - cpu_start;
  return summary;
}

}  // namespace bt::video
