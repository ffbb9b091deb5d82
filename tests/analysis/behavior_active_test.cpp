// Active learning for behaviour labels: window scoring and selection on hand cases, the
// feature-row training path, `active behavior-next` writing proposals into a real project,
// and a short `active behavior-simulate` on synthetic truth.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "behavior/behavior_fixtures.h"
#include "behavtrack/analysis/behavior_active.h"
#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/instances_json.h"
#include "behavtrack/project/project.h"
#include "test_support.h"

namespace bt::analysis {
namespace {
namespace fs = std::filesystem;

// One mouse's prediction over `n` consecutive frames from 0, every frame confident about
// class 0 except frames [flat_from, flat_to), where all classes are equally likely.
behavior::MousePrediction mouse_prediction(int id, int n, int n_classes, int flat_from, int flat_to) {
  behavior::MousePrediction m;
  m.id = TrackId(id);
  for (int t = 0; t < n; ++t) {
    m.frames.push_back(t);
    for (int c = 0; c < n_classes; ++c) {
      const bool flat = t >= flat_from && t < flat_to;
      m.proba.push_back(flat ? 1.0f / n_classes : (c == 0 ? 1.0f : 0.0f));
    }
    m.classes.push_back(0);
  }
  return m;
}

TEST(BehaviorActive, ScoreWindowTermsOnAHandCase) {
  // Frame 1: certain of class 0. Frame 2: 0.5 / 0.5 between classes 1 and 2, smoothed to 0.
  const std::vector<float> proba = {1, 0, 0, 0, 0, 0.5f, 0.5f, 0};
  const std::vector<int> smoothed = {0, 0};
  const WindowUncertainty u = score_window(proba.data(), smoothed.data(), 2, 4, {});
  EXPECT_NEAR(u.entropy, (0 + std::log(2.0) / std::log(4.0)) / 2, 1e-6);  // 0.25
  EXPECT_NEAR(u.margin, (0 + 1) / 2.0, 1e-6);
  EXPECT_NEAR(u.disagreement, 0.5, 1e-12);  // frame 2's arg-max is 1, smoothed 0
  EXPECT_NEAR(u.total, (0.25 + 0.5 + 0.5) / 3, 1e-6);
  WindowUncertaintyWeights only_entropy{1, 0, 0};
  EXPECT_NEAR(score_window(proba.data(), smoothed.data(), 2, 4, only_entropy).total, 0.25, 1e-6);
}

TEST(BehaviorActive, WindowsTileEachTrackAndSkipSparseTiles) {
  behavior::BehaviorPrediction p;
  p.behaviors = {"a", "b"};
  p.fps = 30;
  behavior::MousePrediction m = mouse_prediction(2, 45, 2, 0, 0);  // frames 0..44
  for (int t = 60; t < 66; ++t) {                                    // and 6 frames of tile 2
    m.frames.push_back(t);
    m.proba.insert(m.proba.end(), {1.0f, 0.0f});
    m.classes.push_back(0);
  }
  p.mice.push_back(m);
  WindowOptions o;
  o.window_s = 1.0;  // 30 frames; tiles need >= 15 tracked frames
  const std::vector<BehaviorWindow> w = behavior_windows(p, 7, o);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].video, 7u);
  EXPECT_EQ(w[0].id, TrackId(2));
  EXPECT_EQ(w[0].start_frame, 0);
  EXPECT_EQ(w[0].end_frame, 29);
  EXPECT_EQ(w[0].mouse_frames(), 30u);
  EXPECT_EQ(w[1].start_frame, 30);
  EXPECT_EQ(w[1].end_frame, 44);
  EXPECT_EQ(w[1].mouse_frames(), 15u);
  EXPECT_NEAR(w[0].uncertainty.total, 0.0, 1e-9);
}

