// Drawing tracks onto video frames so a person can check identities by eye.
//
//   bt::track::TrackPainter painter(skeleton, fps);
//   painter.draw(bgr_frame, tracks_of_that_frame);   // in place
//
// Each identity has its own colour (a fixed palette, the same in every video): its box,
// "id N" above it, its keypoints (filled when visible, hollow when occluded or
// interpolated), the skeleton's edges, and a trail of its box centre over the last
// trail_s seconds. The frame number and time sit in the top-left corner.
// Thread safety: a painter belongs to one thread (it keeps the trails).
#pragma once

#include <deque>
#include <map>
#include <opencv2/core/mat.hpp>

#include "behavtrack/core/types.h"

namespace bt::track {

class TrackPainter {
 public:
  TrackPainter(Skeleton skeleton, double fps, double trail_s = 1.0);
  void draw(cv::Mat& bgr, const FrameInstances& frame);
  static cv::Scalar colour_of(TrackId id);

 private:
  Skeleton skeleton_;
  double fps_;
  int trail_frames_;
  std::map<int, std::deque<std::pair<FrameIndex, cv::Point2d>>> trails_;
};

}  // namespace bt::track
