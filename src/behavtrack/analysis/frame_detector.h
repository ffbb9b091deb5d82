// What `analyze` detects mice with: a trained pose model or, with no labels yet, the
// classical detector. One interface so the pipeline does not care which.
//
//   std::unique_ptr<bt::analysis::FrameDetector> d =
//       bt::analysis::make_detector(model_path, device, animals);
//   std::vector<bt::Instance> mice = d->detect(frame_bgr, frame_index);
//
// Output: untracked instances (no id) in the frame's pixels, keypoints in skeleton order.
// Thread safety: one detector per thread (models keep per-stream state).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "behavtrack/core/types.h"

namespace bt::analysis {

class FrameDetector {
 public:
  virtual ~FrameDetector() = default;
  // Called before the first frame of each video (the classical detector models the
  // video's background here).
  virtual void begin_video(const std::filesystem::path& video) {}
  virtual std::vector<Instance> detect(const cv::Mat& bgr, FrameIndex frame) = 0;
  virtual Skeleton skeleton() const = 0;
  // "pose model models/cycle3 (n, 320 px)" or "classical detector"; saved with the outputs.
  virtual std::string description() const = 0;
  // Metrics of the model as JSON object text ("{}" when none).
  virtual std::string metrics_json() const = 0;
  // The lowest score of a detection that is a mouse. A pose model's score is an IoU-aware
  // objectness (about the box IoU it expects: 0.4-0.7 on a mouse it finds), and it already
  // keeps only the `animals` best detections, so the tracker must not hold it to ByteTrack's
  // thresholds, which were made for class probabilities.
  virtual double confident_score() const = 0;
};

// `model` empty or "classical": the classical detector (needs `animals` > 0 to split
// touching mice). Otherwise a model folder or an Ultralytics .torchscript file, whose full
// detection runs at least every `detect_every_frames` frames (pose_stream.h).
std::unique_ptr<FrameDetector> make_detector(const std::filesystem::path& model,
                                             const std::string& device, int animals,
                                             int detect_every_frames = 1);

}  // namespace bt::analysis
