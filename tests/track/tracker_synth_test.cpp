// The tracker on synthetic mice with detections made from the truth with controlled
// damage: identities must survive crossings, contact, drops, false positives and
// occlusions. Figures are the "done when" bars (2-minute videos of 5 mice).
#include <gtest/gtest.h>

#include "behavtrack/track/metrics.h"
#include "track_fixtures.h"

namespace bt::track {
namespace {

using test::damaged;
using test::synth_truth;
using test::track_all;

TEST(TrackerSynth, FiveMiceLightDamageKeepIdentities) {
  const auto truth = synth_truth(5, 120, 3);
  ASSERT_GT(test::contact_fraction(truth), 0.2) << "the scene must have frequent contact";
  DamageOptions d;
  d.drop_rate = 0.05;
  d.position_noise_px = 2;
  d.seed = 11;
  TrackerOptions o;
  o.animals = 5;
  const MotMetrics m = evaluate_tracking(truth, track_all(o, damaged(truth, d)), {});
  std::printf("light damage: %s", format_metrics(m).c_str());
  EXPECT_EQ(m.pred_ids, 5);
  EXPECT_GE(m.idf1, 0.98);
  EXPECT_LE(m.id_switches, 2);
}

TEST(TrackerSynth, FiveMiceHeavyDamageKeepIdentities) {
  const auto truth = synth_truth(5, 120, 4);
  DamageOptions d;
  d.drop_rate = 0.15;
  d.false_positive_rate = 0.05;
  d.occlusions_per_min = 6;
  d.occlusion_s = 10.0 / 30;
  d.position_noise_px = 2;
  d.flip_rate = 0.02;
  d.seed = 12;
  TrackerOptions o;
  o.animals = 5;
  const MotMetrics m = evaluate_tracking(truth, track_all(o, damaged(truth, d)), {});
  std::printf("heavy damage: %s", format_metrics(m).c_str());
  EXPECT_EQ(m.pred_ids, 5);
  EXPECT_GE(m.idf1, 0.95);
}

}  // namespace
}  // namespace bt::track
