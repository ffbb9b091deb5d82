// Letterbox, flips through the flip map, affine views, NMS and Ultralytics decoding.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <set>

#include "behavtrack/core/error.h"
#include "behavtrack/pose/augment.h"
#include "behavtrack/pose/letterbox.h"
#include "behavtrack/pose/postprocess.h"

namespace bt::pose {
namespace {

Instance mouse_at(double cx, double cy) {
  Instance m;
  m.box = Box::from_cxcywh(cx, cy, 60, 30);
  m.keypoints = {{cx + 25, cy, Visibility::kVisible},      // nose to the right
                 {cx + 15, cy - 8, Visibility::kVisible},  // earL above
                 {cx + 15, cy + 8, Visibility::kOccluded}, // earR below
                 {cx - 25, cy, Visibility::kVisible}};     // tail base
  return m;
}

TEST(PoseLetterbox, FitsLandscapeFrameWithEvenPadding) {
  const Letterbox lb = Letterbox::fit(640, 480, 320);
  EXPECT_DOUBLE_EQ(lb.scale, 0.5);
  EXPECT_DOUBLE_EQ(lb.pad_x, 0);
  EXPECT_DOUBLE_EQ(lb.pad_y, 40);  // 240 rows of picture in 320: 40 grey rows each side
  const cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(10, 20, 30));
  const cv::Mat in = lb.apply(frame);
  ASSERT_EQ(in.rows, 320);
  ASSERT_EQ(in.cols, 320);
  EXPECT_EQ(in.at<cv::Vec3b>(0, 0), cv::Vec3b(114, 114, 114));
  EXPECT_EQ(in.at<cv::Vec3b>(160, 160), cv::Vec3b(10, 20, 30));
  EXPECT_EQ(in.at<cv::Vec3b>(319, 319), cv::Vec3b(114, 114, 114));
}

TEST(PoseLetterbox, InverseRestoresOriginalCoordinates) {
  const Letterbox lb = Letterbox::fit(480, 640, 640);  // portrait: pads left and right
  EXPECT_DOUBLE_EQ(lb.scale, 1.0);
  EXPECT_DOUBLE_EQ(lb.pad_x, 80);
  const Instance m = mouse_at(100, 300);
  const Instance back = lb.to_original(lb.to_input(m));
  EXPECT_NEAR(back.box.x1, m.box.x1, 1e-9);
  EXPECT_NEAR(back.box.y2, m.box.y2, 1e-9);
  EXPECT_NEAR(back.keypoints[3].x, 75, 1e-9);
  EXPECT_EQ(lb.to_input(m).keypoints[0].x, 100 + 25 + 80);
}

TEST(PoseLetterbox, RectangularFitPadsTheShortSideToTheNextMultipleOf32) {
  const Letterbox lb = Letterbox::fit_rect(640, 480, 320);
  EXPECT_EQ(lb.input_w, 320);
  EXPECT_EQ(lb.input_h, 256);  // 240 rows of picture: 8 grey rows above, 8 below
  EXPECT_DOUBLE_EQ(lb.scale, 0.5);
  EXPECT_DOUBLE_EQ(lb.pad_x, 0);
  EXPECT_DOUBLE_EQ(lb.pad_y, 8);
  const cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(10, 20, 30));
  const cv::Mat in = lb.apply(frame);
  ASSERT_EQ(in.rows, 256);
  ASSERT_EQ(in.cols, 320);
  EXPECT_EQ(in.at<cv::Vec3b>(7, 100), cv::Vec3b(114, 114, 114));
  EXPECT_EQ(in.at<cv::Vec3b>(8, 100), cv::Vec3b(10, 20, 30));
  EXPECT_EQ(in.at<cv::Vec3b>(247, 319), cv::Vec3b(10, 20, 30));
  EXPECT_EQ(in.at<cv::Vec3b>(248, 319), cv::Vec3b(114, 114, 114));
  // A frame pixel maps to input = original * 0.5 + (0, 8), and back.
  const Instance m = mouse_at(300, 200);
  const Instance in_m = lb.to_input(m);
  EXPECT_DOUBLE_EQ(in_m.keypoints[0].x, (300 + 25) * 0.5);
  EXPECT_DOUBLE_EQ(in_m.keypoints[0].y, 200 * 0.5 + 8);
  EXPECT_NEAR(lb.to_original(in_m).box.y2, m.box.y2, 1e-9);
}