TEST(BehaviorActive, TheUncertainWindowRanksFirst) {
  behavior::BehaviorPrediction p;
  p.behaviors = {"a", "b", "c", "d"};
  p.fps = 10;
  p.mice.push_back(mouse_prediction(1, 60, 4, 0, 0));
  p.mice.push_back(mouse_prediction(2, 60, 4, 30, 40));  // tile 2 of mouse 2 (1 s windows of 10 frames)
  p.mice.push_back(mouse_prediction(3, 60, 4, 52, 55));  // a little unsure in its last tile
  WindowOptions o;
  o.window_s = 1.0;
  const std::vector<BehaviorWindow> windows = behavior_windows(p, 0, o);
  ASSERT_EQ(windows.size(), 18u);
  std::vector<Candidate> pool;
  for (std::size_t i = 0; i < windows.size(); ++i)
    pool.push_back({static_cast<std::int64_t>(i), 0, {static_cast<float>(i % 3), static_cast<float>(i / 3)},
                    windows[i].uncertainty.total});
  for (Strategy s : {Strategy::kUncertainty, Strategy::kHybrid}) {
    const std::vector<std::size_t> picked = select_frames(pool, {}, 2, s, 1);
    ASSERT_EQ(picked.size(), 2u) << to_string(s);
    const BehaviorWindow& first = windows[static_cast<std::size_t>(pool[picked[0]].key)];
    EXPECT_EQ(first.id, TrackId(2)) << to_string(s);
    EXPECT_EQ(first.start_frame, 30) << to_string(s);
    EXPECT_NEAR(first.uncertainty.entropy, 1.0, 1e-6);
  }
  const BehaviorWindow& second = windows[static_cast<std::size_t>(pool[select_frames(pool, {}, 2, Strategy::kUncertainty, 1)[1]].key)];
  EXPECT_EQ(second.id, TrackId(3));
  EXPECT_EQ(second.start_frame, 50);
}

TEST(BehaviorActive, OptionErrorsNameTheFieldAndValue) {
  WindowOptions o;
  o.window_s = 0;
  EXPECT_THROW(
      {
        try {
          o.validate();
        } catch (const Error& e) {
          EXPECT_STREQ(e.what(), "window_s = 0: must be in (0, 600] seconds");
          throw;
        }
      },
      Error);
  o.window_s = 1;
  o.min_coverage = std::nan("");
  EXPECT_THROW(o.validate(), Error);
  o.min_coverage = 1;
  o.weights = {0, 0, 0};
  EXPECT_THROW(o.validate(), Error);
}

TEST(BehaviorActive, FeatureRowsTrainAndPredictLikeTracks) {
  const InstancesFile a = test::behaving_mice(3, 400, 11), b = test::behaving_mice(3, 300, 12);
  behavior::PoseClassifierOptions o;
  o.behaviors = test::fixture_behaviors();
  o.gbt.n_rounds = 15;
  const auto la = behavior::labels_from_instances(a, o.behaviors, "a");
  const auto lb = behavior::labels_from_instances(b, o.behaviors, "b");
  const auto clf = behavior::PoseClassifier::train({{"a", a, la}, {"b", b, lb}}, o, {});
  const auto ra = behavior::extract_pose_features(a, o, {}), rb = behavior::extract_pose_features(b, o, {});
  const auto again = behavior::PoseClassifier::train_on_features({&ra, &rb}, {&la, &lb}, o, {});
  const auto expected = clf.predict(b, {});
  for (const behavior::BehaviorPrediction& got : {clf.predict_features(rb), again.predict_features(rb)}) {
    ASSERT_EQ(got.mice.size(), expected.mice.size());
    for (std::size_t m = 0; m < got.mice.size(); ++m) {
      EXPECT_EQ(got.mice[m].frames, expected.mice[m].frames);
      EXPECT_EQ(got.mice[m].classes, expected.mice[m].classes);
      EXPECT_EQ(got.mice[m].proba, expected.mice[m].proba);
    }
  }
  std::size_t streamed = 0;
  behavior::stream_pose_features(b, o, [&](FrameIndex, TrackId, const float*) { ++streamed; }, {});
  EXPECT_EQ(streamed, rb.n_rows());
}

// ---- the commands, through the real program ----

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) out.push_back(line);
  return out;
}

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream s(line);
  for (std::string f; std::getline(s, f, ',');) out.push_back(f);
  return out;
}

