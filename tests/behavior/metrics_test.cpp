#include "behavtrack/behavior/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgcodecs.hpp>

#include "behavtrack/behavior/smoothing.h"
#include "behavtrack/core/error.h"
#include "test_support.h"

namespace bt::behavior {
namespace {

TEST(Bouts, RunsOfEqualClassEndAtGapsAndUnlabelled) {
  const std::vector<FrameIndex> frames = {0, 1, 2, 3, 4, 5, 6, 10, 11};
  const std::vector<int> classes = {0, 0, 1, 1, -1, 1, 1, 1, 1};
  const auto b = extract_bouts(TrackId(3), frames, classes);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[0].start, 0);
  EXPECT_EQ(b[0].end, 1);
  EXPECT_EQ(b[1].class_index, 1);
  EXPECT_EQ(b[1].end, 3);   // frame 4 is unlabelled
  EXPECT_EQ(b[2].start, 5);
  EXPECT_EQ(b[2].end, 6);   // frames 7..9 are missing
  EXPECT_EQ(b[3].start, 10);
  EXPECT_EQ(b[3].id, TrackId(3));
}

TEST(Bouts, TemporalIou) {
  const Bout a{TrackId(1), 0, 0, 9}, b{TrackId(1), 0, 5, 14};
  EXPECT_DOUBLE_EQ(temporal_iou(a, b), 5.0 / 15.0);
  EXPECT_DOUBLE_EQ(temporal_iou(a, a), 1.0);
  EXPECT_DOUBLE_EQ(temporal_iou(a, Bout{TrackId(1), 0, 10, 12}), 0.0);
}

TEST(Evaluator, BoutF1OnHandCase) {
  Evaluator ev({"a", "b"});
  // Truth: a 0-9, b 10-19, a 20-29. Prediction: a 0-11 (IoU 10/12, match), b 12-19 (8/10,
  // match), a 20-22 (3/10, no match), b 23-29 (a false b bout).
  const std::vector<Bout> truth = {{TrackId(1), 0, 0, 9}, {TrackId(1), 1, 10, 19}, {TrackId(1), 0, 20, 29}};
  const std::vector<Bout> pred = {{TrackId(1), 0, 0, 11}, {TrackId(1), 1, 12, 19}, {TrackId(1), 0, 20, 22},
                                  {TrackId(1), 1, 23, 29}};
  ev.add_bouts(truth, pred);
  const Evaluation e = ev.result();
  // a: 1 matched of 2 predicted, 2 true -> P 0.5 R 0.5 F1 0.5; b: 1 of 2 predicted, 1 true ->
  // P 0.5 R 1 F1 2/3.
  EXPECT_DOUBLE_EQ(e.bout_per_class[0].f1, 0.5);
  EXPECT_NEAR(e.bout_per_class[1].f1, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(e.bout_macro_f1, (0.5 + 2.0 / 3.0) / 2, 1e-12);
}

TEST(Evaluator, BoutsOfOtherMiceDoNotMatch) {
  Evaluator ev({"a", "b"});
  ev.add_bouts({{TrackId(1), 0, 0, 9}}, {{TrackId(2), 0, 0, 9}});
  EXPECT_DOUBLE_EQ(ev.result().bout_per_class[0].f1, 0.0);
}

TEST(Evaluator, FrameMetricsOnHandCase) {
  Evaluator ev({"a", "b", "c"});
  // truth a a a a b b c c (-1 skipped); prediction a a a b b a c c.
  ev.add_frames({0, 0, 0, 0, 1, 1, 2, 2, -1}, {0, 0, 0, 1, 1, 0, 2, 2, 1});
  const Evaluation e = ev.result();
  EXPECT_EQ(e.n_frames, 8);
  EXPECT_DOUBLE_EQ(e.accuracy, 6.0 / 8.0);
  EXPECT_EQ(e.confusion[0 * 3 + 1], 1);  // one a predicted as b
  EXPECT_EQ(e.confusion[1 * 3 + 0], 1);
  EXPECT_DOUBLE_EQ(e.per_class[0].precision, 3.0 / 4.0);
  EXPECT_DOUBLE_EQ(e.per_class[0].recall, 3.0 / 4.0);
  EXPECT_DOUBLE_EQ(e.per_class[1].f1, 0.5);
  EXPECT_DOUBLE_EQ(e.per_class[2].f1, 1.0);
  EXPECT_NEAR(e.macro_f1, (0.75 + 0.5 + 1.0) / 3, 1e-12);
}

TEST(Evaluator, ReportAndPicture) {
  Evaluator ev({"resting", "running"});
  ev.add_frames({0, 0, 1, 1}, {0, 1, 1, 1});
  const Evaluation e = ev.result();
  const std::string text = format_evaluation(e);
  EXPECT_NE(text.find("accuracy 0.7500"), std::string::npos) << text;
  EXPECT_NE(text.find("confusion matrix"), std::string::npos);
  test::TempDir dir;
  write_confusion_png(dir / "c.png", e, "test");
  const cv::Mat img = cv::imread((dir / "c.png").string());
  ASSERT_FALSE(img.empty());
  EXPECT_GT(img.cols, 200);
}

TEST(Smoothing, ViterbiRemovesOneFrameFlicker) {
  // 20 frames of class 0 with a single confident-ish class-1 frame in the middle.
  std::vector<float> proba;
  for (int t = 0; t < 20; ++t) {
    const bool flicker = t == 10;
    proba.push_back(flicker ? 0.3f : 0.9f);
    proba.push_back(flicker ? 0.7f : 0.1f);
  }
  EXPECT_EQ(argmax_classes(proba, 20, 2)[10], 1);
  const auto hmm = TransitionModel::sticky(2, 0.98);
  const auto path = viterbi(proba, 20, hmm);
  EXPECT_EQ(path, std::vector<int>(20, 0));
}

TEST(Smoothing, ViterbiKeepsARealChange) {
  std::vector<float> proba;
  for (int t = 0; t < 20; ++t) {
    proba.push_back(t < 10 ? 0.9f : 0.1f);
    proba.push_back(t < 10 ? 0.1f : 0.9f);
  }
  const auto path = viterbi(proba, 20, TransitionModel::sticky(2, 0.98));
  for (int t = 0; t < 20; ++t) EXPECT_EQ(path[static_cast<std::size_t>(t)], t < 10 ? 0 : 1) << t;
}

TEST(Smoothing, TransitionsCountedFromLabels) {
  // 0 0 0 1 1 | gap | 1 1: transitions 0->0 x2, 0->1 x1, 1->1 x1 + x1 (the gap breaks the run).
  const auto m = TransitionModel::estimate({{0, 0, 0, 1, 1, -1, 1, 1}}, 2, 1.0);
  // Row 0: counts 2+1, 1+1 -> P(0->0) = 3/5.
  EXPECT_NEAR(std::exp(m.log_a[0]), 3.0 / 5.0, 1e-12);
  // Row 1: counts 0+1, 2+1 -> P(1->1) = 3/4.
  EXPECT_NEAR(std::exp(m.log_a[3]), 3.0 / 4.0, 1e-12);
}

TEST(Smoothing, MinimumBoutLength) {
  std::vector<int> c = {0, 0, 0, 0, 1, 0, 0, 0, 2, 2, 2, 2, 2, 1, 1};
  enforce_min_bout(c, 3);
  EXPECT_EQ(c, (std::vector<int>{0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2}));
  std::vector<int> single = {1, 1};
  enforce_min_bout(single, 5);  // one bout: nothing to merge into
  EXPECT_EQ(single, (std::vector<int>{1, 1}));
}

TEST(Smoothing, BadStayProbabilityIsRejected) {
  try {
    TransitionModel::sticky(3, 1.0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "transitions: p_stay 1.000000 must be in (0, 1)");
  }
}

}  // namespace
}  // namespace bt::behavior
