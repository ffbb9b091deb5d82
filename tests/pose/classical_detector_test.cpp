// The zero-label classical detector on drawn and on synthetic top-view mice.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "behavtrack/core/error.h"
#include "behavtrack/pose/classical_detector.h"
#include "behavtrack/pose/metrics.h"
#include "behavtrack/synth/synth.h"
#include "test_support.h"
#include <opencv2/imgcodecs.hpp>

namespace bt::pose {
namespace {

// A mouse (dark by default) on a floor, heading to +x: hips ellipse, tapering head, thin
// tail. Nose tip at (370, 200) + offset, tail base where the body ends at (255, 200) + offset.
void draw_mouse(cv::Mat& img, cv::Point offset, cv::Scalar coat) {
  cv::ellipse(img, cv::Point(300, 200) + offset, {45, 20}, 0, 0, 360, coat, cv::FILLED);
  cv::ellipse(img, cv::Point(345, 200) + offset, {25, 12}, 0, 0, 360, coat, cv::FILLED);
  cv::line(img, cv::Point(256, 200) + offset, cv::Point(180, 235) + offset, coat, 4);
}

cv::Mat drawn_mouse(const cv::Mat& floor, double angle_deg = 0) {
  cv::Mat img = floor.clone();
  draw_mouse(img, {0, 0}, cv::Scalar(30, 30, 30));
  if (angle_deg != 0) {
    const cv::Mat r = cv::getRotationMatrix2D({300, 200}, angle_deg, 1.0);
    cv::warpAffine(img, img, r, img.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  }
  return img;
}

double dist(const Keypoint& k, double x, double y) { return std::hypot(k.x - x, k.y - y); }

TEST(PoseClassical, PlacesKeypointsOnADrawnMouse) {
  const cv::Mat floor(400, 600, CV_8UC3, cv::Scalar(225, 225, 225));
  ClassicalDetector det;
  det.set_background(floor);
  const auto found = det.detect(drawn_mouse(floor));
  ASSERT_EQ(found.size(), 1u);
  const Instance& m = found[0];
  EXPECT_LT(dist(m.keypoints[0], 370, 200), 6) << m.keypoints[0].x << "," << m.keypoints[0].y;
  EXPECT_LT(dist(m.keypoints[3], 258, 200), 8) << m.keypoints[3].x << "," << m.keypoints[3].y;
  // Heading +x: the animal's left ear is on the image's upper side (y < 200).
  EXPECT_LT(m.keypoints[1].y, 200);
  EXPECT_GT(m.keypoints[2].y, 200);
  EXPECT_GT(m.keypoints[1].x, 300);
  // The tail is not part of the box.
  EXPECT_GT(m.box.x1, 245);
  EXPECT_NEAR(m.box.x2, 371, 3);
  EXPECT_GT(m.score, 0.5f);
}

TEST(PoseClassical, FindsTheHeadAtAnyOrientation) {
  const cv::Mat floor(400, 600, CV_8UC3, cv::Scalar(225, 225, 225));
  ClassicalDetector det;
  det.set_background(floor);
  for (double angle : {45.0, 135.0, 200.0, 290.0}) {
    const auto found = det.detect(drawn_mouse(floor, angle));
    ASSERT_EQ(found.size(), 1u) << angle;
    // The nose rotates about (300, 200) by -angle in image coordinates (y down).
    const double a = -angle * CV_PI / 180;
    const double nx = 300 + 70 * std::cos(a), ny = 200 + 70 * std::sin(a);
    EXPECT_LT(dist(found[0].keypoints[0], nx, ny), 8) << "angle " << angle;
  }
}

TEST(PoseClassical, FindsSyntheticMiceAndSplitsToTheKnownCount) {
  synth::SynthOptions o;
  o.n_mice = 3;
  o.seconds = 8;
  o.seed = 5;
  o.noise = 0.5;
  synth::SynthVideo sim(o);
  synth::SynthFrame f;
  std::vector<cv::Mat> frames;
  std::vector<std::vector<Instance>> truth;
  while (sim.next(f)) {
    if (f.index % 12) continue;
    frames.push_back(f.image.clone());
    truth.push_back(f.truth.instances);
  }
  ClassicalOptions co;
  co.n_animals = 3;
  ClassicalDetector det(co);
  det.set_background(median_background(frames));
  std::vector<std::vector<Instance>> pred;
  for (const auto& img : frames) pred.push_back(det.track(img));
  for (const auto& p : pred) EXPECT_LE(p.size(), 3u);
  const PoseMetrics m = evaluate_pose(truth, pred, Skeleton::default_mouse(), {});
  if (m.n_matched < 0.9 * m.n_truth) {  // keep what the detector saw, for a look
    std::filesystem::create_directories(test::output_dir());
    cv::imwrite((test::output_dir() / "classical_frame.png").string(), frames[0]);
    cv::imwrite((test::output_dir() / "classical_mask.png").string(), det.foreground(frames[0]));
  }
  // Mice at IoU >= 0.5: at least 90% of them (measured: all 60). Keypoints from the body
  // shape (measured: RMSE 13 px, within 10 px: nose 42%, tail base 48%, on ~115 px mice).
  EXPECT_GE(m.n_matched, 0.9 * m.n_truth) << m.to_json();
  EXPECT_GE(m.box_ap50, 0.9) << m.to_json();
  EXPECT_LE(m.rmse_px, 20) << m.to_json();
  EXPECT_GE(m.per_keypoint[0].pck10, 0.3) << m.to_json();
  EXPECT_GE(m.per_keypoint[3].pck10, 0.35) << m.to_json();
}

// A grey floor with a little shading, as BGR.
cv::Mat grey_floor() {
  cv::Mat floor(400, 600, CV_8UC3);
  for (int y = 0; y < floor.rows; ++y)
    for (int x = 0; x < floor.cols; ++x)
      floor.at<cv::Vec3b>(y, x) = cv::Vec3b::all(static_cast<uchar>(180 + 12 * x / floor.cols));
  return floor;
}

TEST(PoseClassical, BackgroundHidesAMouseThatNeverMoves) {
  // A black mouse rests in every frame; a white one crosses the arena.
  const cv::Mat floor = grey_floor();
  std::vector<cv::Mat> frames;
  for (int i = 0; i < 9; ++i) {
    cv::Mat img = floor.clone();
    draw_mouse(img, {-150, -100}, cv::Scalar(30, 30, 30));
    draw_mouse(img, {-200 + 40 * i, 120}, cv::Scalar(245, 245, 245));
    frames.push_back(img);
  }
  const cv::Mat bg = median_background(frames);
  ASSERT_EQ(bg.type(), CV_8UC3);
  // The resting mouse's place shows the floor (a plain median would show the mouse).
  const cv::Vec3b at = bg.at<cv::Vec3b>(100, 150), expected = floor.at<cv::Vec3b>(100, 150);
  EXPECT_NEAR(at[1], expected[1], 8);
  ClassicalOptions co;
  co.n_animals = 2;
  ClassicalDetector det(co);
  det.set_background(bg);
  const auto found = det.detect(frames[4]);
  ASSERT_EQ(found.size(), 2u);
  const Box resting = Box::from_xyxy(105, 80, 221, 121), moving = Box::from_xyxy(215, 300, 331, 341);
  const double r = std::max(iou(found[0].box, resting), iou(found[1].box, resting));
  const double v = std::max(iou(found[0].box, moving), iou(found[1].box, moving));
  EXPECT_GT(r, 0.7);
  EXPECT_GT(v, 0.7);
}

TEST(PoseClassical, SeparatesAWhiteMouseTouchingABlackOne) {
  const cv::Mat floor = grey_floor();
  cv::Mat img = floor.clone();
  draw_mouse(img, {0, -20}, cv::Scalar(30, 30, 30));
  draw_mouse(img, {0, 20}, cv::Scalar(240, 240, 240));  // flank to flank
  ClassicalOptions co;
  co.n_animals = 2;
  ClassicalDetector det(co);
  det.set_background(floor);
  const auto found = det.detect(img);
  ASSERT_EQ(found.size(), 2u);
  const Box top = Box::from_xyxy(255, 160, 371, 201), bottom = Box::from_xyxy(255, 200, 371, 241);
  EXPECT_GT(std::max(iou(found[0].box, top), iou(found[1].box, top)), 0.7);
  EXPECT_GT(std::max(iou(found[0].box, bottom), iou(found[1].box, bottom)), 0.7);
  for (const auto& m : found) EXPECT_LT(dist(m.keypoints[0], 370, m.box.cy()), 8);
}

TEST(PoseClassical, AShadowOrABrighterFrameIsNoMouse) {
  const cv::Mat floor = grey_floor();
  cv::Mat img = floor.clone();
  // A soft shadow (30% darker) offset down-right of a white mouse.
  cv::Mat shadow = cv::Mat::zeros(floor.size(), CV_8U);
  draw_mouse(shadow, {5, 6}, cv::Scalar(255));
  cv::GaussianBlur(shadow, shadow, cv::Size(0, 0), 3);
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x)
      img.at<cv::Vec3b>(y, x) *= 1.0 - 0.3 * shadow.at<uchar>(y, x) / 255.0;
  draw_mouse(img, {0, 0}, cv::Scalar(240, 240, 240));
  ClassicalDetector det;  // count unknown: every blob is reported
  det.set_background(floor);
  EXPECT_EQ(det.detect(img).size(), 1u);
  // The lamp 8% brighter: 15 grey levels on the floor, no mouse.
  cv::Mat brighter;
  floor.convertTo(brighter, -1, 1.08);
  EXPECT_TRUE(det.detect(brighter).empty());
}

TEST(PoseClassical, VideoBackgroundErrors) {
  try {
    video_background("no_such_video.mp4", 0);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "background: n_samples = 0: must be >= 1");
  }
  EXPECT_THROW(video_background("no_such_video.mp4", 5), Error);
  ClassicalOptions o;
  o.shadow_max_fraction = 1;
  try {
    o.validate();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "shadow_max_fraction = 1: must be in [0, 1)");
  }
}

TEST(PoseClassical, NeedsABackgroundOfTheFrameSize) {
  ClassicalDetector det;
  const cv::Mat frame(100, 100, CV_8UC3, cv::Scalar::all(0));
  try {
    det.detect(frame);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "classical detector: no background set");
  }
  det.set_background(cv::Mat(50, 60, CV_8UC1, cv::Scalar::all(0)));
  try {
    det.detect(frame);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "classical detector: frame 100x100 differs from the background 60x50");
  }
  EXPECT_THROW(median_background({}), Error);
}

}  // namespace
}  // namespace bt::pose
