// The two-stream video classifier: fusion arithmetic, ROI clips with flow from a real
// encoded video, the nets' training on a tiny task and the model folder.
#include <gtest/gtest.h>

#if BT_BEHAVIOR_VIDEO
#include <fstream>
#include <opencv2/imgproc.hpp>

#include "behavior/behavior_fixtures.h"
#include "behavtrack/behavior/video_classifier.h"
#include "behavtrack/behavior/video_predict.h"
#include "behavtrack/core/error.h"
#include "behavtrack/video/video_writer.h"
#include "test_support.h"

namespace bt::behavior {
namespace {

StreamScores two_clip_scores() {
  StreamScores s;
  s.n_classes = 2;
  s.rgb = {0.9f, 0.1f, 0.8f, 0.2f};   // says class 0 for both clips
  s.flow = {0.3f, 0.7f, 0.1f, 0.9f};  // says class 1 for both clips
  return s;
}

TEST(Fusion, WeightsZeroAndOneGiveTheSingleStreams) {
  const StreamScores s = two_clip_scores();
  const std::vector<float> rgb_only = fuse_scores(s, 1.0, 0.0), flow_only = fuse_scores(s, 0.0, 1.0);
  EXPECT_EQ(rgb_only, s.rgb);
  EXPECT_EQ(flow_only, s.flow);
  const std::vector<int> labels = {0, 1};
  EXPECT_DOUBLE_EQ(fused_accuracy(s, labels, 1.0, 0.0), 0.5);
  EXPECT_DOUBLE_EQ(fused_accuracy(s, labels, 0.0, 1.0), 0.5);
  const auto sweep = fusion_sweep(s, labels);
  ASSERT_EQ(sweep.size(), 11u);
  EXPECT_DOUBLE_EQ(sweep.front().first, 0.0);
  EXPECT_DOUBLE_EQ(sweep.back().first, 1.0);
  EXPECT_DOUBLE_EQ(sweep.front().second, fused_accuracy(s, labels, 0.0, 1.0));
  EXPECT_DOUBLE_EQ(sweep.back().second, fused_accuracy(s, labels, 1.0, 0.0));
  // At 0.5 / 0.5 clip 0 is 0.6 vs 0.4 (class 0, right) and clip 1 0.45 vs 0.55 (class 1, right).
  EXPECT_DOUBLE_EQ(sweep[5].second, 1.0);
}

TEST(Fusion, BadWeightsAreNamed) {
  try {
    fuse_scores(two_clip_scores(), 0.0, 0.0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "fusion: rgb_weight 0.000000 / flow_weight 0.000000 must be >= 0 and not both 0");
  }
}

// A 160x120 video of two bright "mice": mouse 1 still, mouse 2 moving right 3 px a frame.
void write_moving_squares(const std::filesystem::path& path, InstancesFile& tracks, int n_frames) {
  video::WriterOptions o;
  o.width = 160;
  o.height = 120;
  video::VideoWriter w(path, o);
  tracks = test::empty_tracks(30, 160, 120);
  for (int t = 0; t < n_frames; ++t) {
    cv::Mat img(120, 160, CV_8UC3, cv::Scalar(40, 40, 40));
    const double x2 = 20 + 3.0 * t;
    cv::rectangle(img, cv::Rect(30, 30, 20, 12), {220, 220, 220}, cv::FILLED);
    cv::rectangle(img, cv::Rect(static_cast<int>(x2), 80, 20, 12), {200, 220, 240}, cv::FILLED);
    w.write(img);
    Instance a = test::make_mouse(1, 40, 36, 0, 18), b = test::make_mouse(2, x2 + 10, 86, 0, 18);
    a.box = Box::from_xywh(30, 30, 20, 12);
    b.box = Box::from_xywh(x2, 80, 20, 12);
    a.behavior = "resting";
    b.behavior = "running";
    tracks.frames.push_back({t, {a, b}});
  }
  w.close();
}

ClipOptions small_clips() {
  ClipOptions c;
  c.stored_px = 40;
  c.input_px = 32;
  c.stride_frames = 2;
  return c;
}

TEST(VideoClips, RoiClipsCarryRgbAndFlow) {
  test::TempDir dir;
  InstancesFile tracks;
  write_moving_squares(dir / "v.mp4", tracks, 30);
  const LabelSet labels = labels_from_instances(tracks, {"resting", "running"}, "v");
  const ClipSet clips = extract_clips(dir / "v.mp4", tracks, &labels, small_clips(), {});
  ASSERT_EQ(clips.size(), 30u);  // 15 sampled frames x 2 mice
  EXPECT_EQ(clips.n_frames, 16);
  EXPECT_EQ(clips.rgb.size(), 30 * clips.rgb_stride());
  // Mean flow dx inside each clip: ~0 for the still mouse, clearly positive for the mover.
  auto mean_dx = [&](std::size_t i) {
    double sum = 0;
    const std::int8_t* f = clips.flow_at(i);
    for (std::size_t p = 0; p < clips.flow_stride(); p += 2) sum += f[p];
    return sum / (clips.flow_stride() / 2) / 4.0;  // px
  };
  const std::size_t still = clips.ids[10] == TrackId(1) ? 10 : 11, mover = still == 10 ? 11 : 10;
  EXPECT_EQ(clips.labels[still], 0);
  EXPECT_EQ(clips.labels[mover], 1);
  EXPECT_LT(std::abs(mean_dx(still)), 0.05);
  EXPECT_GT(mean_dx(mover), 0.2);
}

TEST(VideoClips, TracksLongerThanTheVideoAreRejected) {
  test::TempDir dir;
  InstancesFile tracks;
  write_moving_squares(dir / "v.mp4", tracks, 10);
  tracks.frames.push_back({25, {}});
  tracks.header.video = "v.mp4";
  try {
    extract_clips(dir / "v.mp4", tracks, nullptr, small_clips(), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "tracks 'v.mp4': frame 25 is beyond the 10 frames of '" + (dir / "v.mp4").string() +
                                         "'; frame counts do not match");
  }
}

TEST(VideoClassifierSlow, BothArchitecturesLearnStillVersusMoving) {
  test::TempDir dir;
  InstancesFile tracks;
  write_moving_squares(dir / "v.mp4", tracks, 40);
  const LabelSet labels = labels_from_instances(tracks, {"resting", "running"}, "v");
  const ClipSet clips = extract_clips(dir / "v.mp4", tracks, &labels, small_clips(), {});
  for (VideoArch arch : {VideoArch::kR2Plus1D, VideoArch::kI3D}) {
    VideoClassifierOptions o;
    o.behaviors = {"resting", "running"};
    o.arch = arch;
    o.base_channels = 4;
    o.epochs = 30;
    o.batch_size = 8;
    o.learning_rate = 1e-2;
    o.clips = small_clips();
    const VideoClassifier clf = VideoClassifier::train(clips, o, {});
    const StreamScores s = clf.score(clips, {});
    EXPECT_GE(fused_accuracy(s, clips.labels, 0.0, 1.0), 0.9) << to_string(arch);  // motion is in the flow
    test::TempDir models;
    clf.save(models / "m");
    const StreamScores again = VideoClassifier::load(models / "m").score(clips, {});
    ASSERT_EQ(again.rgb.size(), s.rgb.size());
    for (std::size_t i = 0; i < s.rgb.size(); ++i) EXPECT_NEAR(again.rgb[i], s.rgb[i], 1e-5);
  }
}

TEST(VideoClassifierSlow, PredictsEveryTrackedFrame) {
  test::TempDir dir;
  InstancesFile tracks;
  write_moving_squares(dir / "v.mp4", tracks, 40);
  const LabelSet labels = labels_from_instances(tracks, {"resting", "running"}, "v");
  VideoClassifierOptions o;
  o.behaviors = {"resting", "running"};
  o.base_channels = 4;
  o.epochs = 30;
  o.learning_rate = 1e-2;
  o.clips = small_clips();
  const VideoClassifier clf = VideoClassifier::train(extract_clips(dir / "v.mp4", tracks, &labels, o.clips, {}), o, {});
  clf.save(dir / "m");
  EXPECT_EQ(behavior_model_kind(dir / "m"), "video");
  const BehaviorPrediction p = predict_video(VideoClassifier::load(dir / "m"), dir / "v.mp4", tracks, 4, 0, {});
  ASSERT_EQ(p.mice.size(), 2u);
  EXPECT_EQ(p.mice[0].frames.size(), 40u);
  int right = 0;
  for (const auto& m : p.mice)
    for (int c : m.classes) right += c == (m.id == TrackId(1) ? 0 : 1);
  EXPECT_GE(right, 72);  // >= 90% of 80 mouse-frames
}

TEST(VideoClassifier, PretrainedWeightsMustMatch) {
  test::TempDir dir;
  std::ofstream(dir / "junk.pt") << "not torch";
  VideoClassifierOptions o;
  o.behaviors = {"a", "b"};
  o.pretrained_rgb = dir / "junk.pt";
  o.clips = small_clips();
  ClipSet clips;
  clips.n_frames = 16;
  clips.size_px = 40;
  clips.rgb.assign(clips.rgb_stride(), 0);
  clips.flow.assign(clips.flow_stride(), 0);
  clips.labels = {0};
  clips.frames = {0};
  clips.ids = {TrackId(1)};
  try {
    VideoClassifier::train(clips, o, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("pretrained weights '" + (dir / "junk.pt").string() + "': ", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace bt::behavior
#endif
