#include "behavtrack/pose/pose_stream.h"

#include <fmt/format.h>

#include "behavtrack/core/error.h"
#include "behavtrack/pose/pose_model.h"

namespace bt::pose {
namespace {

cv::Point2d keypoint_centroid(const Instance& m) {
  cv::Point2d sum(0, 0);
  for (const Keypoint& k : m.keypoints) sum += cv::Point2d(k.x, k.y);
  return m.keypoints.empty() ? cv::Point2d(m.box.cx(), m.box.cy()) : sum / double(m.keypoints.size());
}

Box shifted(const Box& b, cv::Point2d d) { return {b.x1 + d.x, b.y1 + d.y, b.x2 + d.x, b.y2 + d.y}; }

}  // namespace

void PoseStreamOptions::validate() const {
  if (detect_every_frames < 1)
    throw_invalid(fmt::format("pose stream option detect_every_frames = {}: must be >= 1", detect_every_frames));
  if (expected_animals < 0)
    throw_invalid(fmt::format("pose stream option expected_animals = {}: must be >= 0", expected_animals));
  if (!(refine_score_min >= 0 && refine_score_min <= 1))
    throw_invalid(fmt::format("pose stream option refine_score_min = {}: must be in [0, 1]", refine_score_min));
  if (!(overlap_iou_max >= 0 && overlap_iou_max <= 1))
    throw_invalid(fmt::format("pose stream option overlap_iou_max = {}: must be in [0, 1]", overlap_iou_max));
}

PoseStream::PoseStream(Detect detect, Refine refine, PoseStreamOptions options)
    : detect_(std::move(detect)), refine_(std::move(refine)), options_(options) {
  options_.validate();
}

PoseStream PoseStream::for_model(const PoseModel& model, const PredictOptions& predict,
                                 PoseStreamOptions options) {
  Detect detect = [&model, predict](const cv::Mat& bgr) { return model.predict(bgr, predict); };
  Refine refine;
  if (model.has_refiner() && predict.refine)
    refine = [&model, predict](const cv::Mat& bgr, std::vector<Instance>& mice) { model.refine(bgr, mice, predict); };
  return PoseStream(std::move(detect), std::move(refine), options);
}

void PoseStream::reset() {
  held_.clear();
  velocity_px_.clear();
  frames_since_detection_ = 0;
}

bool PoseStream::must_detect() const {
  if (!refine_ || held_.empty() || frames_since_detection_ >= options_.detect_every_frames) return true;
  if (options_.expected_animals > 0 && static_cast<int>(held_.size()) < options_.expected_animals) return true;
  for (std::size_t i = 0; i < held_.size(); ++i)
    for (std::size_t j = i + 1; j < held_.size(); ++j)
      if (iou(held_[i].box, held_[j].box) > options_.overlap_iou_max) return true;
  return false;
}

std::vector<Instance> PoseStream::moved_guesses() const {
  std::vector<Instance> guesses = held_;
  for (std::size_t i = 0; i < guesses.size(); ++i) guesses[i].box = shifted(guesses[i].box, velocity_px_[i]);
  return guesses;
}

bool PoseStream::confident(const std::vector<Instance>& refined) const {
  for (const Instance& m : refined) {
    if (m.keypoint_scores.empty()) return false;
    double sum = 0;
    for (float s : m.keypoint_scores) sum += s;
    if (!(sum / m.keypoint_scores.size() >= options_.refine_score_min)) return false;
  }
  return true;
}

// Each box follows its keypoints: the box keeps its size and moves by the centroid's step.
void PoseStream::hold_refined(std::vector<Instance>& refined) {
  for (std::size_t i = 0; i < refined.size(); ++i) {
    const cv::Point2d step = keypoint_centroid(refined[i]) - keypoint_centroid(held_[i]);
    refined[i].box = shifted(held_[i].box, step);
    velocity_px_[i] = step;
  }
  held_ = refined;
}

std::vector<Instance> PoseStream::next(const cv::Mat& bgr) {
  ++stats_.frames;
  if (!must_detect()) {
    std::vector<Instance> refined = moved_guesses();
    refine_(bgr, refined);
    if (confident(refined)) {
      hold_refined(refined);
      ++frames_since_detection_;
      return refined;
    }
  }
  held_ = detect_(bgr);
  velocity_px_.assign(held_.size(), cv::Point2d(0, 0));
  frames_since_detection_ = 1;
  ++stats_.detections;
  return held_;
}

}  // namespace bt::pose
