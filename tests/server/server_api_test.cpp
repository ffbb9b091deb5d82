// The annotation server's JSON API against a real project store, a real encoded video and
// a real HTTP client (docs/http-api.md): every route, bad bodies, unknown ids, conflicts.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "behavtrack/server/project_backend.h"
#include "behavtrack/server/server.h"
#include "behavtrack/video/video_reader.h"
#include "server/http_json.h"
#include "server/server_fixture.h"
#include "test_support.h"

namespace bt::server {
namespace {
using nlohmann::json;

class ServerApi : public ::testing::Test {
 protected:
  void SetUp() override {
    test::FixtureOptions o;
    o.n_frames = 9;
    o.n_predicted = 2;
    o.n_cached = 2;
    test::make_annotation_project(dir_.path() / "p", o);
    backend_ = open_project_backend(dir_.path() / "p");
    ServerOptions so;
    so.port = 0;
    so.web_dir = test::source_dir() / "web";
    server_ = std::make_unique<AnnotationServer>(so, *backend_);
    server_->start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_url_encode(false);
  }

  json get_json(const std::string& path, int expected_status = 200) {
    return test::get_json(*client_, path, expected_status);
  }

  httplib::Result put(const std::string& path, const std::string& body) {
    return client_->Put(path.c_str(), body, "application/json");
  }
  httplib::Result post(const std::string& path, const std::string& body) {
    return client_->Post(path.c_str(), body, "application/json");
  }

  // The error message of a reply, asserting its status.
  std::string error_of(const httplib::Result& res, int status) {
    EXPECT_TRUE(res);
    if (!res) return "";
    EXPECT_EQ(res->status, status) << res->body;
    return json::parse(res->body).value("error", "");
  }

  json first_frame() { return get_json("/api/frames?limit=1")["frames"][0]; }

  static json mouse(double x, int id = 1) {
    return {{"id", id},
            {"bbox", {x, 50, x + 40, 90}},
            {"keypoints", {{x + 5, 60, 2}, {x + 10, 55, 1}, {x + 10, 65, 2}, {x + 35, 80, 0}}}};
  }

