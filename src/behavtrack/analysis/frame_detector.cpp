#include "behavtrack/analysis/frame_detector.h"

#include <algorithm>

#include "behavtrack/core/error.h"
#include "behavtrack/pose/classical_detector.h"
#include "behavtrack/pose/pose_model.h"
#include "behavtrack/pose/pose_stream.h"
#include "behavtrack/track/tracker_options.h"

namespace bt::analysis {
namespace {

// A trained behavtrack pose model or an Ultralytics TorchScript export, run over the video
// as a PoseStream (full detections every few frames, refined crops in between).
class PoseModelDetector : public FrameDetector {
 public:
  PoseModelDetector(const std::filesystem::path& path, const std::string& device, int animals,
                    int detect_every_frames)
      : path_(path), model_(pose::PoseModel::load(path, Device::parse(device))) {
    if (animals > 0) options_.max_det = animals;
    options_.validate();
    pose::PoseStreamOptions so;
    so.detect_every_frames = detect_every_frames;
    so.expected_animals = animals;
    stream_ = std::make_unique<pose::PoseStream>(pose::PoseStream::for_model(model_, options_, so));
  }
  void begin_video(const std::filesystem::path&) override { stream_->reset(); }
  std::vector<Instance> detect(const cv::Mat& bgr, FrameIndex) override { return stream_->next(bgr); }
  Skeleton skeleton() const override { return model_.info().skeleton; }
  std::string description() const override {
    if (model_.is_torchscript()) return "Ultralytics TorchScript model " + path_.string();
    const pose::ModelInfo& i = model_.info();
    return "pose model " + path_.string() + " (size " + i.size + ", " + std::to_string(i.input_px) +
           " px" + (i.refine_px > 0 ? ", refiner " + std::to_string(i.refine_px) + " px" : "") + ")";
  }
  std::string metrics_json() const override { return model_.info().metrics_json; }
  double confident_score() const override { return options_.score_min; }

 private:
  std::filesystem::path path_;
  pose::PoseModel model_;
  pose::PredictOptions options_;
  std::unique_ptr<pose::PoseStream> stream_;  // refers to model_
};

// Background subtraction and body shape; head/tail continuity from motion across frames.
class ClassicalFrameDetector : public FrameDetector {
 public:
  explicit ClassicalFrameDetector(int animals) {
    options_.n_animals = animals;
    options_.validate();
  }
  void begin_video(const std::filesystem::path& video) override {
    // A fresh detector per video: no heading carried over from the previous video.
    detector_ = pose::ClassicalDetector(options_);
    detector_.set_background(pose::video_background(video, kBackgroundFrames));
  }
  std::vector<Instance> detect(const cv::Mat& bgr, FrameIndex) override { return detector_.track(bgr); }
  Skeleton skeleton() const override { return Skeleton::default_mouse(); }
  std::string description() const override { return "classical detector (background model, body shape)"; }
  std::string metrics_json() const override { return "{}"; }
  double confident_score() const override { return track::TrackerOptions{}.score_high; }

 private:
  static constexpr int kBackgroundFrames = 25;
  pose::ClassicalOptions options_;
  pose::ClassicalDetector detector_;
};

}  // namespace

std::unique_ptr<FrameDetector> make_detector(const std::filesystem::path& model, const std::string& device,
                                             int animals, int detect_every_frames) {
  if (model.empty() || model == "classical") return std::make_unique<ClassicalFrameDetector>(animals);
  return std::make_unique<PoseModelDetector>(model, device, animals, detect_every_frames);
}

}  // namespace bt::analysis