// One line on stderr, a non-zero exit.
void expect_one_line_error(const test::CliResult& r, const std::string& part) {
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find(part), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// A rendered 6 s synthetic video of 3 mice (160x120) registered in a project, its truth
// and a behaviour model trained on it, made once for the suite.
class BehaviorNextCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const fs::path d = dir_->path();
    auto ok = [](const test::CliResult& r) { ASSERT_EQ(r.exit_code, 0) << r.err; };
    ok(test::run_cli({"--quiet", "synth", "--out", (d / "cage").string(), "--mice", "3", "--seconds", "6", "--size",
                      "160x120", "--seed", "5"}));
    ok(test::run_cli({"--quiet", "synth", "--out", (d / "long").string(), "--mice", "3", "--seconds", "9", "--seed",
                      "6", "--truth-only"}));
    ok(test::run_cli({"--quiet", "behavior", "train", "--tracks", (d / "cage" / "truth.json").string(), "--out",
                      (d / "model").string(), "--rounds", "10"}));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  // A fresh project holding the suite's video.
  static fs::path new_project(const test::TempDir& tmp, const std::vector<std::string>& init_flags = {}) {
    const fs::path p = tmp / "study";
    std::vector<std::string> init = {"--quiet", "project", "init", p.string(), "--animals", "3"};
    init.insert(init.end(), init_flags.begin(), init_flags.end());
    EXPECT_EQ(test::run_cli(init).exit_code, 0);
    EXPECT_EQ(test::run_cli({"--quiet", "video", "add", p.string(), (dir_->path() / "cage" / "video.mp4").string()})
                  .exit_code,
              0);
    return p;
  }
  static fs::path path(const std::string& name) { return dir_->path() / name; }
  static test::TempDir* dir_;
};
test::TempDir* BehaviorNextCli::dir_ = nullptr;

TEST_F(BehaviorNextCli, ProposesWindowsIntoTheProjectAndNeverTheSameTwice) {
  test::TempDir tmp;
  const fs::path study = new_project(tmp);
  const std::string tracks = (path("cage") / "truth.json").string();
  const auto r = test::run_cli({"--quiet", "active", "behavior-next", study.string(), "--model", path("model").string(),
                                "--tracks", tracks, "--n", "4", "--window-s", "1", "--out", (tmp / "w1.csv").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("proposed 4 windows of 1.00 s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("skipped 0 windows already labelled and 0 queued with unconfirmed proposals"), std::string::npos)
      << r.out;

  const auto rows = lines_of(slurp(tmp / "w1.csv"));
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0],
            "video_id,video,id,start_frame,end_frame,start_s,end_s,mouse_frames,uncertainty,entropy,margin,"
            "disagreement,predicted,bout_ids");
  project::Project p = project::Project::open(study);
  const project::VideoId video = p.list_videos().at(0).id;
  const std::vector<project::Bout> bouts = p.list_bouts(video);
  std::set<std::int64_t> bout_ids;
  for (const auto& b : bouts) {
    bout_ids.insert(b.id);
    EXPECT_EQ(b.source, project::Source::kPredicted) << b.id;
    EXPECT_FALSE(b.confirmed) << "a proposal waits for a person: " << b.id;
  }
  EXPECT_NE(r.out.find(std::to_string(bouts.size()) + " proposed bouts wait for confirmation"), std::string::npos)
      << r.out;
  EXPECT_TRUE(p.frame_labels(video).empty()) << "proposals are no labels";
  double previous_u = 2;
  std::set<std::pair<int, std::int64_t>> first_windows;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto f = fields(rows[i]);
    ASSERT_EQ(f.size(), 14u) << rows[i];
    EXPECT_EQ(std::stoll(f[0]), video);
    EXPECT_EQ(fs::path(f[1]).filename(), "video.mp4");  // stored absolute: the video is outside the project
    const int id = std::stoi(f[2]);
    const FrameIndex start = std::stoll(f[3]), end = std::stoll(f[4]);
    EXPECT_EQ(start % 30, 0);  // 1 s tiles at 30 fps
    EXPECT_EQ(end, start + 29);
    EXPECT_EQ(std::stoi(f[7]), 30);
    const double u = std::stod(f[8]);
    EXPECT_LE(u, previous_u);  // highest uncertainty first
    previous_u = u;
    first_windows.insert({id, start});
    // The window's proposed bouts are in the project and cover it exactly.
    FrameIndex covered = 0;
    std::stringstream ids(f[13]);
    for (std::int64_t bid; ids >> bid;) {
      ASSERT_TRUE(bout_ids.count(bid)) << bid;
      const auto b = *std::find_if(bouts.begin(), bouts.end(), [&](const project::Bout& x) { return x.id == bid; });
      EXPECT_EQ(b.track.value, id);
      EXPECT_GE(b.start_frame, start);
      EXPECT_LE(b.end_frame, end);
      covered += b.end_frame - b.start_frame + 1;
    }
    EXPECT_EQ(covered, 30);
  }
  const auto runs = p.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].kind, "behavior-proposals");
  EXPECT_EQ(nlohmann::json::parse(runs[0].metrics_json).at("windows").size(), 4u);

  // A person confirms the first window's proposals. A second round skips that labelled
  // window and the three still queued ones (never proposing a window twice); default CSV
  // in runs/.
  std::vector<project::BoutVersion> first;
  {
    std::stringstream ids(fields(rows[1])[13]);
    for (std::int64_t bid; ids >> bid;) first.push_back({bid, 1});
  }
  ASSERT_EQ(p.confirm_bouts(first).status, project::PutStatus::kOk);
  const auto again = test::run_cli({"--quiet", "active", "behavior-next", study.string(), "--model",
                                    path("model").string(), "--tracks", tracks, "--n", "3", "--window-s", "1",
                                    "--strategy", "uncertainty"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("skipped 1 windows already labelled and 3 queued with unconfirmed proposals"),
            std::string::npos)
      << again.out;
  const project::BoutCounts counts = p.count_bouts();
  EXPECT_EQ(counts.unconfirmed, counts.total - static_cast<std::int64_t>(first.size()));
  EXPECT_NE(again.out.find(std::to_string(counts.unconfirmed) + " proposed bouts wait for confirmation"),
            std::string::npos)
      << again.out;
  const fs::path csv = study / "runs" / "2" / "behavior_windows.csv";
  ASSERT_TRUE(fs::exists(csv)) << again.out;
  const auto second = lines_of(slurp(csv));
  ASSERT_EQ(second.size(), 4u);
  for (std::size_t i = 1; i < second.size(); ++i) {
    const auto f = fields(second[i]);
    EXPECT_FALSE(first_windows.count({std::stoi(f[2]), std::stoll(f[3])})) << second[i];
  }
}