TEST(PoseLetterbox, RectangularFitOfPortraitAndOddSizes) {
  const Letterbox portrait = Letterbox::fit_rect(480, 640, 320);
  EXPECT_EQ(portrait.input_w, 256);
  EXPECT_EQ(portrait.input_h, 320);
  EXPECT_DOUBLE_EQ(portrait.pad_x, 8);
  EXPECT_DOUBLE_EQ(portrait.pad_y, 0);
  // 700x500 at 320: scale 320/700, 228.6 -> 229 rows of picture in 256, 13 grey rows on top.
  const Letterbox odd = Letterbox::fit_rect(700, 500, 320);
  EXPECT_EQ(odd.input_w, 320);
  EXPECT_EQ(odd.input_h, 256);
  EXPECT_DOUBLE_EQ(odd.scale, 320.0 / 700);
  EXPECT_DOUBLE_EQ(odd.pad_y, 13);
  EXPECT_EQ(odd.apply(cv::Mat(500, 700, CV_8UC3, cv::Scalar::all(0))).rows, 256);
  // Already a multiple of 32 on both sides: no padding at all; a square frame stays square.
  const Letterbox exact = Letterbox::fit_rect(640, 384, 320);
  EXPECT_EQ(exact.input_h, 192);
  EXPECT_DOUBLE_EQ(exact.pad_y, 0);
  const Letterbox square = Letterbox::fit_rect(500, 500, 320);
  EXPECT_EQ(square.input_w, 320);
  EXPECT_EQ(square.input_h, 320);
}

TEST(PoseLetterbox, RejectsSizesThatAreNotMultiplesOf32) {
  try {
    Letterbox::fit(640, 480, 300);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "input_px = 300: must be a multiple of 32 between 32 and 4096");
  }
  try {
    Letterbox::fit_rect(640, 480, 330);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "input_px = 330: must be a multiple of 32 between 32 and 4096");
  }
  try {
    Letterbox::fit_rect(0, 480, 320);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "letterbox: image size 0x480 is empty");
  }
}

TEST(PoseAugment, HorizontalFlipSwapsLeftAndRightThroughTheFlipMap) {
  cv::Mat image(100, 200, CV_8UC3, cv::Scalar::all(0));
  image.at<cv::Vec3b>(10, 20) = cv::Vec3b(255, 255, 255);
  std::vector<Instance> instances = {mouse_at(60, 50)};
  flip_horizontal(image, instances, Skeleton::default_mouse());
  EXPECT_EQ(image.at<cv::Vec3b>(10, 179), cv::Vec3b(255, 255, 255));
  const Instance& m = instances[0];
  EXPECT_DOUBLE_EQ(m.keypoints[0].x, 200 - 85);  // nose mirrored, still the nose
  // The animal's left ear is now the mirror of its right ear: earL (index 1) takes the old
  // earR position mirrored (below the axis, occluded) and vice versa.
  EXPECT_DOUBLE_EQ(m.keypoints[1].x, 200 - 75);
  EXPECT_DOUBLE_EQ(m.keypoints[1].y, 58);
  EXPECT_EQ(m.keypoints[1].v, Visibility::kOccluded);
  EXPECT_DOUBLE_EQ(m.keypoints[2].y, 42);
  EXPECT_EQ(m.keypoints[2].v, Visibility::kVisible);
  EXPECT_NEAR(m.box.x1, 200 - 90, 1e-9);
  EXPECT_NEAR(m.box.x2, 200 - 30, 1e-9);
}

TEST(PoseAugment, RightAngleRotationKeepsKeypointsAndTurnsTheBox) {
  const cv::Mat image(200, 200, CV_8UC3, cv::Scalar::all(50));
  const Instance m = mouse_at(100, 100);
  const Augmented a = crop_view(image, {m}, Skeleton::default_mouse(), {100, 100}, 1.0, 90,
                                false, 200, nullptr);
  ASSERT_EQ(a.instances.size(), 1u);
  const Instance& r = a.instances[0];
  // Rotating by +90 degrees (x right, y down): (dx, dy) -> (-dy, dx); the nose 25 px right
  // of the centre goes 25 px below it.
  EXPECT_NEAR(r.keypoints[0].x, 100, 1e-9);
  EXPECT_NEAR(r.keypoints[0].y, 125, 1e-9);
  EXPECT_NEAR(r.box.width(), 30, 1e-9);
  EXPECT_NEAR(r.box.height(), 60, 1e-9);
}

