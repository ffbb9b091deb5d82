// Private: opening a video file and indexing its video stream from the demuxed packets
// (no picture decoding). probe() and VideoReader share it so that both agree on what
// frame k is: the k-th presentation timestamp of the stream, in increasing order.
// Thread safety: reentrant; an index is a plain value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "behavtrack/video/libav_util.h"
#include "behavtrack/video/video_info.h"

namespace bt::video::detail {

struct StreamIndex {
  VideoInfo info;
  int stream = -1;                   // index of the video stream in the container
  AVRational time_base{1, 1};        // of `pts` and `key_seek_ts`
  std::vector<std::int64_t> pts;     // presentation timestamp of frame k, increasing
  // Per key frame (parallel to info.key_frames): the timestamp to give av_seek_frame so the
  // demuxer lands on that key frame (its dts where the container has one, else its pts).
  std::vector<std::int64_t> key_seek_ts;
  // True when every packet has its own presentation timestamp, so a decoded picture is
  // matched to its index by timestamp. False (AVI, raw streams: some packets lack a pts)
  // means counting the pictures the decoder gives from the key frame it started at, where
  // a key frame's index is its position in decode order (closed GOPs).
  bool timestamps_usable = true;
  // In counting mode with B-frames, pictures after a key frame in decode order may be shown
  // before it (open GOPs, e.g. MPEG-4 part 2 in AVI), so a key frame's decode position is
  // not its index: random access then decodes from the start, exact but slow.
  bool key_frames_seekable = true;
  // Empty for a whole file; otherwise what is wrong with it (read error, truncation). The
  // frames before info.n_frames are readable; the reader reports the damage after them.
  std::string damage;

  // The frame index of a presentation timestamp, or -1 when no frame has it.
  FrameIndex index_of(std::int64_t timestamp) const;
};

// Opens `path` for demuxing; errors name the file: missing (kNotFound), a folder or not a
// video (kInvalidInput), unreadable (kIo).
FormatInputPtr open_input(const std::filesystem::path& path);
// The best video stream (attached cover pictures excluded) or kInvalidInput.
int find_video_stream(AVFormatContext* format, const std::filesystem::path& path);
// Reads every packet of the video stream and builds the index; leaves the demuxer at the
// end of the file (the caller seeks back when it wants to decode).
StreamIndex index_stream(AVFormatContext* format, int stream, const std::filesystem::path& path);

}  // namespace bt::video::detail