  test::TempDir dir_;
  std::unique_ptr<AnnotationBackend> backend_;
  std::unique_ptr<AnnotationServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerApi, HealthAndProjectDescribeTheProject) {
  EXPECT_EQ(get_json("/api/health")["ok"], true);
  const json p = get_json("/api/project");
  EXPECT_EQ(p["skeleton"]["keypoints"], json({"nose", "earL", "earR", "tailB"}));
  EXPECT_EQ(p["expected_animals"], 2);
  EXPECT_EQ(p["behaviors"].size(), default_behaviors().size());
  EXPECT_EQ(p["counts"]["total"], 9);
  EXPECT_EQ(p["counts"]["predicted"], 2);
  EXPECT_EQ(p["counts"]["empty"], 7);
  EXPECT_EQ(p["splits"].size(), 5u);
}

TEST_F(ServerApi, FramesArePagedFilteredAndSorted) {
  const json page = get_json("/api/frames?offset=3&limit=4");
  EXPECT_EQ(page["total"], 9);
  ASSERT_EQ(page["frames"].size(), 4u);
  EXPECT_EQ(page["frames"][0]["name"], "video_frame_9");  // stride 3: the 4th frame is index 9
  EXPECT_EQ(get_json("/api/frames?state=predicted")["total"], 2);
  EXPECT_EQ(get_json("/api/frames?split=train")["total"], 3);
  const json test_frames = get_json("/api/frames?split=test");  // kept alive for the loop
  ASSERT_EQ(test_frames["frames"].size(), 3u);
  for (const json& f : test_frames["frames"]) EXPECT_EQ(f["split"], "test");

  // Complete the first frame; incomplete-first order puts it last.
  const json f = first_frame();
  const json body = {{"version", f["version"]}, {"instances", {mouse(10, 1), mouse(100, 2)}}};
  json b2 = body;
  for (auto& inst : b2["instances"])
    for (auto& k : inst["keypoints"]) k[2] = 2;
  ASSERT_EQ(put("/api/frames/" + std::to_string(f["id"].get<int>()) + "/annotations", b2.dump())->status, 200);
  const json sorted = get_json("/api/frames?sort=incomplete_first&limit=100");
  EXPECT_EQ(sorted["frames"].back()["id"], f["id"]);
  EXPECT_EQ(sorted["frames"].back()["state"], "complete");
  EXPECT_EQ(get_json("/api/project")["counts"]["complete"], 1);
}

TEST_F(ServerApi, BadFrameQueriesAreRefusedWithTheirReason) {
  EXPECT_EQ(error_of(client_->Get("/api/frames?state=bogus"), 400),
            "state: 'bogus' is not one of complete, predicted, started, empty");
  EXPECT_EQ(error_of(client_->Get("/api/frames?limit=0"), 400), "limit: expected 1..1000, got 0");
  EXPECT_EQ(error_of(client_->Get("/api/frames?offset=3x"), 400), "offset: expected an integer, got '3x'");
  EXPECT_EQ(error_of(client_->Get("/api/frames?sort=random"), 400),
            "sort: 'random' is not one of index, incomplete_first");
  EXPECT_NE(error_of(client_->Get("/api/frames?split=holiday"), 400).find("holiday"), std::string::npos);
}

TEST_F(ServerApi, AnnotationsRoundTripWithVersions) {
  const json f = first_frame();
  const std::string url = "/api/frames/" + std::to_string(f["id"].get<int>()) + "/annotations";
  const json before = get_json(url);
  ASSERT_EQ(before["instances"].size(), 2u);  // the fixture's predictions
  EXPECT_EQ(before["instances"][0]["predicted"], true);
  EXPECT_EQ(before["instances"][0]["confirmed"], false);

  auto res = put(url, json{{"version", before["version"]}, {"instances", {mouse(30)}}}.dump());
  ASSERT_EQ(res->status, 200) << res->body;
  const json ack = json::parse(res->body);
  EXPECT_EQ(ack["version"], before["version"].get<int>() + 1);
  EXPECT_EQ(ack["state"], "started");

  const json after = get_json(url);
  ASSERT_EQ(after["instances"].size(), 1u);
  EXPECT_EQ(after["instances"][0]["bbox"], json({30.0, 50.0, 70.0, 90.0}));
  EXPECT_EQ(after["instances"][0]["keypoints"][1], json({40.0, 55.0, 1}));
  EXPECT_EQ(after["instances"][0]["confirmed"], true);
  EXPECT_EQ(after["version"], ack["version"]);
}

TEST_F(ServerApi, AStaleVersionGets409AndChangesNothing) {
  const json f = first_frame();
  const std::string url = "/api/frames/" + std::to_string(f["id"].get<int>()) + "/annotations";
  const int v = get_json(url)["version"];
  ASSERT_EQ(put(url, json{{"version", v}, {"instances", {mouse(10)}}}.dump())->status, 200);
  // A second tab still holding version v:
  auto res = put(url, json{{"version", v}, {"instances", {mouse(200)}}}.dump());
  EXPECT_EQ(error_of(res, 409), "changed since this version was read; reload it");
  EXPECT_EQ(json::parse(res->body)["version"], v + 1);
  EXPECT_EQ(get_json(url)["instances"][0]["bbox"][0], 10.0);
}

TEST_F(ServerApi, MalformedBodiesGet400NamingTheField) {
  const json f = first_frame();
  const std::string url = "/api/frames/" + std::to_string(f["id"].get<int>()) + "/annotations";
  const int v = f["version"];
  auto with = [&](json inst) { return json{{"version", v}, {"instances", {inst}}}.dump(); };
  EXPECT_EQ(error_of(put(url, "{not json"), 400).rfind("request body: not JSON", 0), 0u);
  EXPECT_EQ(error_of(put(url, R"({"instances": []})"), 400), "request body: missing field 'version'");
  EXPECT_EQ(error_of(put(url, R"({"version": "1", "instances": []})"), 400), "request body.version: expected an integer");
  EXPECT_EQ(error_of(put(url, json{{"version", v}}.dump()), 400), "request body: missing field 'instances'");
  json few = mouse(10);
  few["keypoints"].erase(3);
  EXPECT_EQ(error_of(put(url, with(few)), 400), "instances[0].keypoints: expected 4 keypoints (the project's skeleton)");
  json flat = mouse(10);
  flat["bbox"] = {10, 50, 10, 90};
  EXPECT_EQ(error_of(put(url, with(flat)), 400), "instances[0].bbox: expected x2 > x1 and y2 > y1");
  json badv = mouse(10);
  badv["keypoints"][2][2] = 3;
  EXPECT_EQ(error_of(put(url, with(badv)), 400), "instances[0].keypoints[2]: expected [x, y, v] with v in 0, 1, 2");
  json text = mouse(10);
  text["bbox"][1] = "50";
  EXPECT_EQ(error_of(put(url, with(text)), 400), "instances[0].bbox[1]: expected a number");
  json badid = mouse(10);
  badid["id"] = 0;
  EXPECT_EQ(error_of(put(url, with(badid)), 400), "instances[0].id: expected a track id >= 1 or null");
  EXPECT_EQ(get_json(url)["version"], v);  // nothing was written
}

// Bytes that are not UTF-8 quoted back in an error message made the reply itself fail
// (500); a body over the limit was answered "no such route".
TEST_F(ServerApi, NonUtf8AndOversizedBodiesGetTheirOwn4xx) {
  const std::string bouts = "/api/videos/" + std::to_string(get_json("/api/videos")["videos"][0]["id"].get<int>()) + "/bouts";
  const auto res = post(bouts, "{\"track_id\": 1, \"behavior\": \"rearing\xff\", \"start_frame\": 3, \"end_frame\": 8}");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status / 100, 4) << res->body;
  EXPECT_NO_THROW(json::parse(res->body)) << res->body;
  const json f = first_frame();
  const std::string url = "/api/frames/" + std::to_string(f["id"].get<int>()) + "/annotations";
  EXPECT_EQ(error_of(put(url, std::string(17 << 20, ' ')), 413), "request body: larger than 16 MiB");
  EXPECT_EQ(error_of(put(url, "{\"version\":1,"), 400).find("[json.exception"), std::string::npos);
}

TEST_F(ServerApi, UnknownIdsAndRoutesGet404) {
  EXPECT_EQ(error_of(client_->Get("/api/frames/999999"), 404).find("999999") != std::string::npos, true);
  EXPECT_EQ(client_->Get("/api/frames/999999/annotations")->status, 404);
  EXPECT_EQ(put("/api/frames/999999/annotations", R"({"version":0,"instances":[]})")->status, 404);
  EXPECT_EQ(post("/api/frames/999999/accept", R"({"version":0})")->status, 404);
  EXPECT_EQ(client_->Get("/api/frames/999999/image")->status, 404);
  EXPECT_EQ(error_of(client_->Get("/api/videos/77/bouts"), 404), "video 77: no such video in the project");
  EXPECT_EQ(error_of(client_->Delete("/api/bouts/5?version=0"), 404), "bout 5: no such bout");
  EXPECT_EQ(error_of(client_->Get("/api/nothing"), 404), "no such API route: /api/nothing");
  EXPECT_EQ(client_->Get("/api/frames/next_unconfirmed?after=0")->status, 200);
}

TEST_F(ServerApi, AcceptConfirmsPredictionsOneOrAll) {
  const json f = first_frame();
  const std::string id = std::to_string(f["id"].get<int>());
  const int v = f["version"];
  EXPECT_EQ(error_of(post("/api/frames/" + id + "/accept", json{{"version", v}, {"instance", 5}}.dump()), 400),
            "instance: frame " + id + " has no instance 5");
  auto res = post("/api/frames/" + id + "/accept", json{{"version", v}, {"instance", 1}}.dump());
  ASSERT_EQ(res->status, 200) << res->body;
  json a = get_json("/api/frames/" + id + "/annotations");
  EXPECT_EQ(a["instances"][0]["confirmed"], false);
  EXPECT_EQ(a["instances"][1]["confirmed"], true);
  EXPECT_EQ(error_of(post("/api/frames/" + id + "/accept", json{{"version", v}}.dump()), 409),
            "changed since this version was read; reload it");
  ASSERT_EQ(post("/api/frames/" + id + "/accept", json{{"version", a["version"]}}.dump())->status, 200);
  a = get_json("/api/frames/" + id + "/annotations");
  EXPECT_EQ(a["instances"][0]["confirmed"], true);
  EXPECT_EQ(a["instances"][0]["predicted"], true);  // still known to come from a model
  // The other predicted frame is now the next unconfirmed one.
  const json next = get_json("/api/frames/next_unconfirmed?after=" + id);
  EXPECT_NE(next["id"], f["id"]);
  EXPECT_EQ(get_json("/api/frames/" + std::to_string(next["id"].get<int>()))["state"], "predicted");
}

TEST_F(ServerApi, FrameImagesAreTheExactVideoFrames) {
  const json page = get_json("/api/frames?offset=4&limit=1");
  const json f = page["frames"][0];
  auto res = client_->Get(("/api/frames/" + std::to_string(f["id"].get<int>()) + "/image").c_str());
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "image/jpeg");
  const cv::Mat shown = cv::imdecode(std::vector<unsigned char>(res->body.begin(), res->body.end()), cv::IMREAD_COLOR);
  video::VideoReader reader(dir_.path() / "p" / "media" / "video.mp4");
  const cv::Mat truth = reader.frame(f["frame_index"].get<int>());
  ASSERT_EQ(shown.size(), truth.size());
  EXPECT_LT(cv::norm(shown, truth, cv::NORM_L1) / shown.total(), 6.0);  // JPEG noise only
  const cv::Mat neighbour = reader.frame(f["frame_index"].get<int>() + 1);
  EXPECT_GT(cv::norm(shown, neighbour, cv::NORM_L1), cv::norm(shown, truth, cv::NORM_L1));

