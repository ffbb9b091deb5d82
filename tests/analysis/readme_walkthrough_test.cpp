// The README's walkthrough ("The workflow, step by step"), run command by command on two
// short synthetic cages, so that what a newcomer copies from it keeps working.
//
// The commands are read from README.md itself. Only sizes and times are scaled down (the
// table `kScaled` below: 2000 sampled frames become 40, 20-minute training 0.3 minutes, and
// the classical detector stands in for a model that trained too briefly to find mice),
// the optional preprocessing line is skipped (it changes the frame rate the synthetic
// truth is in), and `annotate` starts the real server with the README's flags and stops it;
// then an oracle does what the person does in the app at that point: label the frames the
// app asks for from the synthetic truth (`labels import`), label behaviour bouts of three
// mice of the tracked video under the tracks' ids, and confirm the proposals `active
// behavior-next` queued. Every other line runs as written.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "behavtrack/core/instances_json.h"
#include "behavtrack/project/project.h"
#include "server/server_process.h"
#include "test_support.h"

namespace bt {
namespace {
namespace fs = std::filesystem;

// The walkthrough's shell lines, continuation lines joined and comments removed.
std::vector<std::string> walkthrough_commands() {
  std::ifstream readme(fs::path(BT_SOURCE_DIR) / "README.md");
  std::vector<std::string> commands;
  std::string line, joined;
  bool in_section = false, in_block = false;
  while (std::getline(readme, line)) {
    if (line.rfind("## The workflow, step by step", 0) == 0) in_section = true;
    if (!in_section) continue;
    if (line.rfind("```", 0) == 0) {
      if (in_block) break;
      in_block = true;
      continue;
    }
    if (!in_block) continue;
    const auto hash = line.find('#');
    std::string code = line.substr(0, hash);
    code.erase(code.find_last_not_of(" \t") + 1);
    const bool continues = !code.empty() && code.back() == '\\';
    if (continues) code.pop_back();
    joined += code;
    if (continues) continue;
    if (joined.find_first_not_of(" \t") != std::string::npos) commands.push_back(joined);
    joined.clear();
  }
  return commands;
}

// Whether the README marks the line optional (its comment starts with "optional").
bool marked_optional(const std::string& command) {
  std::ifstream readme(fs::path(BT_SOURCE_DIR) / "README.md");
  for (std::string line; std::getline(readme, line);)
    if (line.rfind(command, 0) == 0) return line.find("# optional") != std::string::npos;
  return false;
}

std::vector<std::string> words(const std::string& command) {
  std::stringstream ss(command);
  std::vector<std::string> out;
  for (std::string w; ss >> w;) out.push_back(w);
  return out;
}

// (command's first two words, flag) -> the value used here instead of the README's. The
// pose models train for 0.3 minutes here and find no mice yet, so `track` and `analyze`
// detect with the classical detector (`--model classical`, no training) instead.
const std::map<std::pair<std::string, std::string>, std::string> kScaled = {
    {{"frames sample", "--n"}, "40"},        {{"frames sample", "--every"}, "5"},
    {{"pose train", "--time-limit"}, "0.3"}, {{"active next", "--n"}, "5"},
    {{"active next", "--time-limit"}, "0.3"}, {{"active behavior-next", "--n"}, "3"},
    {{"track --video", "--model"}, "classical"}, {{"analyze cages/", "--model"}, "classical"},
};

class ReadmeWalkthroughSlow : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int k = 1; k <= 2; ++k) {
      const auto r = test::run_cli({"--quiet", "synth", "--out", (dir_ / ("synth" + std::to_string(k))).string(),
                                    "--mice", "5", "--seconds", "8", "--size", "320x240", "--seed", std::to_string(k)});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    fs::create_directories(dir_ / "cages");
    for (int k = 1; k <= 2; ++k)
      fs::copy_file(dir_ / ("synth" + std::to_string(k)) / "video.mp4", dir_ / "cages" / ("cage" + std::to_string(k) + ".mp4"));
    previous_ = fs::current_path();
    fs::current_path(dir_.path());  // the README's paths are relative
  }
  void TearDown() override { fs::current_path(previous_); }

