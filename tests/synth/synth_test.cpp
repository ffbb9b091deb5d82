// Synthetic mice: options, determinism, truth against pixels, the behaviour repertoire.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

#include "behavtrack/core/error.h"
#include "behavtrack/synth/synth.h"

namespace bt::synth {
namespace {

SynthOptions small_options() {
  SynthOptions o;
  o.n_mice = 3;
  o.seconds = 2;
  o.width = 320;
  o.height = 240;
  o.seed = 11;
  return o;
}

std::vector<SynthFrame> run_all(const SynthOptions& o) {
  SynthVideo sim(o);
  std::vector<SynthFrame> frames;
  SynthFrame f;
  while (sim.next(f)) {
    SynthFrame copy = f;
    copy.image = f.image.clone();
    copy.labels = f.labels.clone();
    frames.push_back(std::move(copy));
  }
  return frames;
}

bool same_image(const cv::Mat& a, const cv::Mat& b) {
  if (a.empty() || b.empty()) return a.empty() && b.empty();
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

bool same_truth(const FrameInstances& a, const FrameInstances& b) {
  if (a.frame != b.frame || a.instances.size() != b.instances.size()) return false;
  for (std::size_t i = 0; i < a.instances.size(); ++i) {
    const Instance &x = a.instances[i], &y = b.instances[i];
    if (!(x.box == y.box) || x.keypoints != y.keypoints || x.id != y.id || x.behavior != y.behavior)
      return false;
  }
  return true;
}

std::string validation_error(const SynthOptions& o) {
  try {
    o.validate();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    return e.what();
  }
  return "no error";
}

// ---- options ----------------------------------------------------------------------------

TEST(SynthOptions, DefaultsAreValid) {
  SynthOptions o;
  EXPECT_NO_THROW(o.validate());
  EXPECT_EQ(o.n_frames(), 1800);
}

TEST(SynthOptions, EachBadFieldIsNamedWithItsValue) {
  SynthOptions o;
  o.n_mice = 0;
  EXPECT_EQ(validation_error(o), "synth options: n_mice: expected 1..20, got 0");
  o = {};
  o.seconds = std::nan("");
  EXPECT_EQ(validation_error(o), "synth options: seconds: expected a duration in (0, 86400] s, got nan");
  o = {};
  o.fps = 0;
  EXPECT_EQ(validation_error(o), "synth options: fps: expected a frame rate in (0, 240], got 0");
  o = {};
  o.width = 641;
  EXPECT_EQ(validation_error(o),
            "synth options: width: expected an even number of pixels in 64..4096, got 641");
  o = {};
  o.height = 32;
  EXPECT_EQ(validation_error(o),
            "synth options: height: expected an even number of pixels in 64..4096, got 32");
  o = {};
  o.width = 1280;
  o.height = 400;
  EXPECT_EQ(validation_error(o), "synth options: width x height: expected a frame at most 3 times "
                                 "as long as it is wide, got 1280x400");
  o = {};
  o.noise = -0.5;
  EXPECT_EQ(validation_error(o), "synth options: noise: expected a scale in [0, 10], got -0.5");
  o = {};
  o.seconds = 0.01;
  EXPECT_EQ(validation_error(o),
            "synth options: seconds: expected at least one frame at 30 fps, got 0.01");
}

TEST(SynthVideo, ConstructorValidates) {
  SynthOptions o;
  o.n_mice = 21;
  EXPECT_THROW(SynthVideo{o}, Error);
}

// ---- determinism ------------------------------------------------------------------------

TEST(SynthVideo, SameSeedGivesIdenticalFramesAndTruth) {
  const auto a = run_all(small_options());
  const auto b = run_all(small_options());
  ASSERT_EQ(a.size(), 60u);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_TRUE(same_image(a[i].image, b[i].image)) << "frame " << i;
    ASSERT_TRUE(same_truth(a[i].truth, b[i].truth)) << "frame " << i;
  }
}

TEST(SynthVideo, DifferentSeedGivesDifferentFramesAndTruth) {
  SynthOptions o = small_options();
  const auto a = run_all(o);
  o.seed = 12;
  const auto b = run_all(o);
  EXPECT_FALSE(same_image(a[0].image, b[0].image));
  EXPECT_FALSE(same_truth(a[0].truth, b[0].truth));
  EXPECT_FALSE(same_truth(a.back().truth, b.back().truth));
}

TEST(SynthVideo, TruthOnlyRunHasTheRenderedRunsTruth) {
  SynthOptions o = small_options();
  const auto rendered = run_all(o);
  o.render = false;
  const auto truth_only = run_all(o);
  ASSERT_EQ(rendered.size(), truth_only.size());
  for (std::size_t i = 0; i < rendered.size(); ++i) {
    EXPECT_TRUE(truth_only[i].image.empty());
    ASSERT_TRUE(same_truth(rendered[i].truth, truth_only[i].truth)) << "frame " << i;
    ASSERT_TRUE(same_image(rendered[i].labels, truth_only[i].labels)) << "frame " << i;
  }
}

TEST(SynthVideo, FramesHaveTheRequestedSizeCountAndIds) {
  SynthOptions o = small_options();
  o.arena = Arena::kBedding;
  o.fps = 25;
  const auto frames = run_all(o);
  ASSERT_EQ(frames.size(), 50u);
  for (const SynthFrame& f : frames) {
    EXPECT_EQ(f.image.type(), CV_8UC3);
    EXPECT_EQ(f.image.cols, 320);
    EXPECT_EQ(f.image.rows, 240);
    ASSERT_EQ(f.truth.instances.size(), 3u);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(f.truth.instances[i].id, TrackId(i + 1));
      EXPECT_EQ(f.truth.instances[i].keypoints.size(), 4u);
    }
  }
  EXPECT_DOUBLE_EQ(frames[25].time_s, 1.0);
}

TEST(SynthVideo, NoiseZeroIsCleanAndNoiseAddsGrain) {
  SynthOptions o = small_options();
  o.n_mice = 1;
  o.seconds = 0.2;
  o.noise = 0;
  SynthVideo clean(o);
  SynthFrame f;
  ASSERT_TRUE(clean.next(f));
  // Beyond the reach of the mouse and its tail the clean frame is exactly the arena.
  cv::Mat diff;
  cv::absdiff(f.image, clean.background(), diff);
  const Box near = f.truth.instances[0].box;
  cv::Mat far(diff.size(), CV_8UC1, cv::Scalar(255));
  cv::rectangle(far, cv::Point(static_cast<int>(near.x1) - 70, static_cast<int>(near.y1) - 70),
                cv::Point(static_cast<int>(near.x2) + 70, static_cast<int>(near.y2) + 70),
                cv::Scalar(0), cv::FILLED);
  ASSERT_GT(cv::countNonZero(far), 10000);
  cv::Mat diff_gray;
  cv::cvtColor(diff, diff_gray, cv::COLOR_BGR2GRAY);
  EXPECT_EQ(cv::countNonZero(diff_gray & far), 0);
  const cv::Rect corner(0, 0, 60, 40);

  o.noise = 2;
  SynthVideo noisy(o);
  SynthFrame g;
  ASSERT_TRUE(noisy.next(g));
  cv::Mat noise_diff;
  cv::absdiff(g.image, noisy.background(), noise_diff);
  cv::Scalar mean, sd;
  cv::meanStdDev(noise_diff(corner), mean, sd);
  EXPECT_GT(mean[0], 2.0) << "sensor noise of sd ~7 grey levels at noise 2";
}

TEST(SynthVideo, BeddingIsTexturedOpenFloorIsPlain) {
  SynthOptions o = small_options();
  o.noise = 0;
  auto floor_texture = [&](Arena arena) {
    o.arena = arena;
    SynthVideo sim(o);
    cv::Mat gray;
    cv::cvtColor(sim.background()(cv::Rect(100, 80, 120, 80)), gray, cv::COLOR_BGR2GRAY);
    cv::Mat fine;
    cv::Laplacian(gray, fine, CV_32F);
    cv::Scalar mean, sd;
    cv::meanStdDev(fine, mean, sd);
    return sd[0];
  };
  EXPECT_LT(floor_texture(Arena::kOpen), 2.0);
  EXPECT_GT(floor_texture(Arena::kBedding), 10.0);
}

TEST(SynthVideo, WallsHoldEveryMouseOnTheFloor) {
  SynthOptions o;
  o.seconds = 90;
  o.render = false;
  SynthVideo sim(o);
  // The floor: the frame less a wall border of 3.5% of the shorter side (17 px here).
  const double border = 17;
  SynthFrame f;
  while (sim.next(f)) {
    for (const Instance& inst : f.truth.instances) {
      ASSERT_GE(inst.box.x1, border) << "frame " << f.index;
      ASSERT_GE(inst.box.y1, border) << "frame " << f.index;
      ASSERT_LE(inst.box.x2, 640 - border) << "frame " << f.index;
      ASSERT_LE(inst.box.y2, 480 - border) << "frame " << f.index;
    }
  }
}

TEST(SynthVideo, SmallestFrameWithMostMiceRenders) {
  SynthOptions o;
  o.n_mice = kMaxMice;
  o.width = kMinSidePx;
  o.height = kMinSidePx;
  o.seconds = 1;
  SynthVideo sim(o);
  SynthFrame f;
  int frames = 0;
  while (sim.next(f)) {
    ++frames;
    ASSERT_EQ(f.truth.instances.size(), static_cast<std::size_t>(kMaxMice));
    for (const Instance& inst : f.truth.instances) {
      ASSERT_TRUE(inst.box.valid());
      ASSERT_GE(inst.box.x1, 0);
      ASSERT_LE(inst.box.x2, kMinSidePx);
    }
  }
  EXPECT_EQ(frames, 30);
}

// ---- truth against pixels ---------------------------------------------------------------

struct PixelCheck {
  int keypoints = 0, covered = 0, overlapping_frames = 0;
};

// Checks one frame's truth against its label image and (noise 0) against the pixels.
void check_frame(const SynthFrame& f, const cv::Mat& background, PixelCheck& totals) {
  const cv::Mat& labels = f.labels;
  ASSERT_EQ(labels.type(), CV_8UC1);
  bool overlap = false;
  for (std::size_t i = 0; i < f.truth.instances.size(); ++i) {
    const Instance& inst = f.truth.instances[i];
    const int id = inst.id->value;
    const Box& box = inst.box;
    ASSERT_TRUE(box.valid());
    ASSERT_GE(box.x1, 0);
    ASSERT_GE(box.y1, 0);
    ASSERT_LE(box.x2, labels.cols);
    ASSERT_LE(box.y2, labels.rows);
    // Every pixel showing this mouse's body lies inside its box.
    cv::Mat mine = labels == id;
    const cv::Rect inside(static_cast<int>(box.x1), static_cast<int>(box.y1),
                          static_cast<int>(box.width()), static_cast<int>(box.height()));
    const int total = cv::countNonZero(mine);
    ASSERT_EQ(cv::countNonZero(mine(inside)), total) << "frame " << f.index << " id " << id;
    for (std::size_t j = 0; j < f.truth.instances.size(); ++j)
      if (j != i && iou(box, f.truth.instances[j].box) > 0) overlap = true;

    for (const Keypoint& k : inst.keypoints) {
      ASSERT_GE(k.x, box.x1);
      ASSERT_LT(k.x, box.x2);
      ASSERT_GE(k.y, box.y1);
      ASSERT_LT(k.y, box.y2);
      const int col = static_cast<int>(std::floor(k.x)), row = static_cast<int>(std::floor(k.y));
      const int top = labels.at<uchar>(row, col);
      ++totals.keypoints;
      if (k.v == Visibility::kVisible) {
        ASSERT_EQ(top, id) << "a visible keypoint lies on its own mouse, frame " << f.index;
        // ...and that mouse is drawn there: the pixel is not the empty floor.
        const cv::Vec3b px = f.image.at<cv::Vec3b>(row, col), bg = background.at<cv::Vec3b>(row, col);
        int diff = 0;
        for (int c = 0; c < 3; ++c) diff = std::max(diff, std::abs(px[c] - bg[c]));
        ASSERT_GT(diff, 10) << "frame " << f.index << " id " << id << " keypoint "
                            << (&k - inst.keypoints.data()) << " pixel " << px << " floor " << bg;
      } else {
        ASSERT_EQ(k.v, Visibility::kOccluded);
        ASSERT_NE(top, 0);
        ASSERT_NE(top, id) << "an occluded keypoint is covered by another mouse";
        ++totals.covered;
      }
    }
  }
  totals.overlapping_frames += overlap;
}

TEST(SynthTruth, KeypointsBoxesAndVisibilityAgreeWithPixels) {
  SynthOptions o;
  o.n_mice = 5;
  o.seconds = 20;
  o.noise = 0;
  o.seed = 5;
  SynthVideo sim(o);
  SynthFrame f;
  PixelCheck totals;
  while (sim.next(f)) {
    check_frame(f, sim.background(), totals);
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(totals.keypoints, 600 * 5 * 4);
  // Not vacuous: mice cross and cover each other's keypoints in 20 s.
  EXPECT_GT(totals.covered, 20);
  EXPECT_GT(totals.overlapping_frames, 60);
}

TEST(SynthTruth, BoxIsTheTightBoxOfTheBody) {
  SynthOptions o = small_options();
  o.n_mice = 1;
  o.seconds = 3;
  SynthVideo sim(o);
  SynthFrame f;
  while (sim.next(f)) {
    const cv::Rect body = cv::boundingRect(f.labels == 1);
    EXPECT_EQ(f.truth.instances[0].box, Box::from_xywh(body.x, body.y, body.width, body.height));
  }
}

TEST(SynthTruth, EarLIsTheAnimalsOwnLeft) {
  // Seen from above with y down, the animal's left is (d.y, -d.x) for heading d.
  SynthOptions o = small_options();
  o.render = false;
  SynthVideo sim(o);
  SynthFrame f;
  while (sim.next(f)) {
    for (const Instance& inst : f.truth.instances) {
      const Keypoint &nose = inst.keypoints[0], &l = inst.keypoints[1], &r = inst.keypoints[2];
      const double mx = (l.x + r.x) / 2, my = (l.y + r.y) / 2;
      const double dx = nose.x - mx, dy = nose.y - my;  // head direction
      const double left_x = dy, left_y = -dx;
      EXPECT_GT((l.x - mx) * left_x + (l.y - my) * left_y, 0) << "frame " << f.index;
    }
  }
}

// ---- behaviour --------------------------------------------------------------------------

std::map<std::string, int> behaviour_counts(int n_mice, double seconds, std::uint64_t seed) {
  SynthOptions o;
  o.n_mice = n_mice;
  o.seconds = seconds;
  o.seed = seed;
  o.render = false;
  SynthVideo sim(o);
  SynthFrame f;
  std::map<std::string, int> counts;
  while (sim.next(f))
    for (const Instance& inst : f.truth.instances) ++counts[inst.behavior];
  return counts;
}

TEST(SynthBehavior, EveryBehaviourOccursInTwoMinutesOfFourOrFiveMice) {
  for (int n_mice : {4, 5}) {
    for (std::uint64_t seed : {1, 2}) {
      const auto counts = behaviour_counts(n_mice, 120, seed);
      for (const std::string& b : default_behaviors())
        EXPECT_GT(counts.count(b) ? counts.at(b) : 0, 30)
            << b << " with " << n_mice << " mice, seed " << seed;
      EXPECT_EQ(counts.size(), default_behaviors().size());
    }
  }
}

TEST(SynthBehavior, PartnersAreConsistent) {
  SynthOptions o;
  o.seconds = 60;
  o.render = false;
  SynthVideo sim(o);
  SynthFrame f;
  const std::set<std::string> social = {"fighting", "allogrooming", "close_investigation"};
  while (sim.next(f)) {
    ASSERT_EQ(f.partner_ids.size(), f.truth.instances.size());
    for (std::size_t i = 0; i < f.truth.instances.size(); ++i) {
      const Instance& inst = f.truth.instances[i];
      const int partner = f.partner_ids[i];
      if (!social.count(inst.behavior)) {
        ASSERT_EQ(partner, 0) << inst.behavior;
        continue;
      }
      ASSERT_GE(partner, 1);
      ASSERT_LE(partner, 5);
      ASSERT_NE(partner, inst.id->value);
      if (inst.behavior == "fighting") {
        // A fight takes two: the partner fights back, with this mouse.
        EXPECT_EQ(f.truth.instances[partner - 1].behavior, "fighting");
        EXPECT_EQ(f.partner_ids[partner - 1], inst.id->value);
      }
    }
  }
}

// Per-behaviour motion and pose statistics from the keypoints alone: what a classifier
// sees. The behaviours must differ where the ethogram says they do.
TEST(SynthBehavior, BehavioursDifferInMotionAndPose) {
  SynthOptions o;
  o.seconds = 180;
  o.seed = 3;
  o.render = false;
  SynthVideo sim(o);
  const double px_per_cm = sim.px_per_cm();
  SynthFrame f;
  std::vector<Instance> previous;
  struct Stats {
    double speed = 0, length = 0, nose_partner = 0;
    int n = 0, n_partner = 0;
  };
  std::map<std::string, Stats> stats;
  auto centre = [](const Instance& i) {
    return cv::Point2d((i.keypoints[0].x + i.keypoints[3].x) / 2, (i.keypoints[0].y + i.keypoints[3].y) / 2);
  };
  while (sim.next(f)) {
    for (std::size_t i = 0; i < f.truth.instances.size() && !previous.empty(); ++i) {
      const Instance& inst = f.truth.instances[i];
      Stats& s = stats[inst.behavior];
      const cv::Point2d v = centre(inst) - centre(previous[i]);
      s.speed += std::hypot(v.x, v.y) * o.fps / px_per_cm;  // cm/s
      s.length += std::hypot(inst.keypoints[0].x - inst.keypoints[3].x,
                             inst.keypoints[0].y - inst.keypoints[3].y) / px_per_cm;
      ++s.n;
      if (f.partner_ids[i] > 0) {
        const Instance& p = f.truth.instances[f.partner_ids[i] - 1];
        const Box& b = p.box;
        // Distance from the nose to the partner's box (0 inside it).
        const double dx = std::max({b.x1 - inst.keypoints[0].x, 0.0, inst.keypoints[0].x - b.x2});
        const double dy = std::max({b.y1 - inst.keypoints[0].y, 0.0, inst.keypoints[0].y - b.y2});
        s.nose_partner += std::hypot(dx, dy) / px_per_cm;
        ++s.n_partner;
      }
    }
    previous = f.truth.instances;
  }
  auto mean_speed = [&](const std::string& b) { return stats[b].speed / stats[b].n; };
  auto mean_length = [&](const std::string& b) { return stats[b].length / stats[b].n; };
  for (const std::string& b : default_behaviors()) ASSERT_GT(stats[b].n, 0) << b;

  EXPECT_GT(mean_speed("running"), 15.0);
  EXPECT_GT(mean_speed("running"), 2.5 * mean_speed("exploring"));
  EXPECT_GT(mean_speed("exploring"), 2.0);
  EXPECT_LT(mean_speed("resting"), 1.0);
  EXPECT_GT(mean_speed("fighting"), 2 * mean_speed("allogrooming"));
  // Rearing is foreshortened from above; resting mice are curled up.
  EXPECT_LT(mean_length("rearing"), 0.75 * mean_length("exploring"));
  EXPECT_LT(mean_length("resting"), 0.9 * mean_length("exploring"));
  EXPECT_LT(mean_length("self_grooming"), 0.9 * mean_length("exploring"));
  // Social behaviours keep the nose on (or right at) the partner.
  for (const std::string b : {"fighting", "allogrooming", "close_investigation"}) {
    ASSERT_GT(stats[b].n_partner, 0) << b;
    EXPECT_LT(stats[b].nose_partner / stats[b].n_partner, 1.5) << b << " (cm)";
  }
}

}  // namespace
}  // namespace bt::synth
