#include "behavtrack/video/video_check.h"

#include <chrono>

namespace bt::video {

DecodeSummary decode_all(const std::filesystem::path& path, ReaderOptions options, ProgressCallback progress) {
  const auto start = std::chrono::steady_clock::now();
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
  return summary;
}

}  // namespace bt::video
