// PoseStream's schedule: when it runs the full detection and when it refines last frame's
// mice. The detector and refiner here read a "world" of known mice per frame (the frame
// number is written into the image's first pixel), so every answer is checkable by hand.
#include <gtest/gtest.h>

#include "behavtrack/core/error.h"
#include "behavtrack/pose/pose_stream.h"

namespace bt::pose {
namespace {

constexpr int kSide = 40;  // box side of every mouse, pixels

// Mouse `m` at frame `f`: walks right at 3 px per frame; mouse 1 starts 200 px lower.
cv::Point2d true_centre(int m, int f) { return {50.0 + 3.0 * f, 100.0 + 200.0 * m}; }

Instance mouse_at(cv::Point2d c, float keypoint_score) {
  Instance i;
  i.box = {c.x - kSide / 2, c.y - kSide / 2, c.x + kSide / 2, c.y + kSide / 2};
  i.score = 0.9f;
  for (int k = 0; k < 4; ++k) {  // a fixed pattern around the centre
    i.keypoints.push_back({c.x - 10 + 5 * k, c.y + (k % 2 ? 4 : -4), Visibility::kVisible});
    i.keypoint_scores.push_back(keypoint_score);
  }
  return i;
}

cv::Mat frame_image(int f) {
  cv::Mat m(8, 8, CV_8UC3, cv::Scalar::all(0));
  m.at<cv::Vec3b>(0, 0)[0] = static_cast<uchar>(f);
  return m;
}
int frame_of(const cv::Mat& m) { return m.at<cv::Vec3b>(0, 0)[0]; }

struct World {
  int mice = 1;
  int unsure_frame = -1;  // the refiner doubts itself on this frame
  int detector_calls = 0, refiner_calls = 0;

  PoseStream stream(PoseStreamOptions o) {
    return PoseStream(
        [this](const cv::Mat& image) {
          ++detector_calls;
          std::vector<Instance> out;
          for (int m = 0; m < mice; ++m) out.push_back(mouse_at(true_centre(m, frame_of(image)), 0.9f));
          return out;
        },
        [this](const cv::Mat& image, std::vector<Instance>& guesses) {
          ++refiner_calls;
          const int f = frame_of(image);
          for (Instance& g : guesses) {
            // The refiner finds the mouse whose centre lies in the crop (the guessed box).
            Instance found = mouse_at({g.box.cx(), g.box.cy()}, 0.05f);
            for (int m = 0; m < mice; ++m) {
              const cv::Point2d c = true_centre(m, f);
              if (c.x >= g.box.x1 && c.x <= g.box.x2 && c.y >= g.box.y1 && c.y <= g.box.y2)
                found = mouse_at(c, f == unsure_frame ? 0.2f : 0.9f);
            }
            g.keypoints = found.keypoints;
            g.keypoint_scores = found.keypoint_scores;
          }
        },
        o);
  }
};

TEST(PoseStream, DetectsEveryNthFrameAndFollowsTheMiceInBetween) {
  World world;
  world.mice = 2;
  PoseStreamOptions o;
  o.detect_every_frames = 5;
  o.expected_animals = 2;
  PoseStream stream = world.stream(o);
  for (int f = 0; f < 20; ++f) {
    const std::vector<Instance> mice = stream.next(frame_image(f));
    ASSERT_EQ(mice.size(), 2u) << "frame " << f;
    for (int m = 0; m < 2; ++m) {
      const cv::Point2d c = true_centre(m, f);
      EXPECT_NEAR(mice[m].keypoints[0].x, c.x - 10, 1e-9) << "frame " << f;
      EXPECT_NEAR(mice[m].box.cx(), c.x, 1e-9) << "frame " << f;  // the box moves with its keypoints
      EXPECT_NEAR(mice[m].box.cy(), c.y, 1e-9) << "frame " << f;
    }
  }
  EXPECT_EQ(world.detector_calls, 4);  // frames 0, 5, 10, 15
  EXPECT_EQ(world.refiner_calls, 16);
  EXPECT_EQ(stream.stats().frames, 20);
  EXPECT_EQ(stream.stats().detections, 4);
}

TEST(PoseStream, AnUnsureRefinementIsDetectedAgainAtOnce) {
  World world;
  world.unsure_frame = 2;
  PoseStreamOptions o;
  o.detect_every_frames = 10;
  PoseStream stream = world.stream(o);
  for (int f = 0; f < 4; ++f) {
    const std::vector<Instance> mice = stream.next(frame_image(f));
    ASSERT_EQ(mice.size(), 1u);
    EXPECT_FLOAT_EQ(mice[0].keypoint_scores[0], 0.9f) << "frame " << f << " kept a doubted pose";
  }
  EXPECT_EQ(world.detector_calls, 2);  // frame 0, and frame 2 after the doubt
  EXPECT_EQ(world.refiner_calls, 3);   // frames 1, 2 (doubted), 3
}

TEST(PoseStream, FewerMiceThanExpectedOrTouchingMiceDetectEveryFrame) {
  World missing;
  PoseStreamOptions o;
  o.detect_every_frames = 10;
  o.expected_animals = 2;  // the world has one mouse: the stream keeps looking for the other
  PoseStream a = missing.stream(o);
  for (int f = 0; f < 5; ++f) a.next(frame_image(f));
  EXPECT_EQ(missing.detector_calls, 5);
  EXPECT_EQ(missing.refiner_calls, 0);

  World touching;
  // Two held boxes that overlap: a crop could hold either mouse.
  PoseStream c(
      [](const cv::Mat&) { return std::vector<Instance>{mouse_at({50, 50}, 0.9f), mouse_at({60, 50}, 0.9f)}; },
      [&touching](const cv::Mat&, std::vector<Instance>&) { ++touching.refiner_calls; }, {});
  for (int f = 0; f < 5; ++f) c.next(frame_image(f));
  EXPECT_EQ(c.stats().detections, 5);
  EXPECT_EQ(touching.refiner_calls, 0);
}

TEST(PoseStream, WithoutARefinerEveryFrameIsDetected) {
  int calls = 0;
  PoseStream s([&calls](const cv::Mat&) { ++calls; return std::vector<Instance>{mouse_at({50, 50}, 0.9f)}; }, {}, {});
  for (int f = 0; f < 3; ++f) s.next(frame_image(f));
  EXPECT_EQ(calls, 3);
}

TEST(PoseStream, ResetStartsTheNextVideoWithADetection) {
  World world;
  PoseStream s = world.stream({});
  s.next(frame_image(0));
  s.next(frame_image(1));
  s.reset();
  s.next(frame_image(0));
  EXPECT_EQ(world.detector_calls, 2);
}

TEST(PoseStream, BadOptionsNameTheField) {
  PoseStreamOptions o;
  o.detect_every_frames = 0;
  try {
    o.validate();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "pose stream option detect_every_frames = 0: must be >= 1");
  }
}

}  // namespace
}  // namespace bt::pose
