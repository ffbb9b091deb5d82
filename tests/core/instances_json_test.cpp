#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/instances_json.h"
#include "test_support.h"

namespace bt {
namespace {

InstancesFile two_frames() {
  InstancesFile f;
  f.header.video = "cage1.mp4";
  f.header.fps = 30;
  f.header.width = 640;
  f.header.height = 480;
  Instance a;
  a.box = {10.25, 20.5, 60.125, 90.0625};
  a.keypoints = {{30.1, 40.2, Visibility::kVisible},
                 {25.3, 35.4, Visibility::kOccluded},
                 {0, 0, Visibility::kAbsent},
                 {50.123456789012, 80.987654321098, Visibility::kVisible}};
  a.keypoint_scores = {0.9f, 0.5f, 0.0f, 0.75f};
  a.score = 0.875f;
  a.id = TrackId(2);
  a.behavior = "rearing";
  Instance b = a;
  b.id.reset();
  b.keypoint_scores.clear();
  b.behavior.clear();
  f.frames = {{0, {a, b}}, {7, {}}};
  return f;
}

void expect_same(const InstancesFile& x, const InstancesFile& y) {
  EXPECT_EQ(x.header.video, y.header.video);
  EXPECT_EQ(x.header.fps, y.header.fps);
  EXPECT_EQ(x.header.skeleton.keypoints, y.header.skeleton.keypoints);
  EXPECT_EQ(x.header.skeleton.flip, y.header.skeleton.flip);
  ASSERT_EQ(x.frames.size(), y.frames.size());
  for (std::size_t i = 0; i < x.frames.size(); ++i) {
    EXPECT_EQ(x.frames[i].frame, y.frames[i].frame);
    ASSERT_EQ(x.frames[i].instances.size(), y.frames[i].instances.size());
    for (std::size_t k = 0; k < x.frames[i].instances.size(); ++k) {
      const Instance &p = x.frames[i].instances[k], &q = y.frames[i].instances[k];
      EXPECT_EQ(p.box, q.box);
      EXPECT_EQ(p.keypoints, q.keypoints);  // exact: doubles round-trip through JSON
      EXPECT_EQ(p.keypoint_scores, q.keypoint_scores);
      EXPECT_EQ(p.score, q.score);
      EXPECT_EQ(p.id.has_value(), q.id.has_value());
      if (p.id && q.id) {
        EXPECT_EQ(*p.id, *q.id);
      }
      EXPECT_EQ(p.behavior, q.behavior);
    }
  }
}

TEST(InstancesJson, RoundTripIsExact) {
  const InstancesFile f = two_frames();
  expect_same(f, parse_instances_json(to_instances_json(f), "mem"));
}

TEST(InstancesJson, StreamingWriterMatchesWholeFileWriter) {
  test::TempDir dir;
  const InstancesFile f = two_frames();
  InstancesJsonWriter w(dir / "s.json", f.header);
  for (const auto& fr : f.frames) w.add_frame(fr);
  EXPECT_FALSE(std::filesystem::exists(dir / "s.json")) << "visible before commit";
  w.commit();
  expect_same(f, read_instances_json(dir / "s.json"));
}

TEST(InstancesJson, UncommittedStreamingWriterLeavesNothing) {
  test::TempDir dir;
  {
    InstancesJsonWriter w(dir / "s.json", InstancesHeader{});
    w.add_frame({0, {}});
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

std::string error_of(const std::string& text) {
  try {
    parse_instances_json(text, "t.json");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    return e.what();
  }
  return "no error";
}

const char* kHead = R"({"format":"behavtrack.instances/1","skeleton":{"keypoints":["a","b"],"flip":[1,0]},)";

TEST(InstancesJson, MessagesPointAtTheBadField) {
  EXPECT_EQ(error_of("{\"format\":"),
            "'t.json': not valid JSON: parse error at line 1, column 11: syntax error while parsing "
            "value - unexpected end of input; expected '[', '{', or a literal");
  EXPECT_EQ(error_of(R"({"format":"other/2","frames":[]})"),
            "'t.json': format: expected \"behavtrack.instances/1\", got \"other/2\"");
  EXPECT_EQ(error_of(std::string(kHead) + R"("frames":[{"frame":0,"instances":[{"bbox":[1,2,3],"keypoints":[]}]}]})"),
            "'t.json': frames[0].instances[0].bbox: expected 4 numbers [x1, y1, x2, y2]");
  EXPECT_EQ(error_of(std::string(kHead) + R"("frames":[{"frame":0,"instances":[{"bbox":[1,2,3,4],"keypoints":[[1,2,2]]}]}]})"),
            "'t.json': frames[0].instances[0].keypoints: expected 2 keypoints (the skeleton's), got 1");
  EXPECT_EQ(error_of(std::string(kHead) + R"("frames":[{"frame":0,"instances":[{"bbox":[1,2,3,4],"keypoints":[[1,2,2],[1,"x",2]]}]}]})"),
            "'t.json': frames[0].instances[0].keypoints[1][1]: expected a number, got string");
  EXPECT_EQ(error_of(std::string(kHead) + R"("frames":[{"frame":0,"instances":[{"bbox":[1,2,3,4],"keypoints":[[1,2,2],[1,2,5]]}]}]})"),
            "'t.json': frames[0].instances[0].keypoints[1][2]: visibility must be 0, 1 or 2, got 5");
  EXPECT_EQ(error_of(std::string(kHead) + R"("frames":[{"frame":3,"instances":[]},{"frame":3,"instances":[]}]})"),
            "'t.json': frames[1].frame: frames must be in increasing order without repeats (frame 3 after 3)");
  EXPECT_EQ(error_of(std::string(kHead) + R"("frames":[{"frame":0,"instances":[{"bbox":[5,2,3,4],"keypoints":[[1,2,2],[1,2,2]]}]}]})"),
            "'t.json': frames[0].instances[0].bbox: x2 < x1 or y2 < y1");
  EXPECT_EQ(error_of(R"({"format":"behavtrack.instances/1","skeleton":{"keypoints":["a","b"],"flip":[0,0]},"frames":[]})"),
            "'t.json': skeleton: skeleton: flip map entry 1 = 0 is not a left/right pairing");
}

TEST(InstancesJson, MissingFileIsNotFound) {
  try {
    read_instances_json("/nonexistent/x.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_STREQ(e.what(), "file '/nonexistent/x.json': does not exist");
  }
}

TEST(AtomicFile, TargetAppearsOnlyOnCommit) {
  test::TempDir dir;
  const auto target = dir / "out.csv";
  {
    std::ofstream(target) << "old";
  }
  {
    AtomicFile f(target);
    f.stream() << "new";
    EXPECT_EQ(read_file(target), "old");
  }  // destroyed without commit
  EXPECT_EQ(read_file(target), "old");
  AtomicFile f(target);
  f.stream() << "new";
  f.commit();
  EXPECT_EQ(read_file(target), "new");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1) << "temporary file left behind";
}

TEST(AtomicFile, UnwritableFolderIsAnIoError) {
  try {
    AtomicFile f("/nonexistent-dir/out.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("output '/nonexistent-dir/out.csv': cannot create"), std::string::npos);
  }
}

}  // namespace
}  // namespace bt