  // The person at `annotate`: the frames asked for labelled from the truth; with
  // tracks, bouts of three mice under the tracks' ids if none yet, and every proposal
  // confirmed.
  void annotate(const std::string& project_dir) {
    project::Project p = project::Project::open(project_dir);
    for (const project::VideoRecord& v : p.list_videos()) {
      const std::string k = v.path.stem().string().substr(4);  // cage<k>
      InstancesFile truth = read_instances_json(dir_ / ("synth" + k) / "truth.json");
      const std::set<FrameIndex> asked = frames_to_label(p, v.id);
      truth.frames.erase(std::remove_if(truth.frames.begin(), truth.frames.end(),
                                        [&](const FrameInstances& f) { return !asked.count(f.frame); }),
                         truth.frames.end());
      truth.header.video = v.path.filename().string();
      const fs::path labels = dir_ / ("oracle" + k + ".json");
      write_instances_json(labels, truth);
      const auto r = test::run_cli({"--quiet", "labels", "import", project_dir, labels.string(), "--format",
                                    "behavtrack", "--video", std::to_string(v.id)});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    if (fs::exists("run/tracks.json")) label_bouts(p);
  }

  // What the app asks a person to label: the latest cycle's test, train and val frames and
  // the frames queued with predictions (the reserve and predict sets stay unlabelled: they
  // are active learning's pool).
  static std::set<FrameIndex> frames_to_label(const project::Project& p, project::VideoId video) {
    std::set<FrameIndex> out;
    project::FrameQuery q;
    q.video_id = video, q.limit = 0;
    for (project::Split split : {project::Split::kTest, project::Split::kTrain, project::Split::kVal}) {
      q.split = split;
      for (const project::FrameRecord& f : p.list_frames(q).frames) out.insert(f.frame_index);
    }
    q.split.reset();
    q.state = project::FrameState::kPredicted;
    for (const project::FrameRecord& f : p.list_frames(q).frames) out.insert(f.frame_index);
    return out;
  }

  void label_bouts(project::Project& p) {
    const InstancesFile tracks = read_instances_json("run/tracks.json");
    const project::VideoRecord video = p.list_videos().at(0);
    ASSERT_EQ(video.path.filename(), tracks.header.video);
    const std::vector<project::Bout> existing = p.list_bouts(video.id);
    if (existing.empty()) {
      const InstancesFile truth = read_instances_json(dir_ / "synth1" / "truth.json");
      const std::map<int, int> track_of = track_ids(truth, tracks);
      std::size_t tracked = 0;
      for (const FrameInstances& f : tracks.frames) tracked += f.instances.size();
      ASSERT_GE(track_of.size(), 3u) << "the tracks (" << tracked << " instances in " << tracks.frames.size()
                                     << " frames) follow too few of the mice to label their bouts";
      for (int mouse = 1; mouse <= 3; ++mouse)
        if (track_of.count(mouse)) add_truth_bouts(p, truth, video.id, mouse, track_of.at(mouse));
      return;
    }
    std::vector<project::BoutVersion> proposals;
    for (const project::Bout& b : existing)
      if (!b.confirmed) proposals.push_back({b.id, b.version});
    if (!proposals.empty()) ASSERT_EQ(p.confirm_bouts(proposals).status, project::PutStatus::kOk);
  }

  // Truth id -> the track id that covers it in most frames (box IoU >= 0.5).
  static std::map<int, int> track_ids(const InstancesFile& truth, const InstancesFile& tracks) {
    std::map<FrameIndex, const FrameInstances*> tracked;
    for (const FrameInstances& f : tracks.frames) tracked[f.frame] = &f;
    std::map<int, std::map<int, int>> votes;
    for (const FrameInstances& f : truth.frames) {
      if (!tracked.count(f.frame)) continue;
      for (const Instance& t : f.instances)
        for (const Instance& m : tracked[f.frame]->instances)
          if (m.id && iou(t.box, m.box) >= 0.5) ++votes[t.id->value][m.id->value];
    }
    std::map<int, int> out;
    std::set<int> taken;
    for (const auto& [mouse, counts] : votes) {
      int best = 0, best_n = 0;
      for (const auto& [id, n] : counts)
        if (n > best_n && !taken.count(id)) best = id, best_n = n;
      if (best) out[mouse] = best, taken.insert(best);
    }
    return out;
  }

  // One confirmed manual bout per run of one behaviour of `mouse`, under `track`'s id.
  static void add_truth_bouts(project::Project& p, const InstancesFile& truth, project::VideoId video, int mouse,
                              int track) {
    project::Bout open;
    for (const FrameInstances& f : truth.frames)
      for (const Instance& m : f.instances) {
        if (!m.id || m.id->value != mouse) continue;
        if (open.end_frame == f.frame - 1 && open.behavior == m.behavior && f.frame > 0) {
          open.end_frame = f.frame;
          continue;
        }
        if (!open.behavior.empty()) p.add_bout(open);
        open = project::Bout{};
        open.video_id = video, open.track = TrackId(track), open.behavior = m.behavior;
        open.start_frame = open.end_frame = f.frame;
      }
    if (!open.behavior.empty()) p.add_bout(open);
  }

  // The README's command as run here: scaled values, the glob expanded.
  static std::vector<std::string> as_run(const std::vector<std::string>& w) {
    std::vector<std::string> args = {"--quiet"};
    const std::string command = w.size() > 2 ? w[1] + " " + w[2] : "";
    for (std::size_t i = 1; i < w.size(); ++i) {
      if (w[i] == "cages/*.mp4") {
        args.insert(args.end(), {"cages/cage1.mp4", "cages/cage2.mp4"});
        continue;
      }
      args.push_back(w[i]);
      const auto scaled = kScaled.find({command, w[i]});
      if (scaled != kScaled.end() && i + 1 < w.size()) args.push_back(scaled->second), ++i;
    }
    return args;
  }

  test::TempDir dir_;
  fs::path previous_;
};

TEST_F(ReadmeWalkthroughSlow, EveryCommandRunsAsWritten) {
  const std::vector<std::string> commands = walkthrough_commands();
  ASSERT_GE(commands.size(), 15u) << "the README's walkthrough block was not found";
  ASSERT_EQ(commands.front(), "B=build/bin/behavtrack");
  std::set<std::string> ran;
  for (std::size_t c = 1; c < commands.size(); ++c) {
    const std::vector<std::string> w = words(commands[c]);
    ASSERT_EQ(w.at(0), "$B") << commands[c];
    if (marked_optional(commands[c])) continue;
    SCOPED_TRACE(commands[c]);
    if (w.at(1) == "annotate") {
      {  // the server starts with the README's flags (then the oracle labels)
        const test::ServerProcess server(w.at(2), std::vector<std::string>(w.begin() + 3, w.end()));
        ASSERT_GT(server.port(), 0);
      }
      annotate(w.at(2));
      if (HasFatalFailure()) return;
      continue;
    }
    const test::CliResult r = test::run_cli(as_run(w));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ran.insert(w[1]);
  }
  for (const char* command : {"project", "video", "frames", "pose", "active", "track", "behavior", "analyze"})
    EXPECT_TRUE(ran.count(command)) << command << " no longer in the walkthrough";

  // Where the README says the results are.
  for (const char* cage : {"cage1", "cage2"})
    for (const char* output : {"tracks.json", "tracks.csv", "behavior.csv", "bouts.csv", "tracks.mp4", "report.html"})
      EXPECT_TRUE(fs::exists(fs::path("results") / cage / output)) << cage << "/" << output;
  const project::Project p = project::Project::open("study");
  EXPECT_TRUE(fs::exists(p.dir() / "models" / "pose-cycle2" / "model.json"));
  EXPECT_EQ(p.count_bouts().unconfirmed, 0) << "the last annotate confirmed the proposals";
}

}  // namespace
}  // namespace bt
