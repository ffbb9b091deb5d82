// Detections straight from the video, for `behavtrack track --video V --model M`: a pose
// model (a model folder or an Ultralytics *.torchscript file, pose/pose_model.h) or the
// classical background-subtraction detector (pose/classical_detector.h) run on every frame.
//
//   bt::track::FrameDetectorOptions o;  o.model = "classical";  o.animals = 5;
//   auto detector = bt::track::open_frame_detector(o, "cage1.mp4");
//   std::vector<bt::Instance> mice = detector->detect(frame_bgr);   // frames in order
//
// The classical detector's background is the per-pixel median of background_frames frames
// spread evenly over the video (read once when the detector opens).
// Output: instances in frame pixels, no ids, in the detector's skeleton (skeleton()).
// Without the pose subsystem in the build, open_frame_detector throws a bt::Error saying so.
// Thread safety: one detector per thread (the classical one keeps heading history).
#pragma once

#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::track {

struct FrameDetectorOptions {
  std::string model;              // "classical", a model folder or an Ultralytics .torchscript
  std::string device = "cpu";     // cpu | cuda | cuda:N (pose models only)
  int animals = 0;                // most detections per frame; 0: unknown
  double score_min = 0.25;        // pose model detection score threshold, 0..1
  int background_frames = 25;     // classical: frames in the median background
  void validate() const;          // throws bt::Error naming the field and value
};

class FrameDetector {
 public:
  virtual ~FrameDetector() = default;
  // The mice in one BGR frame; call with the frames in order.
  virtual std::vector<Instance> detect(const cv::Mat& bgr) = 0;
  virtual const Skeleton& skeleton() const = 0;
};

std::unique_ptr<FrameDetector> open_frame_detector(const FrameDetectorOptions& options,
                                                   const std::filesystem::path& video);

}  // namespace bt::track