  // A frame in the project's frame cache is served from it, losslessly.
  const json cached = get_json("/api/frames?offset=1&limit=1")["frames"][0];
  res = client_->Get(("/api/frames/" + std::to_string(cached["id"].get<int>()) + "/image").c_str());
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "image/png");
  const cv::Mat png = cv::imdecode(std::vector<unsigned char>(res->body.begin(), res->body.end()), cv::IMREAD_COLOR);
  EXPECT_EQ(cv::norm(png, reader.frame(cached["frame_index"].get<int>()), cv::NORM_INF), 0.0);

  const int video_id = f["video_id"];
  EXPECT_EQ(client_->Get(("/api/videos/" + std::to_string(video_id) + "/frames/3/image").c_str())->status, 200);
  EXPECT_EQ(error_of(client_->Get(("/api/videos/" + std::to_string(video_id) + "/frames/27/image").c_str()), 404),
            "video " + std::to_string(video_id) + ": frame 27 is past its last frame 26");
  const json videos = get_json("/api/videos");
  EXPECT_EQ(videos["videos"][0]["n_frames"], 27);
  EXPECT_EQ(videos["videos"][0]["width"], 320);
}

TEST_F(ServerApi, ProposedBoutsCarryTheFlagAndAreConfirmedByConfirmOrEdit) {
  const std::string vid = std::to_string(get_json("/api/videos")["videos"][0]["id"].get<int>());
  const std::string bouts = "/api/videos/" + vid + "/bouts";
  auto res = post(bouts, R"({"track_id": 1, "behavior": "running", "start_frame": 0, "end_frame": 4, "predicted": true, "confirmed": false})");
  ASSERT_EQ(res->status, 201) << res->body;
  const json a = json::parse(res->body);
  EXPECT_EQ(a["predicted"], true);
  EXPECT_EQ(a["confirmed"], false);
  res = post(bouts, R"({"track_id": 1, "behavior": "resting", "start_frame": 5, "end_frame": 9, "predicted": true, "confirmed": false})");
  const json b = json::parse(res->body);
  res = post(bouts, R"({"track_id": 2, "behavior": "rearing", "start_frame": 0, "end_frame": 9})");
  const json manual = json::parse(res->body);
  EXPECT_EQ(manual["predicted"], false);
  EXPECT_EQ(manual["confirmed"], true);
  EXPECT_EQ(error_of(post(bouts, R"({"track_id": 2, "behavior": "resting", "start_frame": 20, "end_frame": 21, "confirmed": "yes"})"), 400),
            "confirmed: expected true or false");

  // Exports feed training: unconfirmed proposals are left out and counted, unless asked.
  auto labels = client_->Get(("/api/videos/" + vid + "/export/labels.csv").c_str());
  ASSERT_EQ(labels->status, 200);
  EXPECT_EQ(labels->get_header_value("X-Unconfirmed-Bouts-Skipped"), "2");
  EXPECT_EQ(std::count(labels->body.begin(), labels->body.end(), '\n'), 1 + 10) << labels->body;
  EXPECT_EQ(labels->body.find("running"), std::string::npos);
  auto events = client_->Get(("/api/videos/" + vid + "/export/events.csv?include_unconfirmed=1").c_str());
  EXPECT_EQ(events->get_header_value("X-Unconfirmed-Bouts-Skipped"), "0");
  EXPECT_NE(events->body.find("mouse 1,running,,,START"), std::string::npos) << events->body;
  EXPECT_EQ(error_of(client_->Get(("/api/videos/" + vid + "/export/labels.csv?include_unconfirmed=yes").c_str()), 400),
            "include_unconfirmed: expected an integer, got 'yes'");
  EXPECT_EQ(error_of(client_->Get(("/api/videos/" + vid + "/export/labels.csv?include_unconfirmed=2").c_str()), 400),
            "include_unconfirmed: expected 0 or 1, got 2");

  // An edit without the flag is a person's: it confirms; the source stays "predicted".
  res = put("/api/bouts/" + std::to_string(b["id"].get<int>()),
            json{{"track_id", 1}, {"behavior", "exploring"}, {"start_frame", 5}, {"end_frame", 12}, {"version", 1}}.dump());
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["confirmed"], true);
  EXPECT_EQ(json::parse(res->body)["predicted"], true);

  // Confirm: all or none. A stale version answers 409 naming the bout and changes nothing.
  const std::string confirm = "/api/bouts/confirm";
  const std::string aid = std::to_string(a["id"].get<int>()), bid = std::to_string(b["id"].get<int>());
  res = post(confirm, R"({"bouts": [{"id": )" + aid + R"(, "version": 1}, {"id": )" + bid + R"(, "version": 1}]})");
  ASSERT_EQ(res->status, 409) << res->body;
  EXPECT_EQ(json::parse(res->body)["bouts"], json::parse(R"([{"id": )" + bid + R"(, "version": 2}])"));
  for (const json& x : get_json(bouts)["bouts"])
    if (x["id"] == a["id"]) {
      EXPECT_EQ(x["confirmed"], false);
    }
  res = post(confirm, R"({"bouts": [{"id": )" + aid + R"(, "version": 1}, {"id": )" + bid + R"(, "version": 2}]})");
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["bouts"],
            json::parse(R"([{"id": )" + aid + R"(, "version": 2}, {"id": )" + bid + R"(, "version": 2}])"));
  for (const json& x : get_json(bouts)["bouts"]) EXPECT_EQ(x["confirmed"], true) << x.dump();
  labels = client_->Get(("/api/videos/" + vid + "/export/labels.csv").c_str());
  EXPECT_EQ(labels->get_header_value("X-Unconfirmed-Bouts-Skipped"), "0");

  EXPECT_EQ(error_of(post(confirm, R"({"bouts": []})"), 400), "bouts: expected a non-empty array of {id, version}");
  EXPECT_EQ(error_of(post(confirm, R"({"bouts": [{"id": 1}]})"), 400), "bouts[0]: missing field 'version'");
  EXPECT_EQ(error_of(post(confirm, R"({"bouts": [{"id": 999, "version": 1}]})"), 404), "bout 999: no such bout");
}

