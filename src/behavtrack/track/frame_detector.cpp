#include "behavtrack/track/frame_detector.h"

#include <algorithm>

#include "behavtrack/core/device.h"
#include "behavtrack/core/error.h"
#include "behavtrack/pose/classical_detector.h"
#include "behavtrack/pose/pose_model.h"

namespace bt::track {
namespace {

// Without a known count the model may report this many mice per frame.
constexpr int kMaxDetectionsUnknownCount = 50;

class PoseModelDetector : public FrameDetector {
 public:
  PoseModelDetector(const FrameDetectorOptions& o)
      : model_(pose::PoseModel::load(o.model, Device::parse(o.device))) {
    predict_.max_det = o.animals > 0 ? o.animals : kMaxDetectionsUnknownCount;
    predict_.score_min = static_cast<float>(o.score_min);
    predict_.validate();
  }
  std::vector<Instance> detect(const cv::Mat& bgr) override { return model_.predict(bgr, predict_); }
  const Skeleton& skeleton() const override { return model_.info().skeleton; }

 private:
  pose::PoseModel model_;
  pose::PredictOptions predict_;
};

class ClassicalFrameDetector : public FrameDetector {
 public:
  ClassicalFrameDetector(const FrameDetectorOptions& o, const std::filesystem::path& video)
      : detector_(classical_options(o)), skeleton_(Skeleton::default_mouse()) {
    detector_.set_background(pose::video_background(video, o.background_frames));
  }
  std::vector<Instance> detect(const cv::Mat& bgr) override { return detector_.track(bgr); }
  const Skeleton& skeleton() const override { return skeleton_; }

 private:
  static pose::ClassicalOptions classical_options(const FrameDetectorOptions& o) {
    pose::ClassicalOptions c;
    c.n_animals = o.animals;
    c.validate();
    return c;
  }

  pose::ClassicalDetector detector_;
  Skeleton skeleton_;
};

}  // namespace

std::unique_ptr<FrameDetector> open_frame_detector(const FrameDetectorOptions& o, const std::filesystem::path& video) {
  o.validate();
  if (o.model == "classical") return std::make_unique<ClassicalFrameDetector>(o, video);
  return std::make_unique<PoseModelDetector>(o);
}

}  // namespace bt::track
