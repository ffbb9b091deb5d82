// The two-stream video classifier: fusion arithmetic, ROI clips with flow from a real
// encoded video, the nets' training on a tiny task and the model folder.
#include <gtest/gtest.h>

#if BT_BEHAVIOR_VIDEO
#include <cmath>
#include <algorithm>
#include <fstream>
#include <opencv2/imgproc.hpp>

#include "behavior/behavior_fixtures.h"
#include "behavtrack/behavior/video_classifier.h"
#include "behavtrack/behavior/video_predict.h"
#include "behavtrack/core/error.h"
#include "behavtrack/video/video_writer.h"
#include "test_support.h"
#if BT_TEST_HAVE_SYNTH
#include "behavtrack/synth/synth.h"
#endif

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

TEST(VideoClips, TheCacheGivesTheSameClipsAndFollowsTheLabels) {
  test::TempDir dir;
  InstancesFile tracks;
  write_moving_squares(dir / "v.mp4", tracks, 30);
  LabelSet labels = labels_from_instances(tracks, {"resting", "running"}, "v");
  ClipOptions c = small_clips();
  c.cache_dir = dir / "cache";
  const ClipSet cut = extract_clips(dir / "v.mp4", tracks, &labels, c, {});
  const ClipSet again = extract_clips(dir / "v.mp4", tracks, &labels, c, {});
  auto cache_files = [&] {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir / "cache")) n += e.path().extension() == ".clips";
    return n;
  };
  EXPECT_EQ(cache_files(), 1);
  EXPECT_EQ(again.rgb, cut.rgb);
  EXPECT_EQ(again.flow, cut.flow);
  EXPECT_EQ(again.labels, cut.labels);
  EXPECT_EQ(again.frames, cut.frames);
  EXPECT_EQ(again.ids, cut.ids);
  // A changed label must not read the stale clips.
  labels.set(0, TrackId(1), 1);
  const ClipSet relabelled = extract_clips(dir / "v.mp4", tracks, &labels, c, {});
  EXPECT_EQ(cache_files(), 2);
  EXPECT_EQ(relabelled.labels[0], 1);
}

TEST(VideoClips, ABrokenCacheFileIsNamed) {
  test::TempDir dir;
  std::ofstream(dir / "bad.clips") << "BTCLIPS1 but nothing after";
  try {
    read_clip_file(dir / "bad.clips");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "clip cache '" + (dir / "bad.clips").string() + "': not a behavtrack clip file");
  }
  ClipSet one;
  one.n_frames = 2;
  one.size_px = 4;
  one.rgb.assign(one.rgb_stride(), 7);
  one.flow.assign(one.flow_stride(), -3);
  one.labels = {1};
  one.frames = {5};
  one.ids = {TrackId(2)};
  write_clip_file(dir / "one.clips", one);
  std::filesystem::resize_file(dir / "one.clips", std::filesystem::file_size(dir / "one.clips") - 1);
  try {
    read_clip_file(dir / "one.clips");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "clip cache '" + (dir / "one.clips").string() + "': truncated or oversized clip file");
  }
}

TEST(VideoClassifier, TrainingOptionsAreValidated) {
  VideoClassifierOptions o;
  o.label_smoothing = std::nan("");
  EXPECT_THROW(o.validate(), Error);
  try {
    o.validate();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "video classifier: label_smoothing nan must be in [0, 1)");
  }
  o = {};
  o.weight_decay = -1;
  try {
    o.validate();
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "video classifier: weight_decay -1.000000 must be in [0, 1)");
  }
  try {
    class_balance_from_string("even");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "class balance 'even' is unknown; use none, weights or sampling");
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

#if BT_TEST_HAVE_SYNTH
// Mean recall over the behaviours present in `labels`: 1 / (their count) for any answer
// that ignores the clip (always the most frequent behaviour, or a random one).
double balanced_accuracy(const StreamScores& s, const std::vector<int>& labels, double rgb_weight) {
  const Evaluation e = evaluate_clips(s, labels, default_behaviors(), rgb_weight, 1 - rgb_weight);
  double sum = 0;
  int present = 0;
  for (const ClassMetrics& m : e.per_class)
    if (m.support > 0) sum += m.recall, ++present;
  return sum / present;
}

// Regression for the video model: a small two-stream run with the full model's clip recipe
// (keypoints drawn, fixed ROI, stem stride 2 in time, square-root class sampling) trained on
// the first 2/3 of a synthetic video (4 mice, 8 behaviours) recognises the behaviours of the
// last third, which it never saw, clearly above chance.
TEST(VideoClassifierSlow, SmallTwoStreamRunBeatsChanceOnUnseenSyntheticFrames) {
  test::TempDir dir;
  synth::SynthOptions s;
  s.n_mice = 4;
  s.seconds = 30;
  s.width = 320;
  s.height = 240;
  s.seed = 11;
  synth::write_synth(s, dir.path(), {});
  ClipOptions c;
  c.stored_px = 36;
  c.input_px = 32;
  c.stride_frames = 6;
  c.draw_keypoints = true;
  c.fixed_roi = true;
  const LoadedVideo v = load_labelled_video(dir / "truth.json", {}, default_behaviors(), "");
  const ClipSet clips = extract_clips(dir / "video.mp4", v.tracks, &v.labels, c, {});
  std::vector<std::size_t> train, test;
  const FrameIndex split = static_cast<FrameIndex>(s.n_frames() * 2 / 3);
  for (std::size_t i = 0; i < clips.size(); ++i) {  // no video frame in both parts
    if (clips.frames[i] + c.frames_after < split) train.push_back(i);
    if (clips.frames[i] - c.frames_before >= split) test.push_back(i);
  }
  VideoClassifierOptions o;
  o.base_channels = 8;
  o.epochs = 6;
  o.batch_size = 16;
  o.learning_rate = 3e-3;
  o.temporal_stride = 2;
  o.class_balance = ClassBalance::kSampling;
  o.clips = c;
  const VideoClassifier clf = VideoClassifier::train(clips, train, o, {});
  const ClipSet unseen = clips.subset(test);
  const StreamScores scores = clf.score(unseen, {});
  int present = 0;
  for (int k = 0; k < 8; ++k) present += std::count(unseen.labels.begin(), unseen.labels.end(), k) > 0;
  const double chance = 1.0 / present, balanced = balanced_accuracy(scores, unseen.labels, o.rgb_weight);
  RecordProperty("chance", std::to_string(chance));
  RecordProperty("balanced_accuracy", std::to_string(balanced));
  RecordProperty("accuracy", std::to_string(fused_accuracy(scores, unseen.labels, o.rgb_weight, o.flow_weight)));
  EXPECT_GE(balanced, 2 * chance) << present << " behaviours in the unseen part";
}
#endif

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
