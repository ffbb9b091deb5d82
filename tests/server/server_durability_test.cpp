// Never lose work: edits acknowledged by a real `behavtrack annotate` process survive
// kill -9 of that process. Cycles: $BT_KILL_CYCLES (default 3 here; the benchmark runs 100).
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "server/server_fixture.h"
#include "server/server_process.h"
#include "test_support.h"

namespace bt::server {
namespace {
using nlohmann::json;

int kill_cycles() {
  const char* env = std::getenv("BT_KILL_CYCLES");
  return env ? std::max(1, std::atoi(env)) : 3;
}

json instance_at(double x, int id) {
  return {{"id", id}, {"bbox", {x, 20, x + 30, 60}}, {"keypoints", {{x + 1, 21, 2}, {x + 2, 22, 1}, {x + 3, 23, 2}, {x + 4, 24, 2}}}};
}

TEST(ServerDurability, AcknowledgedEditsSurviveKill9) {
  test::TempDir dir;
  test::FixtureOptions o;
  o.n_frames = 6;
  test::make_annotation_project(dir / "p", o);
  std::map<int, double> expected_x;  // frame id -> x of its last acknowledged instance
  std::map<int, int> version;
  std::mt19937 rng(7);
  const int cycles = kill_cycles();
  int acknowledged = 0;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    test::ServerProcess server(dir / "p");
    ASSERT_GT(server.port(), 0);
    httplib::Client c("127.0.0.1", server.port());
    // First check that everything acknowledged before the last kill is there.
    for (const auto& [id, x] : expected_x) {
      auto res = c.Get(("/api/frames/" + std::to_string(id) + "/annotations").c_str());
      ASSERT_TRUE(res);
      const json a = json::parse(res->body);
      ASSERT_EQ(a["instances"].size(), 1u) << "cycle " << cycle << " frame " << id;
      EXPECT_EQ(a["instances"][0]["bbox"][0].get<double>(), x) << "cycle " << cycle << " frame " << id;
      EXPECT_EQ(a["version"].get<int>(), version[id]);
    }
    const json frames = json::parse(c.Get("/api/frames?limit=100")->body)["frames"];
    for (int edit = 0; edit < 5; ++edit) {
      const json& f = frames[rng() % frames.size()];
      const int id = f["id"];
      const double x = 10 + cycle * 7 + edit;
      const int v = version.count(id) ? version[id] : f["version"].get<int>();
      auto res = c.Put(("/api/frames/" + std::to_string(id) + "/annotations").c_str(),
                       json{{"version", v}, {"instances", {instance_at(x, 1)}}}.dump(), "application/json");
      ASSERT_TRUE(res);
      ASSERT_EQ(res->status, 200) << res->body;
      expected_x[id] = x;
      version[id] = json::parse(res->body)["version"];
      ++acknowledged;
    }
    server.kill9();  // right after the last acknowledgement
  }
  test::ServerProcess final_check(dir / "p");
  httplib::Client c("127.0.0.1", final_check.port());
  int found = 0;
  for (const auto& [id, x] : expected_x) {
    const json a = json::parse(c.Get(("/api/frames/" + std::to_string(id) + "/annotations").c_str())->body);
    if (a["instances"].size() == 1 && a["instances"][0]["bbox"][0].get<double>() == x) ++found;
  }
  EXPECT_EQ(found, static_cast<int>(expected_x.size()));
  RecordProperty("kill_cycles", cycles);
  RecordProperty("acknowledged_edits", acknowledged);
}

// A confirm is one transaction like every edit: acknowledged, it survives kill -9.
TEST(ServerDurability, AcknowledgedBoutConfirmSurvivesKill9) {
  test::TempDir dir;
  test::FixtureOptions o;
  o.n_frames = 6;
  test::make_annotation_project(dir / "p", o);
  std::string bouts;
  json confirmed;
  {
    test::ServerProcess server(dir / "p");
    httplib::Client c("127.0.0.1", server.port());
    const int vid = json::parse(c.Get("/api/videos")->body)["videos"][0]["id"];
    bouts = "/api/videos/" + std::to_string(vid) + "/bouts";
    json list = json::array();
    for (int start : {0, 5}) {
      auto res = c.Post(bouts.c_str(),
                        json{{"track_id", 1}, {"behavior", "running"}, {"start_frame", start}, {"end_frame", start + 3},
                             {"predicted", true}, {"confirmed", false}}.dump(),
                        "application/json");
      ASSERT_EQ(res->status, 201) << res->body;
      const json b = json::parse(res->body);
      list.push_back({{"id", b["id"]}, {"version", b["version"]}});
    }
    auto res = c.Post("/api/bouts/confirm", json{{"bouts", list}}.dump(), "application/json");
    ASSERT_EQ(res->status, 200) << res->body;
    confirmed = json::parse(res->body)["bouts"];
    server.kill9();  // right after the acknowledgement
  }
  test::ServerProcess again(dir / "p");
  httplib::Client c("127.0.0.1", again.port());
  const json listed = json::parse(c.Get(bouts.c_str())->body)["bouts"];
  ASSERT_EQ(listed.size(), 2u);
  for (std::size_t i = 0; i < listed.size(); ++i) {
    EXPECT_EQ(listed[i]["confirmed"], true) << listed[i].dump();
    EXPECT_EQ(listed[i]["version"], confirmed[i]["version"]);
  }
}

}  // namespace
}  // namespace bt::server
