// The damage generator (the tracker's test and benchmark input) does what its header says,
// measured on a minute of synthetic mice, and the metrics score it as a user would
// expect: the truth as its own tracks is perfect, and detections given back their true
// ids (each false positive an id of its own) lose exactly the dropped boxes in recall and
// the false boxes in precision.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "behavtrack/core/error.h"
#include "behavtrack/track/assignment.h"
#include "behavtrack/track/metrics.h"
#include "track_fixtures.h"

namespace bt::track {
namespace {

// Detections with the id of the truth instance they overlap (IoU >= 0.5, optimal
// assignment), false positives with ids 1000, 1001, ...
struct Labelled {
  std::vector<FrameInstances> frames;
  std::int64_t kept = 0, false_positives = 0, flipped = 0;
  std::vector<double> kept_scores, fp_scores, corner_errors_px;
  std::vector<double> fp_distance_bodies;  // from the nearest mouse, in box diagonals
  std::map<int, std::vector<int>> missing_runs;  // by truth id: lengths of runs without a detection
};

Labelled label(const std::vector<FrameInstances>& truth, const std::vector<FrameInstances>& dets) {
  Labelled out;
  int next_fp = 1000;
  std::map<int, int> run;  // current run without a detection, by truth id
  for (size_t f = 0; f < truth.size(); ++f) {
    const auto& g = truth[f].instances;
    FrameInstances p = dets[f];
    CostMatrix c(static_cast<int>(g.size()), static_cast<int>(p.instances.size()));
    for (int i = 0; i < c.rows(); ++i)
      for (int j = 0; j < c.cols(); ++j) c(i, j) = 1 - iou(g[i].box, p.instances[j].box);
    std::vector<int> truth_of(p.instances.size(), -1);
    for (const auto& [i, j] : assign(c, 0.5).pairs) truth_of[j] = i;
    std::vector<char> seen(g.size(), 0);
    for (size_t j = 0; j < p.instances.size(); ++j) {
      Instance& d = p.instances[j];
      if (truth_of[j] < 0) {
        d.id = TrackId(next_fp++);
        ++out.false_positives;
        out.fp_scores.push_back(d.score);
        double nearest = 1e9;
        for (const Instance& t : g)
          nearest = std::min(nearest, std::hypot(d.box.cx() - t.box.cx(), d.box.cy() - t.box.cy()) /
                                          std::hypot(t.box.width(), t.box.height()));
        out.fp_distance_bodies.push_back(nearest);
        continue;
      }
      const Instance& t = g[truth_of[j]];
      seen[truth_of[j]] = 1;
      d.id = t.id;
      ++out.kept;
      out.kept_scores.push_back(d.score);
      out.corner_errors_px.push_back(d.box.x1 - t.box.x1);
      const double same = std::hypot(d.keypoints[0].x - t.keypoints[0].x, d.keypoints[0].y - t.keypoints[0].y);
      const double swapped = std::hypot(d.keypoints[0].x - t.keypoints[3].x, d.keypoints[0].y - t.keypoints[3].y);
      out.flipped += swapped < same;
    }
    for (size_t i = 0; i < g.size(); ++i) {
      int& r = run[g[i].id->value];
      if (!seen[i]) ++r;
      else if (r > 0) out.missing_runs[g[i].id->value].push_back(r), r = 0;
    }
    out.frames.push_back(std::move(p));
  }
  return out;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

double fraction(std::int64_t part, std::int64_t whole) { return static_cast<double>(part) / static_cast<double>(whole); }

TEST(DetectionDamage, HeavyDamageIsWhatTheHeaderSays) {
  const auto truth = test::synth_truth(5, 60, 41);
  const Labelled l = label(truth, test::damaged(truth, heavy_damage(7)));
  const std::int64_t n_truth = 5 * static_cast<std::int64_t>(truth.size());
  // Kept: 85% survive the drops, and occlusions hide 6 x 10 frames of every 1800.
  EXPECT_NEAR(fraction(l.kept, n_truth), 0.85 * (1 - 60.0 / 1800), 0.015);
  // About 30 occlusions (6 per mouse per minute): runs of at least 10 missing frames.
  int long_runs = 0;
  for (const auto& [id, runs] : l.missing_runs)
    for (int r : runs) long_runs += r >= 10;
  EXPECT_GE(long_runs, 20);
  EXPECT_LE(long_runs, 40);
  EXPECT_NEAR(fraction(l.false_positives, l.kept), 0.05, 0.01);
  EXPECT_NEAR(fraction(l.flipped, l.kept), 0.02, 0.006);
  EXPECT_NEAR(mean(l.kept_scores), 0.85, 0.01);
  for (double s : l.fp_scores) {
    EXPECT_GE(s, 0.3);
    EXPECT_LE(s, 0.9);
  }
  double sq = 0;
  for (double e : l.corner_errors_px) sq += e * e;
  EXPECT_NEAR(std::sqrt(sq / static_cast<double>(l.corner_errors_px.size())), 2.0, 0.1);
  // Half the false positives are placed next to a mouse (0.5 to 1 body diagonal from its
  // centre), the others anywhere in the arena.
  int beside = 0;
  for (double d : l.fp_distance_bodies) beside += d <= 1.0;
  EXPECT_GE(fraction(beside, l.false_positives), 0.45);
}

TEST(DetectionDamage, SameSeedSameDetectionsOtherSeedOthers) {
  const auto truth = test::synth_truth(3, 5, 2);
  const auto a = test::damaged(truth, heavy_damage(5)), b = test::damaged(truth, heavy_damage(5)), c = test::damaged(truth, heavy_damage(6));
  auto first_x = [](const std::vector<FrameInstances>& d) {
    std::vector<double> xs;
    for (const auto& f : d)
      for (const auto& i : f.instances) xs.push_back(i.box.x1);
    return xs;
  };
  EXPECT_EQ(first_x(a), first_x(b));
  EXPECT_NE(first_x(a), first_x(c));
}

TEST(DetectionDamage, OptionsNameTheBadField) {
  DamageOptions d;
  d.drop_rate = 1.5;
  try {
    d.validate();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("drop_rate"), std::string::npos) << e.what();
  }
  d = DamageOptions{};
  d.false_positive_rate = std::nan("");
  EXPECT_THROW(d.validate(), Error);
  d = DamageOptions{};
  d.position_noise_px = -1;
  try {
    d.validate();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("position_noise_px"), std::string::npos) << e.what();
  }
}

TEST(DetectionDamage, MetricsScoreTruthAndLabelledDetectionsExactly) {
  const auto truth = test::synth_truth(5, 60, 41);
  const MotMetrics perfect = evaluate_tracking(truth, truth, {});
  EXPECT_DOUBLE_EQ(perfect.idf1, 1.0);
  EXPECT_DOUBLE_EQ(perfect.mota, 1.0);
  EXPECT_NEAR(perfect.hota, 1.0, 1e-9);
  EXPECT_EQ(perfect.id_switches, 0);

  const Labelled l = label(truth, test::damaged(truth, heavy_damage(7)));
  const MotMetrics m = evaluate_tracking(truth, l.frames, {});
  EXPECT_EQ(m.idtp, l.kept);
  EXPECT_EQ(m.idfn, m.n_truth - l.kept);
  EXPECT_EQ(m.idfp, l.false_positives);
  EXPECT_EQ(m.id_switches, 0);
  EXPECT_EQ(m.pred_ids, 5 + static_cast<int>(l.false_positives));
}

}  // namespace
}  // namespace bt::track
