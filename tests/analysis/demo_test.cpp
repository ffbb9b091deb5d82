// `behavtrack demo` (run_demo), scaled down: one short training video of two mice, one
// cycle of a few seconds' training. The figures of a model trained this briefly mean
// nothing; what is checked is that every step ran on the files the demo says it wrote and
// that the scores are the held-out video's against its truth.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "behavtrack/analysis/demo.h"
#include "behavtrack/core/error.h"
#include "behavtrack/project/project.h"
#include "test_support.h"

namespace bt {
namespace {
namespace fs = std::filesystem;

analysis::DemoOptions small_demo(const fs::path& out) {
  analysis::DemoOptions o;
  o.out_dir = out;
  o.mice = 2;
  o.train_videos = 1;
  o.train_seconds = 8;
  o.heldout_seconds = 5;
  o.sample_frames = 24;
  o.initial_frames = 8;
  o.cycles = 1;
  o.per_cycle = 4;
  o.train_minutes = 0.05;
  return o;
}

TEST(AnalysisDemo, WritesReportAndSummaryAndScoresTheHeldOutVideo) {
  test::TempDir tmp;
  const analysis::DemoOptions o = small_demo(tmp / "demo");
  const analysis::DemoSummary s = analysis::run_demo(o, {});

  ASSERT_TRUE(fs::is_regular_file(s.report)) << s.report;
  const fs::path result_dir = s.report.parent_path();
  EXPECT_EQ(result_dir.parent_path(), o.out_dir / "analysis");
  for (const char* name : {"tracks.json", "tracks.csv", "behavior.csv", "bouts.csv", "tracks.mp4"})
    EXPECT_TRUE(fs::is_regular_file(result_dir / name)) << name;

  // Tracking is scored on every frame of the 5-second held-out video, both mice.
  EXPECT_EQ(s.tracking.n_truth, 2 * 5 * 30);
  EXPECT_EQ(s.tracking.truth_ids, 2);
  EXPECT_GE(s.behavior_accuracy, 0.0);
  EXPECT_LE(s.behavior_accuracy, 1.0);
  EXPECT_TRUE(fs::is_directory(s.project_dir / "models" / "behavior"));

  // The cycle queued per_cycle frames for correction, and the truth labelled them.
  const project::Project p = project::Project::open(s.project_dir);
  int queued = 0;
  for (const auto& [id, split] : p.split_of(*p.latest_cycle())) {
    if (split != project::Split::kPredict) continue;
    ++queued;
    EXPECT_EQ(p.get_frame_record(id).state, project::FrameState::kComplete) << "frame " << id;
  }
  EXPECT_EQ(queued, o.per_cycle);

  std::ifstream in(s.summary_json);
  const nlohmann::json doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc.at("report").get<std::string>(), s.report.string());
  EXPECT_EQ(doc.at("labelled_frames").get<int>(), s.labelled_frames);
  EXPECT_EQ(doc.at("tracking").at("truth_instances").get<long long>(), s.tracking.n_truth);
}

TEST(AnalysisDemo, OptionsAreValidatedBeforeAnythingIsWritten) {
  test::TempDir tmp;
  analysis::DemoOptions o = small_demo(tmp / "demo");
  o.mice = 1;
  try {
    analysis::run_demo(o, {});
    FAIL() << "one mouse accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "demo option mice = 1: at least 2 (social behaviours)");
  }
  EXPECT_FALSE(fs::exists(o.out_dir));
}

}  // namespace
}  // namespace bt
