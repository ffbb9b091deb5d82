// What a video is, as probed without decoding pictures: sizes, frame rate, exact frame
// count and key frames.
//
//   bt::video::VideoInfo info = bt::video::probe("cage1.mp4");
//   info.n_frames;     // exact: counted from the demuxed packets, not estimated
//   info.fps.value();  // 30000/1001 -> 29.97
//
// Frame indices are 0-based in presentation order; for variable-frame-rate video the
// index is still the order of presentation and `frame_times_s` gives each frame's time.
// The frame rate is measured from the timestamps and snapped to the nominal rate (an
// integer or an NTSC n*1000/1001 rate) when every frame is within one timestamp tick of it,
// so a 30 fps video stored with 33333 us frame steps reports 30/1.
// Errors (bt::Error) name the file: missing file (kNotFound), not a video or no video
// stream (kInvalidInput), unreadable (kIo).
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::video {

struct Rational {
  int num = 0, den = 1;
  double value() const { return den != 0 ? static_cast<double>(num) / den : 0.0; }
  std::string str() const { return std::to_string(num) + "/" + std::to_string(den); }
};

struct VideoInfo {
  std::filesystem::path path;
  std::string codec;         // e.g. "h264"
  std::string pixel_format;  // e.g. "yuv444p"
  int width = 0, height = 0;
  Rational fps;              // average frame rate of the stream
  std::int64_t n_frames = 0; // exact number of decodable frames
  double duration_s = 0;     // n_frames spread over the stream's timestamps
  bool variable_frame_rate = false;
  std::vector<FrameIndex> key_frames;  // indices of key frames, increasing
  std::vector<double> frame_times_s;   // presentation time of each frame, from 0
  // Empty for a whole file. Otherwise what is wrong with it (truncated, unreadable
  // packets): n_frames then counts the frames before the damage, which stay readable, and
  // a VideoReader that reaches the damage throws. E.g. "damaged after frame 138
  // (incomplete or corrupt data)".
  std::string damage;

  double fps_value() const { return fps.value(); }
};

VideoInfo probe(const std::filesystem::path& path);

// Every field as a JSON object (fps as {"num", "den", "value"}, damage null when whole).
std::string to_json(const VideoInfo& info, int indent = 2);

}  // namespace bt::video
