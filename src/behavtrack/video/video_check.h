// Decoding a whole video once: proves every frame can be read (a damaged file fails with
// the frame where it broke) and measures the reader's sequential speed.
//
//   bt::video::DecodeSummary s = bt::video::decode_all("cage1.mp4", {}, progress);
//   s.n_frames; s.seconds; s.fps();
//
// Memory stays flat: one frame at a time. Progress reports frames decoded.
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <filesystem>

#include "behavtrack/core/progress.h"
#include "behavtrack/video/video_reader.h"

namespace bt::video {

struct DecodeSummary {
  std::int64_t n_frames = 0;  // frames decoded and converted
  double seconds = 0;         // wall-clock time of the decode, opening included
  double cpu_seconds = 0;     // CPU time of the whole process (all threads) meanwhile
  double fps() const { return seconds > 0 ? n_frames / seconds : 0.0; }
};

// Reads every frame in order; throws bt::Error like VideoReader does.
DecodeSummary decode_all(const std::filesystem::path& path, ReaderOptions options = {},
                         ProgressCallback progress = {});

}  // namespace bt::video