TEST_F(ServerApi, BoutsCrudWithValidationAndExports) {
  const std::string vid = std::to_string(get_json("/api/videos")["videos"][0]["id"].get<int>());
  const std::string bouts = "/api/videos/" + vid + "/bouts";
  auto res = post(bouts, R"({"track_id": 1, "behavior": "rearing", "start_frame": 3, "end_frame": 8})");
  ASSERT_EQ(res->status, 201) << res->body;
  const json b = json::parse(res->body);
  ASSERT_EQ(post(bouts, R"({"track_id": 2, "behavior": "resting", "start_frame": 0, "end_frame": 2})")->status, 201);

  EXPECT_EQ(error_of(post(bouts, R"({"track_id": 1, "behavior": "dancing", "start_frame": 0, "end_frame": 1})"), 400),
            "behavior: 'dancing' is not one of the project's behaviours");
  EXPECT_EQ(error_of(post(bouts, R"({"track_id": 1, "behavior": "resting", "start_frame": 5, "end_frame": 4})"), 400),
            "end_frame: expected >= start_frame");
  EXPECT_EQ(error_of(post(bouts, R"({"track_id": 1, "behavior": "resting", "start_frame": 5, "end_frame": 27})"), 400),
            "end_frame: 27 is past the video's last frame 26");
  EXPECT_EQ(post(bouts, R"({"track_id": 1, "behavior": "resting", "start_frame": 8, "end_frame": 9})")->status, 400)
      << "overlaps the rearing bout of the same mouse";
  EXPECT_EQ(error_of(post(bouts, R"({"track_id": 0, "behavior": "resting", "start_frame": 1, "end_frame": 2})"), 400),
            "track_id: expected an id >= 1");

  const std::string one = "/api/bouts/" + std::to_string(b["id"].get<int>());
  res = put(one, json{{"track_id", 1}, {"behavior", "rearing"}, {"start_frame", 4}, {"end_frame", 9}, {"version", b["version"]}}.dump());
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["start_frame"], 4);
  EXPECT_EQ(put(one, json{{"track_id", 1}, {"behavior", "rearing"}, {"start_frame", 5}, {"end_frame", 9}, {"version", b["version"]}}.dump())->status, 409);

  const json listed = get_json(bouts);
  ASSERT_EQ(listed["bouts"].size(), 2u);

  auto events = client_->Get(("/api/videos/" + vid + "/export/events.csv").c_str());
  ASSERT_EQ(events->status, 200);
  EXPECT_EQ(events->get_header_value("Content-Type"), "text/csv");
  // fps 30: resting 0..2 -> START 0.000, STOP 0.100; rearing 4..9 -> 0.133, 0.333.
  EXPECT_NE(events->body.find("mouse 2,resting,,,START,0.000,0\n"), std::string::npos) << events->body;
  EXPECT_NE(events->body.find("mouse 2,resting,,,STOP,0.100,2\n"), std::string::npos) << events->body;
  EXPECT_NE(events->body.find("mouse 1,rearing,,,START,0.133,4\n"), std::string::npos) << events->body;
  EXPECT_NE(events->body.find("mouse 1,rearing,,,STOP,0.333,9\n"), std::string::npos) << events->body;
  auto labels = client_->Get(("/api/videos/" + vid + "/export/labels.csv").c_str());
  ASSERT_EQ(labels->status, 200);
  EXPECT_EQ(std::count(labels->body.begin(), labels->body.end(), '\n'), 1 + 3 + 6);
  EXPECT_NE(labels->body.find("\n4,0.133333,1,rearing\n"), std::string::npos) << labels->body;

  int version = -1;
  const json now = get_json(bouts);  // kept alive for the loop
  for (const json& listed_bout : now["bouts"])
    if (listed_bout["id"] == b["id"]) version = listed_bout["version"];
  ASSERT_EQ(version, 2);  // created, then updated once
  EXPECT_EQ(error_of(client_->Delete(one.c_str()), 400), "version: required as ?version=N (the bout's current version)");
  EXPECT_EQ(client_->Delete((one + "?version=" + std::to_string(version + 5)).c_str())->status, 409);
  auto deleted = client_->Delete((one + "?version=" + std::to_string(version)).c_str());
  EXPECT_EQ(deleted->status, 204) << deleted->body;
  EXPECT_EQ(get_json(bouts)["bouts"].size(), 1u);
  EXPECT_EQ(client_->Delete((one + "?version=" + std::to_string(version)).c_str())->status, 404);
}

}  // namespace
}  // namespace bt::server
