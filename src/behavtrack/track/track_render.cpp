#include "behavtrack/track/track_render.h"

#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

namespace bt::track {
namespace {

cv::Point px(double x, double y) { return {static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y))}; }

void label(cv::Mat& img, const std::string& text, cv::Point at, const cv::Scalar& bg, double scale) {
  int base = 0;
  const cv::Size sz = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &base);
  at.y = std::max(at.y, sz.height + 4);  // a box at the top edge keeps its label in view
  at.x = std::max(at.x, 0);
  const cv::Rect box(at.x, at.y - sz.height - 4, sz.width + 6, sz.height + 6);
  cv::rectangle(img, box, bg, cv::FILLED);
  cv::putText(img, text, {at.x + 3, at.y - 1}, cv::FONT_HERSHEY_SIMPLEX, scale, {255, 255, 255}, 1, cv::LINE_AA);
}

}  // namespace

TrackPainter::TrackPainter(Skeleton skeleton, double fps, double trail_s)
    : skeleton_(std::move(skeleton)), fps_(fps > 0 ? fps : 30.0),
      trail_frames_(std::max(1, static_cast<int>(std::lround(trail_s * fps_)))) {}

cv::Scalar TrackPainter::colour_of(TrackId id) {
  // Well-separated BGR colours (Tableau 10), cycled for more than ten ids.
  static const cv::Scalar palette[] = {{180, 119, 31}, {14, 127, 255}, {44, 160, 44}, {40, 39, 214},
                                       {189, 103, 148}, {75, 86, 140}, {194, 119, 227}, {127, 127, 127},
                                       {34, 189, 188}, {207, 190, 23}};
  const int i = ((id.value - 1) % 10 + 10) % 10;
  return palette[i];
}

void TrackPainter::draw(cv::Mat& img, const FrameInstances& frame) {
  const double scale = std::max(0.4, img.rows / 900.0);
  for (const Instance& inst : frame.instances) {
    if (!inst.id) continue;
    const cv::Scalar c = colour_of(*inst.id);
    auto& trail = trails_[inst.id->value];
    trail.emplace_back(frame.frame, cv::Point2d(inst.box.cx(), inst.box.cy()));
    while (!trail.empty() && trail.front().first <= frame.frame - trail_frames_) trail.pop_front();
    for (size_t i = 1; i < trail.size(); ++i)
      if (trail[i].first - trail[i - 1].first == 1)
        cv::line(img, px(trail[i - 1].second.x, trail[i - 1].second.y), px(trail[i].second.x, trail[i].second.y), c, 2,
                 cv::LINE_AA);
    const bool interpolated = inst.score <= 0;
    cv::rectangle(img, px(inst.box.x1, inst.box.y1), px(inst.box.x2, inst.box.y2), c, interpolated ? 1 : 2, cv::LINE_AA);
    for (const auto& [a, b] : skeleton_.edges)
      if (a < static_cast<int>(inst.keypoints.size()) && b < static_cast<int>(inst.keypoints.size()) &&
          inst.keypoints[a].present() && inst.keypoints[b].present())
        cv::line(img, px(inst.keypoints[a].x, inst.keypoints[a].y), px(inst.keypoints[b].x, inst.keypoints[b].y), c, 1,
                 cv::LINE_AA);
    for (const Keypoint& k : inst.keypoints) {
      if (!k.present()) continue;
      const bool solid = k.v == Visibility::kVisible;
      cv::circle(img, px(k.x, k.y), 4, c, solid ? cv::FILLED : 1, cv::LINE_AA);
      cv::circle(img, px(k.x, k.y), 4, {255, 255, 255}, 1, cv::LINE_AA);
    }
    label(img, "id " + std::to_string(inst.id->value), px(inst.box.x1, inst.box.y1), c, scale);
  }
  // Trails of ids that vanished for longer than the trail are forgotten.
  for (auto it = trails_.begin(); it != trails_.end();)
    it = (!it->second.empty() && it->second.back().first <= frame.frame - trail_frames_) ? trails_.erase(it) : std::next(it);
  char text[64];
  std::snprintf(text, sizeof text, "frame %lld  %.2f s", static_cast<long long>(frame.frame), frame.frame / fps_);
  label(img, text, {6, static_cast<int>(26 * scale / 0.5)}, {0, 0, 0}, scale);
}

}  // namespace bt::track
