// Per-frame instances of a whole video held in a few flat arrays instead of three small heap
// blocks per frame (FrameInstances' vector, each instance's keypoints and scores).
//
//   bt::CompactFrames kept;
//   kept.reserve(n_frames, n_frames * animals, n_frames * animals * keypoints);
//   for (...) kept.push_back(tracked_frame);          // while streaming
//   std::vector<bt::FrameInstances> frames = kept.expand();  // once the stream is done
//
// Why: a streaming loop that keeps every frame's results (analyze keeps the tracks for the
// behaviour classifier and the report) scatters those small blocks between the frame-sized
// buffers it allocates and frees at the same time, and each one pins a heap page that
// malloc_trim cannot give back, so peak memory grew with video length. Flat arrays grow by
// a few large reallocations instead. Round trip is exact: expand() gives back what was pushed.
// Thread safety: one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt {

class CompactFrames {
 public:
  void reserve(std::size_t frames, std::size_t instances, std::size_t keypoints);
  void push_back(const FrameInstances& frame);
  std::size_t size() const { return frames_.size(); }
  FrameInstances at(std::size_t i) const;
  // Every frame, in push order.
  std::vector<FrameInstances> expand() const;

 private:
  struct FrameRow {
    FrameIndex frame;
    std::uint32_t first_instance, n_instances;
  };
  struct InstanceRow {
    Box box;
    float score;
    bool has_id;
    int id;
    std::uint32_t first_keypoint, n_keypoints;
    std::uint32_t first_score, n_scores;
    std::uint32_t behavior;  // index into behaviors_; 0: empty
  };
  std::uint32_t behavior_index(const std::string& name);
  Instance instance(const InstanceRow& row) const;

  std::vector<FrameRow> frames_;
  std::vector<InstanceRow> instances_;
  std::vector<Keypoint> keypoints_;
  std::vector<float> keypoint_scores_;
  std::vector<std::string> behaviors_{""};
};

}  // namespace bt
