#include "behavtrack/core/compact_frames.h"

#include <gtest/gtest.h>

namespace {

bt::Instance mouse(int id, double x, bool with_scores, const std::string& behavior) {
  bt::Instance m;
  m.box = bt::Box::from_xyxy(x, 2, x + 40, 30);
  m.keypoints = {{x + 1, 3, bt::Visibility::kVisible}, {x + 2, 4, bt::Visibility::kOccluded}, {0, 0, bt::Visibility::kAbsent}};
  if (with_scores) m.keypoint_scores = {0.9f, 0.5f, 0.f};
  m.score = 0.75f;
  if (id > 0) m.id = bt::TrackId(id);
  m.behavior = behavior;
  return m;
}

void expect_same(const bt::FrameInstances& a, const bt::FrameInstances& b) {
  EXPECT_EQ(a.frame, b.frame);
  ASSERT_EQ(a.instances.size(), b.instances.size());
  for (std::size_t i = 0; i < a.instances.size(); ++i) {
    const bt::Instance& x = a.instances[i];
    const bt::Instance& y = b.instances[i];
    EXPECT_EQ(x.box, y.box);
    EXPECT_EQ(x.keypoints, y.keypoints);
    EXPECT_EQ(x.keypoint_scores, y.keypoint_scores);
    EXPECT_EQ(x.score, y.score);
    EXPECT_EQ(x.id.has_value(), y.id.has_value());
    if (x.id && y.id) {
      EXPECT_EQ(x.id->value, y.id->value);
    }
    EXPECT_EQ(x.behavior, y.behavior);
  }
}

TEST(CompactFrames, GivesBackExactlyWhatWasPushedInOrder) {
  // Frames with several mice, none, untracked detections, manual labels without keypoint
  // scores, behaviour names repeated and new.
  const std::vector<bt::FrameInstances> frames = {
      {0, {mouse(1, 10, true, ""), mouse(2, 100, true, "rearing")}},
      {1, {}},
      {5, {mouse(0, 50, false, "rearing")}},
      {6, {mouse(2, 60, true, "fighting"), mouse(7, 70, false, ""), mouse(1, 80, true, "rearing")}},
  };
  bt::CompactFrames kept;
  kept.reserve(2, 2, 2);  // smaller than needed: it grows
  for (const bt::FrameInstances& f : frames) kept.push_back(f);
  ASSERT_EQ(kept.size(), frames.size());
  const std::vector<bt::FrameInstances> back = kept.expand();
  ASSERT_EQ(back.size(), frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i));
    expect_same(back[i], frames[i]);
    expect_same(kept.at(i), frames[i]);
  }
  EXPECT_THROW(kept.at(frames.size()), std::out_of_range);
}

}  // namespace