// Detector views turn by quarter turns plus a small tilt: with no tilt, scale or shift, every
// view's box is the exact box of the turned one (60x30 -> 30x15 or 15x30 at scale 0.5), and
// all four turns occur.
TEST(PoseAugment, DetectorViewsTurnByQuarterTurnsWithExactBoxes) {
  const cv::Mat image(480, 640, CV_8UC3, cv::Scalar::all(50));
  const Instance m = mouse_at(320, 240);
  AugmentOptions o;
  o.rotate_deg = 0;
  o.scale_range = 0;
  o.translate_fraction = 0;
  o.flip_probability = 0;
  std::mt19937 rng(5);
  std::set<std::pair<int, int>> nose_directions;
  for (int i = 0; i < 40; ++i) {
    const Augmented a = random_view(image, {m}, Skeleton::default_mouse(), 320, o, rng);
    ASSERT_EQ(a.instances.size(), 1u);
    const Instance& r = a.instances[0];
    const bool upright = std::abs(r.keypoints[0].x - 160) < 1e-6;  // nose above or below
    EXPECT_NEAR(r.box.width(), upright ? 15 : 30, 1e-6);
    EXPECT_NEAR(r.box.height(), upright ? 30 : 15, 1e-6);
    nose_directions.insert({static_cast<int>(std::lround(r.keypoints[0].x - 160)),
                            static_cast<int>(std::lround(r.keypoints[0].y - 160))});
  }
  EXPECT_EQ(nose_directions.size(), 4u);  // 12.5 px right, below, left, above the centre
}

TEST(PoseAugment, KeypointsLeavingTheViewBecomeAbsent) {
  const cv::Mat image(200, 200, CV_8UC3, cv::Scalar::all(50));
  const Instance m = mouse_at(100, 100);
  // A 64 px view centred on the tail base: the nose (50 px away) falls outside.
  const Augmented a = crop_view(image, {m}, Skeleton::default_mouse(), {75, 100}, 1.0, 0, false,
                                64, nullptr);
  ASSERT_EQ(a.instances.size(), 1u);
  EXPECT_FALSE(a.instances[0].keypoints[0].present());
  EXPECT_TRUE(a.instances[0].keypoints[3].present());
}

TEST(PoseNms, KeepsTheBestOfOverlappingBoxesAndRespectsMaxDet) {
  const std::vector<Box> boxes = {{0, 0, 10, 10}, {1, 1, 11, 11}, {50, 50, 60, 60},
                                  {100, 100, 110, 110}};
  const std::vector<float> scores = {0.8f, 0.9f, 0.7f, 0.6f};
  EXPECT_EQ(nms(boxes, scores, 0.5f, 10), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(nms(boxes, scores, 0.5f, 2), (std::vector<int>{1, 2}));
  // IoU of the first two is 81/119 = 0.68: a looser threshold keeps both.
  EXPECT_EQ(nms(boxes, scores, 0.7f, 10), (std::vector<int>{1, 0, 2, 3}));
}

// Channel-major (4 + 1 + 3K) x A, as an Ultralytics pose export with one class.
std::vector<float> ultralytics_output(int k, const std::vector<std::vector<float>>& anchors) {
  const int c = 5 + 3 * k, a = static_cast<int>(anchors.size());
  std::vector<float> out(c * a);
  for (int j = 0; j < a; ++j)
    for (int i = 0; i < c; ++i) out[i * a + j] = anchors[j][i];
  return out;
}

TEST(PoseDecode, DecodesUltralyticsLayoutWithThresholdAndNms) {
  // cx cy w h score, then (x y v) x 2 keypoints.
  const auto data = ultralytics_output(
      2, {{100, 50, 40, 20, 0.9f, 90, 45, 0.95f, 110, 55, 0.2f},
          {101, 51, 40, 20, 0.8f, 0, 0, 0, 0, 0, 0},       // duplicate of the first
          {200, 150, 20, 20, 0.1f, 0, 0, 0, 0, 0, 0},      // under the score threshold
          {300, 100, 10, 30, 0.6f, 300, 90, 0.7f, 300, 110, 0.4f}});
  DecodeOptions o;
  const auto found = decode_yolo_pose(data.data(), 11, 4, 2, o);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_FLOAT_EQ(found[0].score, 0.9f);
  EXPECT_DOUBLE_EQ(found[0].box.x1, 80);
  EXPECT_DOUBLE_EQ(found[0].box.y2, 60);
  EXPECT_DOUBLE_EQ(found[0].keypoints[0].x, 90);
  EXPECT_EQ(found[0].keypoints[0].v, Visibility::kVisible);
  EXPECT_EQ(found[0].keypoints[1].v, Visibility::kOccluded);
  EXPECT_FLOAT_EQ(found[0].keypoint_scores[1], 0.2f);
  EXPECT_DOUBLE_EQ(found[1].box.cy(), 100);
  o.max_det = 1;
  EXPECT_EQ(decode_yolo_pose(data.data(), 11, 4, 2, o).size(), 1u);
}

TEST(PoseDecode, RejectsAChannelCountThatDoesNotFitTheSkeleton) {
  const std::vector<float> data(10 * 3, 0.f);
  try {
    decode_yolo_pose(data.data(), 10, 3, 4, {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "pose output: 10 channels cannot hold 4 box + classes + 3 x 4 keypoint values");
  }
}

}  // namespace
}  // namespace bt::pose
