// Per-mouse region-of-interest clips cut from a video along its tracks, as RGB and optical
// flow, for the two-stream video classifier (seeds/003; ROI crops as in seeds/000).
//
//   bt::behavior::ClipOptions o;                      // 16 frames: 8 before, the frame, 7 after
//   bt::behavior::ClipSet clips = bt::behavior::extract_clips("cage1.mp4", tracks, &labels, o, progress);
//   clips.rgb_at(i)  /  clips.flow_at(i)              // T x S x S x 3 uint8 / T x S x S x 2 int8
//
// ROI: the mouse's box at the centre frame, made square on its longer side, enlarged by
// box_margin, clipped to the frame; with fixed_roi the side is instead the median longer box
// side of the whole video (enlarged the same way), so a curled or rearing mouse keeps its
// smaller size in the crop instead of being zoomed to fill it; the same ROI is cut from all 16 frames (frames before
// the start or after the end repeat the first/last frame), resized to stored_px (the paper
// resizes to 128 then random-crops 112 for R(2+1)D; the crop and flip happen in training).
// Optionally the keypoints are drawn on the crops, one colour per body part (seed 000).
// Flow: for each clip frame, the flow from the previous video frame to it (seed 003), on the
// gray ROI crops; DIS (OpenCV, preset fast) by default, TV-L1 (opencv optflow, the paper's
// choice, ~300x slower) by option; stored in int8 as round(4 * px) clipped to +-127.
// Sampling: a clip for every mouse at every `stride_frames`-th frame (and only labelled
// mouse-frames when labels are given). Memory: the clips themselves plus 17 decoded frames.
// Cache: with `cache_dir` set, the clips of a video are written once to
// `<cache_dir>/<video stem>-<key>.clips` and read back on the next call with the same key;
// the key hashes the video's path, size and modification time, every clip option that
// changes the pixels, and the tracks and labels that pick the clips, so a changed input
// never reads stale clips. File: "BTCLIPS1", int32 n_frames, int32 size_px, uint64 n, then
// n int32 labels, n int64 frames, n int32 ids, the rgb and the flow bytes as in ClipSet.
// Thread safety: functions are reentrant.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "behavtrack/behavior/labels.h"
#include "behavtrack/core/instances_json.h"
#include "behavtrack/core/progress.h"

namespace bt::behavior {

enum class FlowMethod { kDis, kTvl1 };
FlowMethod flow_method_from_string(const std::string& name);  // "dis", "tvl1"
std::string to_string(FlowMethod m);

struct ClipOptions {
  int frames_before = 8, frames_after = 7;  // clip = before + 1 + after frames
  int stored_px = 128;        // crops are stored at stored_px x stored_px
  int input_px = 112;         // network input after the (random, in training) crop
  double box_margin = 0.3;    // ROI grows by this fraction of its side on each side
  bool draw_keypoints = false;
  bool fixed_roi = false;     // ROI side from the video's median box, not this box (above)
  FlowMethod flow = FlowMethod::kDis;
  int stride_frames = 15;     // one clip per mouse every n frames
  int max_clips = 0;          // per video, 0 = no limit (evenly thinned when over)
  std::filesystem::path cache_dir;  // empty = no cache; not part of a model (see above)

  void validate() const;      // throws bt::Error naming the field and value
  int n_frames() const { return frames_before + 1 + frames_after; }
};

struct ClipSet {
  int n_frames = 16, size_px = 128;
  std::vector<std::uint8_t> rgb;  // n x T x S x S x 3 (BGR order as decoded)
  std::vector<std::int8_t> flow;  // n x T x S x S x 2 (dx, dy) in quarter pixels
  std::vector<int> labels;        // class per clip, -1 when unknown
  std::vector<FrameIndex> frames; // centre frame per clip
  std::vector<TrackId> ids;
  std::vector<int> video_index;   // which video (for leave-one-video-out)

  std::size_t size() const { return frames.size(); }
  std::size_t rgb_stride() const { return static_cast<std::size_t>(n_frames) * size_px * size_px * 3; }
  std::size_t flow_stride() const { return static_cast<std::size_t>(n_frames) * size_px * size_px * 2; }
  const std::uint8_t* rgb_at(std::size_t i) const { return rgb.data() + i * rgb_stride(); }
  const std::int8_t* flow_at(std::size_t i) const { return flow.data() + i * flow_stride(); }
  void append(const ClipSet& other, int video);
  ClipSet subset(const std::vector<std::size_t>& indices) const;
};

// Dense optical flow (CV_32FC2, px) from `prev_gray` to `gray` (CV_8UC1, same size).
cv::Mat compute_flow(const cv::Mat& prev_gray, const cv::Mat& gray, FlowMethod method);

// Writes / reads a clip set in the cache file format above. read throws bt::Error naming the
// file when it is not a complete clip file.
void write_clip_file(const std::filesystem::path& path, const ClipSet& clips);
ClipSet read_clip_file(const std::filesystem::path& path);

// Clips of one video. `labels` may be null (prediction: every sampled mouse-frame).
ClipSet extract_clips(const std::filesystem::path& video, const InstancesFile& tracks, const LabelSet* labels,
                      const ClipOptions& options, const ProgressCallback& progress);

}  // namespace bt::behavior
