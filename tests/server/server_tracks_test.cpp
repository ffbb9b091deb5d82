// Tracks drawn over the videos of the annotation app (`annotate --tracks`): the catalog
// matching tracks files to registered videos, GET /api/videos/ID/tracks against a real
// project and a real HTTP client, the /api/videos flag, and the CLI's error lines.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "behavtrack/core/error.h"
#include "behavtrack/core/instances_json.h"
#include "behavtrack/server/project_backend.h"
#include "behavtrack/server/server.h"
#include "behavtrack/server/tracks_catalog.h"
#include "server/http_json.h"
#include "server/server_fixture.h"
#include "server/server_process.h"
#include "test_support.h"

namespace bt::server {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// 9 sampled frames, stride 3: a 27-frame video, 320x240.
test::FixtureOptions fixture_options() {
  test::FixtureOptions o;
  o.n_frames = 9;
  o.n_predicted = 0;
  return o;
}

std::string load_error(const fs::path& project, const std::vector<TracksInput>& inputs) {
  try {
    TracksCatalog::load(project, inputs);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class ServerTracks : public ::testing::Test {
 protected:
  void SetUp() override {
    test::make_annotation_project(project(), fixture_options());
    test::write_fixture_tracks(tracks_file(), fixture_options());
    backend_ = open_project_backend(project());
  }

  fs::path project() const { return dir_ / "p"; }
  fs::path tracks_file() const { return dir_ / "tracks.json"; }

  void serve(TracksCatalog catalog) {
    ServerOptions so;
    so.port = 0;
    so.web_dir = test::source_dir() / "web";
    server_ = std::make_unique<AnnotationServer>(so, *backend_, std::move(catalog));
    server_->start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  json get_json(const std::string& path, int expected_status = 200) {
    return test::get_json(*client_, path, expected_status);
  }

  std::string error_of(const std::string& path, int status) { return get_json(path, status).value("error", ""); }

  // A tracks file for the fixture's video with `frames` as given.
  fs::path write_tracks(const std::string& name, std::vector<FrameInstances> frames, const std::string& video = "video.mp4") {
    InstancesFile f;
    f.header.video = video;
    f.header.width = 320;
    f.header.height = 240;
    f.frames = std::move(frames);
    write_instances_json(dir_ / name, f);
    return dir_ / name;
  }

  static Instance mouse(double x, std::optional<int> id) {
    Instance in;
    in.box = Box::from_xyxy(x, 50, x + 40, 90);
    in.keypoints = {{x + 5, 60, Visibility::kVisible}, {x + 10, 55, Visibility::kOccluded},
                    {x + 10, 65, Visibility::kVisible}, {x + 35, 80, Visibility::kAbsent}};
    in.score = 0.8f;
    if (id) in.id = TrackId(*id);
    return in;
  }

  test::TempDir dir_;
  std::unique_ptr<AnnotationBackend> backend_;
  std::unique_ptr<AnnotationServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerTracks, TheRangeHoldsTheFileInstancesWithTheirIdsAndBoxes) {
  serve(TracksCatalog::load(project(), {{tracks_file(), {}}}));
  const InstancesFile file = read_instances_json(tracks_file());
  const json reply = get_json("/api/videos/1/tracks?from=3&to=5");
  EXPECT_EQ(reply["video_id"], 1);
  EXPECT_EQ(reply["from"], 3);
  EXPECT_EQ(reply["to"], 5);
  ASSERT_EQ(reply["frames"].size(), 3u);
  for (int k = 0; k < 3; ++k) {
    const json& frame = reply["frames"][k];
    const FrameInstances& expected = file.frames[3 + k];
    ASSERT_EQ(frame["frame"], expected.frame);
    ASSERT_EQ(frame["instances"].size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
      const Instance& in = expected.instances[i];
      const json& got = frame["instances"][i];
      EXPECT_EQ(got["id"], in.id->value);
      EXPECT_EQ(got["bbox"], json({in.box.x1, in.box.y1, in.box.x2, in.box.y2}));
      EXPECT_EQ(got["keypoints"][0], json({in.keypoints[0].x, in.keypoints[0].y, 2}));
      EXPECT_FLOAT_EQ(got["score"].get<float>(), in.score);
    }
  }
  // The right-hand mouse is id 1: its box lies right of id 2's.
  const json& first = reply["frames"][0]["instances"];
  const auto box_of = [&](int id) {
    for (const json& in : first)
      if (in["id"] == id) return in["bbox"];
    return json();
  };
  EXPECT_GT(box_of(1)[0].get<double>(), box_of(2)[2].get<double>());
  // `to` defaults to `from`: one frame; the last frame of the video is allowed.
  EXPECT_EQ(get_json("/api/videos/1/tracks?from=26")["frames"][0]["frame"], 26);
  EXPECT_EQ(get_json("/api/videos/1/tracks?from=0&to=26")["frames"].size(), 27u);
}

TEST_F(ServerTracks, FramesWithoutTrackedMiceAreLeftOutAndInstancesWithoutIdsDropped) {
  const fs::path file = write_tracks("gaps.json", {{0, {mouse(10, 1), mouse(100, 2)}},
                                                   {5, {mouse(20, 2), mouse(200, std::nullopt)}},
                                                   {6, {mouse(30, std::nullopt)}},
                                                   {9, {mouse(40, 3)}}});
  const TracksCatalog catalog = TracksCatalog::load(project(), {{file, {}}});
  const VideoTracks* t = catalog.find(1);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->ids, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(t->n_instances, 4);
  EXPECT_EQ(t->n_without_id, 2);
  serve(catalog);
  const json reply = get_json("/api/videos/1/tracks?from=1&to=9");
  ASSERT_EQ(reply["frames"].size(), 2u);
  EXPECT_EQ(reply["frames"][0]["frame"], 5);
  EXPECT_EQ(reply["frames"][0]["instances"].size(), 1u);
  EXPECT_EQ(reply["frames"][0]["instances"][0]["id"], 2);
  EXPECT_EQ(reply["frames"][1]["frame"], 9);
  EXPECT_EQ(get_json("/api/videos/1/tracks?from=1&to=4")["frames"].size(), 0u);
}

TEST_F(ServerTracks, VideosSayWhetherTracksAreLoaded) {
  serve(TracksCatalog::load(project(), {{tracks_file(), {}}}));
  const json video = get_json("/api/videos")["videos"][0];
  EXPECT_EQ(video["tracks"]["file"], "tracks.json");
  EXPECT_EQ(video["tracks"]["ids"], json({1, 2}));
  EXPECT_EQ(video["tracks"]["first_frame"], 0);
  EXPECT_EQ(video["tracks"]["last_frame"], 26);
  EXPECT_EQ(video["tracks"]["n_instances"], 54);
}

TEST_F(ServerTracks, WithoutTracksTheVideoSaysSoAndTheRouteIs404) {
  serve({});
  EXPECT_TRUE(get_json("/api/videos")["videos"][0]["tracks"].is_null());
  EXPECT_EQ(error_of("/api/videos/1/tracks?from=0", 404),
            "video 1: no tracks loaded; start annotate with --tracks run/tracks.json");
}

TEST_F(ServerTracks, BadRangesGet400WithTheirReason) {
  serve(TracksCatalog::load(project(), {{tracks_file(), {}}}));
  EXPECT_EQ(error_of("/api/videos/1/tracks", 400), "from: required (?from=F&to=G, frame indices)");
  EXPECT_EQ(error_of("/api/videos/1/tracks?from=3x", 400), "from: expected an integer, got '3x'");
  EXPECT_EQ(error_of("/api/videos/1/tracks?from=0&to=", 400), "to: expected an integer, got ''");
  EXPECT_EQ(error_of("/api/videos/1/tracks?from=-1", 400), "from: -1 is not a frame of the video (0..26)");
  EXPECT_EQ(error_of("/api/videos/1/tracks?from=27", 400), "from: 27 is not a frame of the video (0..26)");
  EXPECT_EQ(error_of("/api/videos/1/tracks?from=5&to=4", 400),
            "to: 4 is not in 5..26 (from .. the video's last frame)");
  EXPECT_EQ(error_of("/api/videos/1/tracks?from=20&to=27", 400),
            "to: 27 is not in 20..26 (from .. the video's last frame)");
  EXPECT_EQ(error_of("/api/videos/1/tracks?from=0&to=300", 400),
            "to: at most 300 frames a request (from 0: to <= 299), got 300");
  EXPECT_EQ(error_of("/api/videos/7/tracks?from=0", 404), "video 7: no such video in the project");
}

TEST_F(ServerTracks, AnExplicitVideoFilePairsTracksThatNameAnotherFile) {
  const fs::path file = write_tracks("renamed.json", {{0, {mouse(10, 1)}}}, "cage1_renamed.mp4");
  EXPECT_TRUE(contains(load_error(project(), {{file, {}}}),
                       "its video 'cage1_renamed.mp4' is not registered in project"));
  const TracksCatalog catalog = TracksCatalog::load(project(), {{file, project() / "media" / "video.mp4"}});
  ASSERT_NE(catalog.find(1), nullptr);
  EXPECT_EQ(catalog.find(1)->file, file);
}

TEST_F(ServerTracks, BadTracksFilesAreRefusedNamingTheFile) {
  const std::string tracks = bt::quoted(tracks_file().string());
  const fs::path no_ids = write_tracks("no_ids.json", {{0, {mouse(10, std::nullopt)}}});
  EXPECT_EQ(load_error(project(), {{no_ids, {}}}),
            "tracks " + bt::quoted(no_ids.string()) + ": no instance has an id; run 'behavtrack track' first");
  const fs::path other = write_tracks("other.json", {{0, {mouse(10, 1)}}}, "other.mp4");
  const std::string unregistered = load_error(project(), {{other, {}}});
  EXPECT_TRUE(contains(unregistered, "tracks " + bt::quoted(other.string()) + ": its video 'other.mp4' is not registered"))
      << unregistered;
  EXPECT_EQ(load_error(project(), {{tracks_file(), {}}, {tracks_file(), {}}}),
            "tracks " + tracks + ": video 'video.mp4' is already given by tracks " + tracks +
                "; give one tracks file per video");
  const fs::path past_end = write_tracks("past_end.json", {{27, {mouse(10, 1)}}});
  EXPECT_TRUE(contains(load_error(project(), {{past_end, {}}}), "frame 27 is beyond video 'video.mp4' (27 frames)"));
  InstancesFile resized = read_instances_json(tracks_file());
  resized.header.width = 640;
  resized.header.height = 480;
  write_instances_json(dir_ / "resized.json", resized);
  EXPECT_EQ(load_error(project(), {{dir_ / "resized.json", {}}}),
            "tracks " + bt::quoted((dir_ / "resized.json").string()) +
                ": made on 640x480 frames, but video 'video.mp4' is 320x240; are these the tracks of a resized copy?");
  EXPECT_TRUE(contains(load_error(project(), {{dir_ / "missing.json", {}}}), "missing.json"));
}

// The CLI: one line on stderr naming the file, a non-zero exit, and no server.
TEST_F(ServerTracks, AnnotateRefusesBadTracksWithOneLineAndNoServer) {
  const fs::path other = write_tracks("other.json", {{0, {mouse(10, 1)}}}, "other.mp4");
  const fs::path no_ids = write_tracks("no_ids.json", {{0, {mouse(10, std::nullopt)}}});
  fs::create_directories(dir_ / "notjson");
  std::ofstream(dir_ / "notjson" / "t.json") << "{not json";
  const struct {
    fs::path file;
    int exit_code;
    std::string message;
  } cases[] = {{other, 3, ": its video 'other.mp4' is not registered in project"},
               {no_ids, 2, ": no instance has an id; run 'behavtrack track' first"},
               {dir_ / "notjson" / "t.json", 2, "t.json"},
               {dir_ / "missing.json", 3, "missing.json"}};
  for (const auto& c : cases) {
    const auto r = test::run_cli({"annotate", project().string(), "--port", "0", "--tracks", c.file.string()});
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    EXPECT_TRUE(contains(r.err, c.message)) << r.err;
    EXPECT_TRUE(contains(r.err, c.file.filename().string())) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(contains(r.out, "serving")) << r.out;
  }
  const auto r = test::run_cli({"annotate", project().string(), "--port", "0", "--tracks", tracks_file().string(),
                                "--tracks", other.string(), "--tracks-video", (project() / "media" / "video.mp4").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "behavtrack: --tracks-video: 1 files for 2 --tracks; give one video per tracks file, in the same order\n");
}

TEST_F(ServerTracks, AnnotateWithTracksServesThem) {
  test::ServerProcess server(project(), {"--tracks", tracks_file().string()});
  ASSERT_GT(server.port(), 0);
  client_ = std::make_unique<httplib::Client>("127.0.0.1", server.port());
  EXPECT_EQ(get_json("/api/videos")["videos"][0]["tracks"]["ids"], json({1, 2}));
  EXPECT_EQ(get_json("/api/videos/1/tracks?from=2&to=3")["frames"].size(), 2u);
}

}  // namespace
}  // namespace bt::server
