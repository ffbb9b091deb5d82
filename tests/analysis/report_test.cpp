#include <gtest/gtest.h>

#include <filesystem>
#include <cmath>
#include <regex>

#include "behavtrack/analysis/report.h"
#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/resources.h"
#include "test_support.h"

namespace bt::analysis {
namespace {

ReportMeta meta10fps() {
  ReportMeta m;
  m.video = "cage.mp4";
  m.fps = 10;
  m.width = 200;
  m.height = 100;
  m.behaviors = {"resting", "running"};
  m.metrics_json = R"({"detector": {"rmse_px": 2.5, "per_keypoint": [{"name": "nose", "rmse_px": 1.5}]}})";
  return m;
}

// A mouse whose four keypoints sit around (x, y), nose pointing to +x, body 20 px long.
Instance mouse_at(int id, double x, double y, const std::string& behavior) {
  Instance m;
  m.id = TrackId(id);
  m.box = {x - 12, y - 5, x + 12, y + 5};
  m.keypoints = {{x + 10, y, Visibility::kVisible}, {x + 6, y - 3, Visibility::kVisible},
                 {x + 6, y + 3, Visibility::kVisible}, {x - 10, y, Visibility::kVisible}};
  m.behavior = behavior;
  return m;
}

// Mouse 1 rests for 10 frames at x = 20, then runs at 5 px/frame (50 px/s at 10 fps) for
// 10 frames. Mouse 2 sits at x = 100 and at frames 15..19 mouse 1's nose is near it.
ReportBuilder two_mice() {
  ReportBuilder r(meta10fps(), {});
  for (int f = 0; f < 20; ++f) {
    const double x1 = f < 10 ? 20 : 20 + 5 * (f - 9);
    r.add_frame(f, {mouse_at(1, x1, 50, f < 10 ? "resting" : "running"), mouse_at(2, 110, 50, "resting")});
  }
  return r;
}

TEST(Report, TimeBudgetAndBoutsOnAHandCase) {
  const ReportBuilder r = two_mice();
  EXPECT_EQ(r.mouse_ids(), (std::vector<int>{1, 2}));
  const auto budget = r.time_budget_s(1);
  EXPECT_DOUBLE_EQ(budget.at("resting"), 1.0);
  EXPECT_DOUBLE_EQ(budget.at("running"), 1.0);
  ASSERT_EQ(r.bouts().size(), 3u);  // mouse 1 resting, mouse 2 resting, mouse 1 running
  EXPECT_EQ(r.bouts()[0].start_frame, 0);
  EXPECT_EQ(r.bouts()[0].end_frame, 9);
  EXPECT_EQ(r.bouts()[2].behavior, "running");
  EXPECT_EQ(r.bouts()[2].start_frame, 10);
  EXPECT_EQ(r.bouts()[2].end_frame, 19);
  EXPECT_EQ(r.bouts()[1].end_frame, 19);
}

TEST(Report, SpeedBinsOnAHandCase) {
  const ReportBuilder r = two_mice();
  const auto speed = r.speed_px_s(1);
  ASSERT_EQ(speed.size(), 2u);
  EXPECT_NEAR(speed[0], 0.0, 1e-9);   // frames 0..9: still
  EXPECT_NEAR(speed[1], 50.0, 1e-9);  // frames 10..19: 10 steps of 5 px in 1 s
  EXPECT_NEAR(r.speed_px_s(2)[0], 0.0, 1e-9);
}

TEST(Report, ContactCountsFramesWithANoseNearTheOther) {
  // Contact threshold: half the mean body length = 10 px. Mouse 1's nose is at x1 + 10,
  // mouse 2's nearest keypoint (tail base) at 100: within 10 px from x1 = 80 (frame 21)...
  ReportBuilder r(meta10fps(), {});
  for (int f = 0; f < 10; ++f) {
    const double x1 = f < 5 ? 20 : 85;  // nose at 95: 5 px from the tail base at 100
    r.add_frame(f, {mouse_at(1, x1, 50, ""), mouse_at(2, 110, 50, "")});
  }
  EXPECT_DOUBLE_EQ(r.contact_s(1, 2), 0.5);
  EXPECT_DOUBLE_EQ(r.contact_s(2, 1), 0.5);
  EXPECT_NE(r.data_json().find("\"contact_bouts\":1"), std::string::npos);
}

TEST(Report, GapsDoNotCountAsMovement) {
  ReportBuilder r(meta10fps(), {});
  r.add_frame(0, {mouse_at(1, 20, 50, "")});
  r.add_frame(5, {mouse_at(1, 120, 50, "")});  // reappears 100 px away after a gap
  EXPECT_NEAR(r.speed_px_s(1)[0], 0.0, 1e-9);
}

TEST(Report, BadOptionsNameTheField) {
  ReportOptions o;
  o.speed_bin_s = std::nan("");
  try {
    ReportBuilder r(meta10fps(), o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "report option speed_bin_s = nan: must be > 0");
  }
}

TEST(Report, HtmlIsSelfContainedAndRendersEveryChartInChromium) {
  test::TempDir dir;
  const auto out = dir / "report.html";
  two_mice().write_html(out, web_dir());
  const std::string html = read_file(out);
  EXPECT_EQ(html.find("<!--BT_"), std::string::npos) << "a placeholder was left";
  EXPECT_EQ(html.find("src=\"http"), std::string::npos) << "the report must not load from the network";
  EXPECT_NE(html.find("\"mice\":[1,2]"), std::string::npos);

  if (!std::filesystem::exists("/usr/bin/chromium")) GTEST_SKIP() << "chromium not installed";
  const std::string shot = (test::output_dir() / "report_hand_case.png").string();
  const auto dom = test::run_program("/usr/bin/chromium",
      {"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
       "--disable-background-networking", "--disable-component-update", "--disable-sync",
       "--user-data-dir=" + (dir / "profile").string(), "--virtual-time-budget=5000",
       "--dump-dom", "file://" + out.string()});
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_NE(dom.out.find("data-rendered=\"true\""), std::string::npos) << "report.js did not finish";
  // Every chart container holds an ECharts canvas.
  for (const char* id : {"ethogram", "budget", "speed", "trajectories", "occupancy", "social"}) {
    const std::regex drawn(std::string("id=\"") + id + "\"[^>]*_echarts_instance_");
    EXPECT_TRUE(std::regex_search(dom.out, drawn)) << id << " was not drawn";
  }
  // Per-keypoint metrics read as rows, not as a JSON blob in one cell.
  EXPECT_NE(dom.out.find("<th>detector.per_keypoint.nose.rmse_px</th><td>1.5</td>"), std::string::npos);
  EXPECT_EQ(dom.out.find("<td>[{"), std::string::npos);
  test::run_program("/usr/bin/chromium",
      {"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
       "--disable-background-networking", "--disable-component-update", "--disable-sync",
       "--user-data-dir=" + (dir / "profile2").string(), "--virtual-time-budget=5000",
       "--window-size=1400,2200", "--screenshot=" + shot, "file://" + out.string()});
  EXPECT_TRUE(std::filesystem::exists(shot));
}

}  // namespace
}  // namespace bt::analysis
