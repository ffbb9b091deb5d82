#include "behavtrack/behavior/pose_features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "behavior/behavior_fixtures.h"
#include "behavtrack/core/error.h"

namespace bt::behavior {
namespace {

constexpr double kPi = 3.14159265358979323846;

struct Rows {
  std::vector<std::string> names;
  std::map<std::pair<FrameIndex, int>, std::vector<float>> by_frame_id;
  std::vector<FrameIndex> emitted_order;
  float at(FrameIndex f, int id, const std::string& name) const {
    const auto i = std::find(names.begin(), names.end(), name) - names.begin();
    EXPECT_LT(static_cast<std::size_t>(i), names.size()) << name;
    return by_frame_id.at({f, id}).at(static_cast<std::size_t>(i));
  }
};

PoseFeatureOptions options_for(const InstancesFile& f) {
  PoseFeatureOptions o;
  o.fps = f.header.fps;
  o.width = f.header.width;
  o.height = f.header.height;
  return o;
}

Rows extract(const InstancesFile& f, PoseFeatureOptions o) {
  PoseFeatureExtractor fx(o);
  Rows rows;
  rows.names = fx.feature_names();
  const FeatureSink sink = [&](FrameIndex fr, TrackId id, const float* v) {
    rows.by_frame_id[{fr, id.value}] = std::vector<float>(v, v + rows.names.size());
    rows.emitted_order.push_back(fr);
  };
  for (const auto& frame : f.frames) fx.push(frame, sink);
  fx.finish(sink);
  return rows;
}

// One mouse moving along +x at 3 px per frame at 30 fps: 90 px/s.
InstancesFile mouse_at_constant_speed(int n_frames) {
  InstancesFile f = test::empty_tracks();
  for (int t = 0; t < n_frames; ++t) f.frames.push_back({t, {test::make_mouse(1, 100 + 3.0 * t, 50, 0, 40)}});
  return f;
}

TEST(PoseFeatures, MouseAtKnownSpeed) {
  const Rows r = extract(mouse_at_constant_speed(90), options_for(mouse_at_constant_speed(1)));
  EXPECT_TRUE(std::isnan(r.at(0, 1, "speed_px_s")));  // no previous frame
  EXPECT_NEAR(r.at(10, 1, "speed_px_s"), 90.0, 1e-3);
  EXPECT_NEAR(r.at(10, 1, "nose_speed_px_s"), 90.0, 1e-3);
  EXPECT_NEAR(r.at(10, 1, "accel_px_s2"), 0.0, 1e-3);
  EXPECT_NEAR(r.at(10, 1, "turn_rad_s"), 0.0, 1e-6);
  EXPECT_NEAR(r.at(45, 1, "speed_px_s_mean_61f"), 90.0, 1e-3);
  EXPECT_NEAR(r.at(45, 1, "speed_px_s_std_61f"), 0.0, 1e-2);
  EXPECT_NEAR(r.at(45, 1, "body_len_px"), 40.0, 1e-4);
  EXPECT_NEAR(r.at(45, 1, "body_len_rel"), 1.0, 1e-5);
  EXPECT_NEAR(r.at(45, 1, "wall_px"), 50.0, 1e-4);      // y = 50 is the nearest border
  EXPECT_NEAR(r.at(45, 1, "bend_rad"), 0.0, 1e-5);
  EXPECT_TRUE(std::isnan(r.at(45, 1, "nose_nose_px")));  // alone: no social features
}

TEST(PoseFeatures, TwoMiceAtKnownDistance) {
  InstancesFile f = test::empty_tracks();
  // Mouse 1 at x=200 facing +x, mouse 2 at x=300 facing -x: they face each other.
  for (int t = 0; t < 5; ++t)
    f.frames.push_back({t, {test::make_mouse(1, 200, 200, 0, 40), test::make_mouse(2, 300, 200, kPi, 40)}});
  const Rows r = extract(f, options_for(f));
  EXPECT_NEAR(r.at(2, 1, "nose_nose_px"), 60.0, 1e-4);   // 220 .. 280
  EXPECT_NEAR(r.at(2, 1, "nose_tail_px"), 100.0, 1e-4);  // 220 .. 320
  EXPECT_NEAR(r.at(2, 1, "nose_body_px"), 80.0, 1e-4);   // 220 .. 300
  EXPECT_NEAR(r.at(2, 1, "body_body_px"), 100.0, 1e-4);
  EXPECT_NEAR(r.at(2, 1, "rel_heading_rad"), kPi, 1e-4);
  EXPECT_NEAR(r.at(2, 1, "facing_rad"), 0.0, 1e-4);
  EXPECT_NEAR(r.at(2, 2, "facing_rad"), 0.0, 1e-4);
  EXPECT_NEAR(r.at(2, 1, "n_close"), 0.0, 0);            // 100 px > 1.5 body lengths (60 px)
  EXPECT_NEAR(r.at(2, 1, "approach_px_s"), 0.0, 1e-4);
  EXPECT_NEAR(r.at(2, 1, "partner_speed_px_s"), 0.0, 1e-4);
}

TEST(PoseFeatures, ApproachSpeedWhenClosingIn) {
  InstancesFile f = test::empty_tracks();
  // Mouse 2 walks towards the still mouse 1 at 2 px per frame: approach 60 px/s for both.
  for (int t = 0; t < 10; ++t)
    f.frames.push_back({t, {test::make_mouse(1, 200, 200, 0, 40), test::make_mouse(2, 400 - 2.0 * t, 200, kPi, 40)}});
  const Rows r = extract(f, options_for(f));
  EXPECT_NEAR(r.at(5, 1, "approach_px_s"), 60.0, 1e-3);
  EXPECT_NEAR(r.at(5, 2, "approach_px_s"), 60.0, 1e-3);
  EXPECT_NEAR(r.at(5, 1, "partner_speed_px_s"), 60.0, 1e-3);
}

TEST(PoseFeatures, RearingShortensBodyRelativeToItsMean) {
  InstancesFile f = test::empty_tracks();
  for (int t = 0; t < 300; ++t) f.frames.push_back({t, {test::make_mouse(1, 200, 200, 0, 40)}});
  f.frames.push_back({300, {test::make_mouse(1, 200, 200, 0, 20)}});
  const Rows r = extract(f, options_for(f));
  EXPECT_NEAR(r.at(300, 1, "body_len_px"), 20.0, 1e-4);
  EXPECT_LT(r.at(300, 1, "body_len_rel"), 0.55);
}

TEST(PoseFeatures, StreamsWithBoundedLag) {
  PoseFeatureOptions o = options_for(mouse_at_constant_speed(1));
  PoseFeatureExtractor fx(o);
  FrameIndex last_pushed = -1, max_lag = 0;
  std::size_t n = 0;
  const FeatureSink sink = [&](FrameIndex fr, TrackId, const float*) {
    max_lag = std::max(max_lag, last_pushed - fr);
    ++n;
  };
  const InstancesFile f = mouse_at_constant_speed(500);
  for (const auto& frame : f.frames) {
    last_pushed = frame.frame;
    fx.push(frame, sink);
  }
  EXPECT_GT(n, 400u);  // most rows come out before finish(): nothing waits for the end
  fx.finish(sink);
  EXPECT_EQ(n, 500u);
  EXPECT_EQ(max_lag, 30);  // half of the longest window (2 s = 61 frames at 30 fps)
}

TEST(PoseFeatures, GapsEndDerivativesAndKeepFrameOrder) {
  InstancesFile f = test::empty_tracks();
  f.frames.push_back({0, {test::make_mouse(1, 100, 100, 0, 40)}});
  f.frames.push_back({1, {test::make_mouse(1, 103, 100, 0, 40)}});
  f.frames.push_back({5, {test::make_mouse(1, 200, 100, 0, 40)}});
  const Rows r = extract(f, options_for(f));
  EXPECT_EQ(r.emitted_order, (std::vector<FrameIndex>{0, 1, 5}));
  EXPECT_NEAR(r.at(1, 1, "speed_px_s"), 90.0, 1e-3);
  EXPECT_TRUE(std::isnan(r.at(5, 1, "speed_px_s")));  // the gap is not a 100 px jump
}

TEST(PoseFeatures, BadOptionsNameTheField) {
  PoseFeatureOptions o;
  o.width = 640;
  o.height = 480;
  o.fps = std::nan("");
  EXPECT_THROW(
      {
        try {
          o.validate();
        } catch (const Error& e) {
          EXPECT_STREQ(e.what(), "pose features: fps nan must be > 0");
          throw;
        }
      },
      Error);
  o.fps = 30;
  o.nose_keypoint = "snout";
  try {
    o.validate();
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "pose features: nose_keypoint 'snout' is not in the skeleton");
  }
  o.nose_keypoint = "nose";
  o.windows_s = {0.5, -1};
  try {
    o.validate();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("pose features: window -1", 0), 0u) << e.what();
  }
}

TEST(PoseFeatures, NamesDocumentEveryValue) {
  PoseFeatureExtractor fx(options_for(mouse_at_constant_speed(1)));
  const auto& base = PoseFeatureExtractor::base_signal_names();
  EXPECT_EQ(base.size(), 22u);
  EXPECT_EQ(fx.feature_names().size(), base.size() * (1 + 2 * 3));
  EXPECT_EQ(fx.feature_names()[base.size()], "body_len_px_mean_7f");
}

}  // namespace
}  // namespace bt::behavior
