#include "behavtrack/core/compact_frames.h"

#include <algorithm>

namespace bt {
namespace {

std::uint32_t offset(std::size_t n) { return static_cast<std::uint32_t>(n); }

}  // namespace

void CompactFrames::reserve(std::size_t frames, std::size_t instances, std::size_t keypoints) {
  frames_.reserve(frames);
  instances_.reserve(instances);
  keypoints_.reserve(keypoints);
  keypoint_scores_.reserve(keypoints);
}

std::uint32_t CompactFrames::behavior_index(const std::string& name) {
  const auto it = std::find(behaviors_.begin(), behaviors_.end(), name);
  if (it != behaviors_.end()) return offset(it - behaviors_.begin());
  behaviors_.push_back(name);
  return offset(behaviors_.size() - 1);
}

void CompactFrames::push_back(const FrameInstances& frame) {
  frames_.push_back({frame.frame, offset(instances_.size()), offset(frame.instances.size())});
  for (const Instance& m : frame.instances) {
    instances_.push_back({m.box, m.score, m.id.has_value(), m.id ? m.id->value : 0, offset(keypoints_.size()),
                          offset(m.keypoints.size()), offset(keypoint_scores_.size()),
                          offset(m.keypoint_scores.size()), behavior_index(m.behavior)});
    keypoints_.insert(keypoints_.end(), m.keypoints.begin(), m.keypoints.end());
    keypoint_scores_.insert(keypoint_scores_.end(), m.keypoint_scores.begin(), m.keypoint_scores.end());
  }
}

Instance CompactFrames::instance(const InstanceRow& row) const {
  Instance m;
  m.box = row.box;
  m.score = row.score;
  if (row.has_id) m.id = TrackId(row.id);
  const auto kp = keypoints_.begin() + row.first_keypoint;
  m.keypoints.assign(kp, kp + row.n_keypoints);
  const auto ks = keypoint_scores_.begin() + row.first_score;
  m.keypoint_scores.assign(ks, ks + row.n_scores);
  m.behavior = behaviors_[row.behavior];
  return m;
}

FrameInstances CompactFrames::at(std::size_t i) const {
  const FrameRow& row = frames_.at(i);
  FrameInstances out{row.frame, {}};
  out.instances.reserve(row.n_instances);
  for (std::uint32_t j = 0; j < row.n_instances; ++j) out.instances.push_back(instance(instances_[row.first_instance + j]));
  return out;
}

std::vector<FrameInstances> CompactFrames::expand() const {
  std::vector<FrameInstances> out;
  out.reserve(frames_.size());
  for (std::size_t i = 0; i < frames_.size(); ++i) out.push_back(at(i));
  return out;
}

}  // namespace bt
