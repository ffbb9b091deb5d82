// The tracker on synthetic mice (2-minute videos of 5 mice with frequent contact) with
// detections made from the truth with controlled damage. What must hold whatever the
// scene: never more than 5 ids, boxes recovered through drops and occlusions
// (interpolation), and, under heavy damage, clearly better identities than the two
// baselines (BehavTrack-style cost with last positions, plain IoU + Hungarian).
// The IDF1 bars are measured by the benchmark (bench/track), see its table.
#include <gtest/gtest.h>

#include "behavtrack/track/identity_resolver.h"
#include "behavtrack/track/metrics.h"
#include "track_fixtures.h"

namespace bt::track {
namespace {

using test::damaged;
using test::synth_truth;
using test::track_all;

TrackerOptions ours() {
  TrackerOptions o;
  o.animals = 5;
  return o;
}

// What `behavtrack track` does with a known count: the streaming tracker, a backward run
// and the offline identity pass.
std::vector<FrameInstances> track_with_offline_pass(const TrackerOptions& o, const std::vector<FrameInstances>& dets) {
  return track_detections(o, Skeleton::default_mouse(), 30, 640, 480, dets);
}

TEST(TrackerSynth, LightDamageFiveMice) {
  const auto truth = synth_truth(5, 120, 3);
  ASSERT_GT(test::contact_fraction(truth), 0.2) << "the scene must have frequent contact";
  const auto dets = damaged(truth, light_damage(11));
  const MotMetrics m = evaluate_tracking(truth, track_all(ours(), dets), {});
  std::printf("light damage: %s", format_metrics(m).c_str());
  EXPECT_EQ(m.pred_ids, 5);
  EXPECT_GE(m.mota, 0.98);   // drops are filled in: almost every truth box is there
  // A regression floor a little under what this seed gives (see the printed line); the
  // issue's bar (0.98, <= 2 switches) is measured over 3 seeds by bench/track. Mice pile up
  // and spin in place during fights and allogrooming; a dropped box there could swap two
  // ids for good until the crowd abstention (switch_margin) and the wider OKS kappa.
  EXPECT_GE(m.idf1, 0.98);  // measured 0.9996, no switch
  EXPECT_LE(m.id_switches, 2);
  const MotMetrics offline = evaluate_tracking(truth, track_with_offline_pass(ours(), dets), {});
  std::printf("light damage, with the offline pass: IDF1 %.4f, %lld switches\n", offline.idf1,
              static_cast<long long>(offline.id_switches));
  EXPECT_GE(offline.idf1, 0.98);
  EXPECT_LE(offline.id_switches, 2);
}

// Means over three videos: one video's IDF1 turns on a handful of contacts and moves by
// +-0.1 when the tracker changes in ways that help on average (session 8's orientation
// rule alone, with the offline pass: seed 100 0.912 -> 0.856, seed 101 0.777 -> 0.921).
TEST(TrackerSynth, HeavyDamageBeatsBaselines) {
  constexpr int kVideos = 3;
  double ours_idf1 = 0, offline_idf1 = 0, bt_idf1 = 0, iou_idf1 = 0;
  for (int k = 0; k < kVideos; ++k) {
    const auto truth = synth_truth(5, 120, 100 + k);
    const auto dets = damaged(truth, heavy_damage(200 + k));
    const MotMetrics m = evaluate_tracking(truth, track_all(ours(), dets), {});
    const MotMetrics bt_style = evaluate_tracking(truth, track_all(TrackerOptions::behavtrack_style(5), dets), {});
    const MotMetrics iou_only = evaluate_tracking(truth, track_all(TrackerOptions::iou_only(), dets), {});
    // The offline pass (forward + backward runs, identity_resolver.h) on the same detections.
    const MotMetrics offline = evaluate_tracking(truth, track_with_offline_pass(ours(), dets), {});
    std::printf("seed %d heavy damage, ours: %s", 100 + k, format_metrics(m).c_str());
    std::printf("BehavTrack-style IDF1 %.4f, plain IoU IDF1 %.4f (%d ids); with the offline pass IDF1 %.4f, %lld "
                "switches\n", bt_style.idf1, iou_only.idf1, iou_only.pred_ids, offline.idf1,
                static_cast<long long>(offline.id_switches));
    EXPECT_EQ(m.pred_ids, 5);
    EXPECT_EQ(offline.pred_ids, 5);
    EXPECT_GE(m.mota, 0.95);
    EXPECT_GT(iou_only.pred_ids, 5);  // what a tracker without a known count does
    ours_idf1 += m.idf1 / kVideos, offline_idf1 += offline.idf1 / kVideos;
    bt_idf1 += bt_style.idf1 / kVideos, iou_idf1 += iou_only.idf1 / kVideos;
  }
  // Regression floors a little under the measured means (the 0.95 is not reached).
  EXPECT_GE(ours_idf1, 0.74);     // measured 0.783
  EXPECT_GT(ours_idf1, bt_idf1 + 0.05);
  EXPECT_GT(ours_idf1, iou_idf1 + 0.05);
  EXPECT_GE(offline_idf1, 0.87);  // measured 0.904
  EXPECT_GT(offline_idf1, ours_idf1 + 0.07);
}

}  // namespace
}  // namespace bt::track
