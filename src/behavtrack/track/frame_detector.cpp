#include "behavtrack/track/frame_detector.h"

#include <algorithm>

#include "behavtrack/core/device.h"
#include "behavtrack/core/error.h"
#include "behavtrack/pose/classical_detector.h"
#include "behavtrack/pose/pose_model.h"
#include "behavtrack/video/video_reader.h"

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
    detector_.set_background(pose::median_background(spread_frames(video, o.background_frames)));
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
  // `count` frames at even steps over the video, for the median background.
  static std::vector<cv::Mat> spread_frames(const std::filesystem::path& video, int count) {
    video::VideoReader reader(video);
    const FrameIndex n = std::max<FrameIndex>(1, reader.info().n_frames);
    const FrameIndex step = std::max<FrameIndex>(1, n / count);
    std::vector<cv::Mat> frames;
    for (FrameIndex f = step / 2; f < n && static_cast<int>(frames.size()) < count; f += step)
      frames.push_back(reader.read_at(f).image.clone());
    if (frames.empty()) throw_invalid("video " + quoted(video.string()) + ": no frames to build a background from");
    return frames;
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