TEST_F(BehaviorNextCli, NoBoutsWritesOnlyTheCsvAndTheRun) {
  test::TempDir tmp;
  const fs::path study = new_project(tmp);
  const auto r = test::run_cli({"--quiet", "active", "behavior-next", study.string(), "--model", path("model").string(),
                                "--tracks", (path("cage") / "truth.json").string(), "--video",
                                (path("cage") / "video.mp4").string(), "--n", "2", "--no-bouts", "--strategy",
                                "random-stratified"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  project::Project p = project::Project::open(study);
  EXPECT_TRUE(p.list_bouts(p.list_videos().at(0).id).empty());
  EXPECT_EQ(lines_of(slurp(study / "runs" / "1" / "behavior_windows.csv")).size(), 3u);
}

TEST_F(BehaviorNextCli, BadInputGetsOneClearLineAndChangesNothing) {
  test::TempDir tmp;
  const fs::path study = new_project(tmp);
  const std::string model = path("model").string(), tracks = (path("cage") / "truth.json").string();
  const std::vector<std::string> base = {"--quiet", "active", "behavior-next", study.string()};
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_cli(args);
  };
  expect_one_line_error(run({"--model", (tmp / "nope").string(), "--tracks", tracks}), "no model.json");
  expect_one_line_error(run({"--model", model, "--tracks", tracks, "--n", "0"}), "active option n = 0: must be >= 1");
  expect_one_line_error(run({"--model", model, "--tracks", tracks, "--strategy", "best"}),
                        "strategy 'best': expected uncertainty, diversity, hybrid or random-stratified");
  const auto strict = run({"--model", model, "--tracks", tracks, "--window-s", "1s"});  // numbers parse strictly
  EXPECT_EQ(strict.exit_code, 2);
  EXPECT_NE(strict.err.find("--window-s = 1s"), std::string::npos) << strict.err;
  expect_one_line_error(run({"--model", model, "--tracks", tracks, "--video", tracks, "--video", tracks}),
                        "--video: 2 files for 1 --tracks");
  // Truth-only synth tracks name no video; with --video they are 9 s of a 6 s video.
  const std::string long_tracks = (path("long") / "truth.json").string();
  expect_one_line_error(run({"--model", model, "--tracks", long_tracks}), "names no video; give the video file with --video");
  expect_one_line_error(run({"--model", model, "--tracks", long_tracks, "--video", (path("cage") / "video.mp4").string()}),
                        "frame 269 is beyond video 'video.mp4' (180 frames); are these the tracks of another video?");
  expect_one_line_error(run({"--model", model, "--tracks", tracks, "--video", (tmp / "other.mp4").string()}),
                        "not registered in project");
  expect_one_line_error(run({"--model", model, "--tracks", tracks, "--tracks", tracks}), "is already given by tracks");
  {
    test::TempDir other;
    const fs::path small = new_project(other, {"--behaviors", "resting,running"});
    const auto r = test::run_cli({"--quiet", "active", "behavior-next", small.string(), "--model", model, "--tracks",
                                  tracks});
    expect_one_line_error(r, "behaviour 'rearing' is not in the project's behaviour list");
  }
  project::Project p = project::Project::open(study);
  EXPECT_TRUE(p.list_bouts(p.list_videos().at(0).id).empty());
  EXPECT_TRUE(p.list_runs().empty());
  EXPECT_FALSE(fs::exists(study / "runs" / "1"));
}

// Truth bouts of some mice as a person would enter them: one confirmed manual bout per
// run of one behaviour.
std::vector<project::Bout> truth_bouts(const InstancesFile& truth, project::VideoId video, const std::set<int>& mice) {
  std::vector<project::Bout> out;
  for (int id : mice)
    for (const FrameInstances& f : truth.frames)
      for (const Instance& m : f.instances) {
        if (!m.id || m.id->value != id) continue;
        if (!out.empty() && out.back().track.value == id && out.back().behavior == m.behavior &&
            out.back().end_frame == f.frame - 1) {
          out.back().end_frame = f.frame;
          continue;
        }
        project::Bout b;
        b.video_id = video, b.track = *m.id, b.behavior = m.behavior, b.start_frame = b.end_frame = f.frame;
        out.push_back(b);
      }
  return out;
}

// `behavior train --project`: the labels are the project's confirmed bouts of the tracks'
// video, never the proposals; the same model as from those labels exported to a CSV.
TEST_F(BehaviorNextCli, TrainOnTheProjectsConfirmedBoutsOnly) {
  test::TempDir tmp;
  const fs::path study = new_project(tmp);
  const std::string tracks = (path("cage") / "truth.json").string();
  const std::vector<std::string> train = {"--quiet", "behavior", "train", "--project", study.string(), "--tracks",
                                          tracks, "--rounds", "10"};
  auto with = [](std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  expect_one_line_error(test::run_cli(with(train, {"--out", (tmp / "m0").string()})),
                        "video 'video.mp4' has no confirmed bout to train on; label some");
  // The two-stream trainer reads the same labels (its --video names the registered file).
  expect_one_line_error(test::run_cli({"--quiet", "behavior", "train-video", "--project", study.string(), "--video",
                                       (path("cage") / "video.mp4").string(), "--tracks", tracks, "--out",
                                       (tmp / "m0").string()}),
                        "video 'video.mp4' has no confirmed bout to train on; label some");
  EXPECT_FALSE(fs::exists(tmp / "m0"));

  project::Project p = project::Project::open(study);
  const project::VideoId video = p.list_videos().at(0).id;
  std::int64_t labelled = 0;
  for (const project::Bout& b : truth_bouts(read_instances_json(tracks), video, {1, 2})) {
    p.add_bout(b);
    labelled += b.end_frame - b.start_frame + 1;
  }
  ASSERT_EQ(test::run_cli({"--quiet", "active", "behavior-next", study.string(), "--model", path("model").string(),
                           "--tracks", tracks, "--n", "2", "--window-s", "1"})
                .exit_code,
            0);
  const std::int64_t proposals = p.count_bouts().unconfirmed;
  ASSERT_GT(proposals, 0);

  const auto r = test::run_cli(with(train, {"--out", (tmp / "m1").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(tmp / "m1" / "model.json"));
  EXPECT_NE(r.out.find("(" + std::to_string(labelled) + " labelled mouse-frames; " + std::to_string(proposals) +
                       " unconfirmed proposals left out)"),
            std::string::npos)
      << r.out;

  // The same labels through a CSV give the same fit.
  {
    std::ofstream csv(tmp / "labels.csv");
    csv << "frame,id,behavior\n";
    for (const project::FrameLabel& l : p.frame_labels(video)) csv << l.frame << ',' << l.track.value << ',' << l.behavior << '\n';
  }
  const auto from_csv = test::run_cli({"--quiet", "behavior", "train", "--tracks", tracks, "--labels",
                                       (tmp / "labels.csv").string(), "--rounds", "10", "--out", (tmp / "m2").string()});
  ASSERT_EQ(from_csv.exit_code, 0) << from_csv.err;
  auto fit_line = [](const std::string& out) {
    const auto at = out.find("fit on the training data");
    return at == std::string::npos ? out : out.substr(at, out.find('\n', at) - at);
  };
  EXPECT_EQ(fit_line(r.out), fit_line(from_csv.out));

  expect_one_line_error(test::run_cli(with(train, {"--out", (tmp / "m3").string(), "--video", tracks, "--video", tracks})),
                        "--video: 2 files for 1 --tracks");
  expect_one_line_error(test::run_cli(with(train, {"--out", (tmp / "m3").string(), "--behaviors", "resting,running"})),
                        "which is not in the behaviour list (resting,running); give --behaviors");
  EXPECT_NE(test::run_cli(with(train, {"--out", (tmp / "m3").string(), "--labels", (tmp / "labels.csv").string()}))
                .exit_code,
            0)
      << "--project and --labels exclude each other";
  EXPECT_FALSE(fs::exists(tmp / "m3"));
}

TEST(BehaviorSimulateCli, WritesTheCurveOfEveryStrategy) {
  test::TempDir tmp;
  for (const char* seed : {"21", "22", "23"})
    ASSERT_EQ(test::run_cli({"--quiet", "synth", "--out", (tmp / seed).string(), "--mice", "4", "--seconds", "20",
                             "--seed", seed, "--truth-only"})
                  .exit_code,
              0);
  const fs::path out = tmp / "curve";
  const auto r = test::run_cli({"--quiet", "active", "behavior-simulate", "--train", (tmp / "21").string(), "--train",
                                (tmp / "22" / "truth.json").string(), "--test", (tmp / "23").string(), "--out",
                                out.string(), "--initial", "6", "--per-cycle", "5", "--cycles", "2", "--window-s", "1",
                                "--rounds", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = lines_of(slurp(out / "learning_curve.csv"));
  ASSERT_EQ(rows.size(), 1u + 3 * 3);
  EXPECT_EQ(rows[0], "strategy,cycle,windows,mouse_frames,macro_f1,accuracy,bout_macro_f1,train_s");
  const char* strategies[] = {"random-stratified", "uncertainty", "hybrid"};
  for (int s = 0; s < 3; ++s)
    for (int c = 0; c < 3; ++c) {
      const auto f = fields(rows[1 + 3 * s + c]);
      ASSERT_EQ(f.size(), 8u);
      EXPECT_EQ(f[0], strategies[s]);
      EXPECT_EQ(std::stoi(f[1]), c);
      EXPECT_EQ(std::stoi(f[2]), 6 + 5 * c);
      EXPECT_EQ(std::stoll(f[3]), 30 * (6 + 5 * c));  // full 1 s windows of tracked mice
      const double f1 = std::stod(f[4]);
      EXPECT_GT(f1, 0.05);
      EXPECT_LE(f1, 1.0);
    }
  // The same initial windows: every strategy's first point is the same model.
  EXPECT_EQ(fields(rows[1])[4], fields(rows[4])[4]);
  EXPECT_EQ(fields(rows[1])[4], fields(rows[7])[4]);
  const auto summary = nlohmann::json::parse(slurp(out / "summary.json"));
  EXPECT_EQ(summary.at("reference"), "random-stratified");
  EXPECT_EQ(summary.at("pool_windows"), 2 * 4 * 20);
  EXPECT_TRUE(summary.at("labels_to_reach_random_final_macro_f1").at("random-stratified").at("windows").is_number());
  EXPECT_GT(fs::file_size(out / "learning_curve.png"), 1000u);
  EXPECT_NE(r.out.find("random-stratified reached random-stratified's final macro-F1"), std::string::npos) << r.out;

  expect_one_line_error(test::run_cli({"--quiet", "active", "behavior-simulate", "--train", (tmp / "21").string(),
                                       "--test", (tmp / "23").string(), "--out", out.string(), "--initial", "60",
                                       "--per-cycle", "20", "--cycles", "2", "--window-s", "1"}),
                        "simulate: the pool has 80 windows of 1 s, the simulation needs 100");
  expect_one_line_error(test::run_cli({"--quiet", "active", "behavior-simulate", "--train", (tmp / "none").string(),
                                       "--test", (tmp / "23").string(), "--out", out.string()}),
                        "nor a folder with truth.json");
}

}  // namespace
}  // namespace bt::analysis
