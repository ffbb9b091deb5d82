// `behavtrack active simulate`: pose learning curves with synthetic truth as the oracle, on
// a project labelled the way bench/analysis/active_simulate.sh labels one (frames sampled
// from a synthetic video, each labelled from its truth).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <sstream>

#include "behavtrack/core/instances_json.h"
#include "behavtrack/project/project.h"
#include "test_support.h"

namespace bt::analysis {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::vector<std::string>> csv_rows(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

class ActiveSimulate : public ::testing::Test {
 protected:
  // Two mice, 4 s; 30 frames sampled and labelled from the truth; 20% of them for testing.
  void SetUp() override {
    run({"synth", "--out", (dir_ / "synth").string(), "--mice", "2", "--seconds", "4", "--seed", "5"});
    project_ = dir_ / "p";
    run({"project", "init", project_.string(), "--animals", "2"});
    run({"video", "add", project_.string(), (dir_ / "synth" / "video.mp4").string()});
    run({"frames", "sample", project_.string(), "--n", "30", "--every", "2", "--seed", "3"});
    InstancesFile truth = read_instances_json(dir_ / "synth" / "truth.json");
    std::set<FrameIndex> sampled;
    {
      const project::Project p = project::Project::open(project_);
      project::FrameQuery q;
      q.limit = 0;
      for (const project::FrameRecord& f : p.list_frames(q).frames) sampled.insert(f.frame_index);
    }
    ASSERT_EQ(sampled.size(), 30u);
    truth.frames.erase(std::remove_if(truth.frames.begin(), truth.frames.end(),
                                      [&](const FrameInstances& f) { return !sampled.count(f.frame); }),
                       truth.frames.end());
    write_instances_json(dir_ / "oracle.json", truth);
    run({"labels", "import", project_.string(), (dir_ / "oracle.json").string(), "--format", "behavtrack", "--video",
         "1"});
    run({"frames", "split", project_.string(), "--test", "0.2", "--seed", "7"});
  }

  void run(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"--quiet"};
    all.insert(all.end(), args.begin(), args.end());
    const auto r = test::run_cli(all);
    ASSERT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
  }

  test::TempDir dir_;
  fs::path project_;
};

TEST_F(ActiveSimulate, DiversityInTheMiceLayoutPicksAsManyFramesAndIsRecorded) {
  const fs::path out = dir_ / "layout";
  const auto r = test::run_cli({"--quiet", "active", "simulate", project_.string(), "--out", out.string(),
                                "--strategies", "diversity", "--initial", "4", "--per-cycle", "3", "--cycles", "1",
                                "--steps", "4", "--batch", "2", "--imgsz", "128", "--features", "layout"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = csv_rows(out / "learning_curve.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1][2], "4");
  EXPECT_EQ(rows[2][2], "7") << "3 frames picked by their predicted layout";
  const json summary = json::parse(std::ifstream(out / "summary.json"));
  EXPECT_EQ(summary["features"], "layout");
}

TEST_F(ActiveSimulate, WritesEachStrategysCurveFromOneSharedFirstModel) {
  const fs::path out = dir_ / "curves";
  const auto r = test::run_cli({"--quiet", "active", "simulate", project_.string(), "--out", out.string(),
                                "--strategies", "random-stratified,hybrid", "--initial", "4", "--per-cycle", "3",
                                "--cycles", "2", "--steps", "6", "--batch", "2", "--imgsz", "128",
                                "--hybrid-ramp", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("hybrid reached random-stratified's final OKS AP with"), std::string::npos) << r.out;

  // strategy, cycle, labelled, box_ap50, oks_ap50_95, rmse_px, pck10, train_s
  const auto rows = csv_rows(out / "learning_curve.csv");
  ASSERT_EQ(rows.size(), 1u + 2 * 3) << "a header and 3 cycles per strategy";
  EXPECT_EQ(rows[0][0], "strategy");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"random-stratified", "4"}, {"random-stratified", "7"}, {"random-stratified", "10"},
      {"hybrid", "4"},            {"hybrid", "7"},            {"hybrid", "10"}};
  for (std::size_t k = 0; k < expected.size(); ++k) {
    ASSERT_EQ(rows[k + 1].size(), 8u);
    EXPECT_EQ(rows[k + 1][0], expected[k].first);
    EXPECT_EQ(rows[k + 1][2], expected[k].second);
    const double oks = std::stod(rows[k + 1][4]);
    EXPECT_GE(oks, 0.0);
    EXPECT_LE(oks, 1.0);
  }
  // Cycle 0 is one run: the same figures for both strategies, one model folder.
  EXPECT_EQ(std::vector<std::string>(rows[1].begin() + 2, rows[1].end()),
            std::vector<std::string>(rows[4].begin() + 2, rows[4].end()));
  EXPECT_TRUE(fs::exists(out / "models" / "random-stratified-cycle0" / "weights.pt"));
  EXPECT_FALSE(fs::exists(out / "models" / "hybrid-cycle0"));

  // --steps: each trained model ran about 6 batches, its epochs set by its train-set size.
  for (const char* name : {"random-stratified-cycle0", "random-stratified-cycle2", "hybrid-cycle1", "hybrid-cycle2"}) {
    const json model = json::parse(std::ifstream(out / "models" / name / "model.json"));
    const int n_train = model["data"]["n_train_images"], batch = model["data"]["batch"];
    const int batches_per_epoch = std::max(1, n_train / batch);  // a last partial batch is dropped
    EXPECT_EQ(model["data"]["epochs"].get<int>(), (6 + batches_per_epoch - 1) / batches_per_epoch) << name;
  }
  // The later cycles start from the strategy's previous model.
  const json hybrid1 = json::parse(std::ifstream(out / "models" / "hybrid-cycle1" / "model.json"));
  EXPECT_EQ(fs::path(hybrid1["train_options"]["from_model"].get<std::string>()).filename(), "random-stratified-cycle0");

  const json summary = json::parse(std::ifstream(out / "summary.json"));
  EXPECT_EQ(summary["steps_per_cycle"], 6);
  EXPECT_EQ(summary["hybrid_ramp_frames"], 8);
  EXPECT_EQ(summary["features"], "appearance") << "the diversity term's default space";
  EXPECT_TRUE(summary["labels_to_reach_random_final_oks_ap"].contains("hybrid"));
  EXPECT_LE(summary["labels_to_reach_random_final_oks_ap"]["random-stratified"].get<int>(), 10)
      << "random-stratified reaches its own final value by its last cycle at the latest";
  EXPECT_EQ(summary["curve"].size(), 6u);
  // The mean over each strategy's cycles, from the CSV's own figures.
  for (const auto& [name, first_row] : {std::pair<std::string, int>{"random-stratified", 1}, {"hybrid", 4}}) {
    double sum = 0;
    for (int k = 0; k < 3; ++k) sum += std::stod(rows[first_row + k][4]);
    EXPECT_NEAR(summary["mean_oks_ap"][name].get<double>(), sum / 3, 1e-5) << name;
  }
  EXPECT_NE(r.out.find("hybrid: mean test OKS AP over the curve"), std::string::npos) << r.out;
  EXPECT_FALSE(cv::imread((out / "learning_curve.png").string()).empty());
}

TEST_F(ActiveSimulate, TooFewLabelledFramesIsOneLineAndWritesNothing) {
  const fs::path out = dir_ / "curves";
  const auto r = test::run_cli({"active", "simulate", project_.string(), "--out", out.string(), "--initial", "10",
                                "--per-cycle", "10", "--cycles", "5"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("labelled frames outside the test split, the simulation needs 60 (initial + per_cycle x cycles)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(out));

  const auto steps = test::run_cli({"active", "simulate", project_.string(), "--out", out.string(), "--steps", "-1"});
  EXPECT_NE(steps.exit_code, 0);
  EXPECT_NE(steps.err.find("steps_per_cycle = -1: must be >= 0"), std::string::npos) << steps.err;
}

}  // namespace
}  // namespace bt::analysis
