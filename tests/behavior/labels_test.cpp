#include "behavtrack/behavior/labels.h"

#include <gtest/gtest.h>

#include <fstream>

#include "behavior/behavior_fixtures.h"
#include "behavtrack/core/error.h"
#include "test_support.h"

namespace bt::behavior {
namespace {

void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

InstancesFile two_mice_tracks(int n_frames) {
  InstancesFile f = test::empty_tracks();
  f.header.video = "cage1.mp4";
  for (int t = 0; t < n_frames; ++t)
    f.frames.push_back({t, {test::make_mouse(1, 100, 100, 0, 40), test::make_mouse(2, 300, 300, 0, 40)}});
  return f;
}

TEST(Labels, ReadsPerFrameCsv) {
  test::TempDir dir;
  write(dir / "l.csv", "frame,id,behavior\n0,1,resting\n1,1,resting\n1,2,rearing\n\n5,2,fighting\n");
  const LabelSet l = read_labels_csv(dir / "l.csv", default_behaviors());
  EXPECT_EQ(l.size(), 4u);
  EXPECT_EQ(l.find(1, TrackId(2)), l.class_index("rearing"));
  EXPECT_EQ(l.find(5, TrackId(2)), 5);
  EXPECT_FALSE(l.find(2, TrackId(1)).has_value());  // unlabelled stays unlabelled
  write_labels_csv(dir / "again.csv", l);
  const LabelSet again = read_labels_csv(dir / "again.csv", default_behaviors());
  EXPECT_EQ(again.size(), 4u);
  EXPECT_EQ(again.find(0, TrackId(1)), 0);
}

TEST(Labels, BehaviourNotInTheListIsNamed) {
  test::TempDir dir;
  write(dir / "l.csv", "frame,id,behavior\n0,1,resting\n1,1,dancing\n");
  EXPECT_EQ(error_of([&] { read_labels_csv(dir / "l.csv", {"resting", "running"}); }),
            "'" + (dir / "l.csv").string() + "' line 3: behaviour 'dancing' is not in the behaviour list; known: resting, running");
}

TEST(Labels, MalformedRowsAreNamed) {
  test::TempDir dir;
  write(dir / "l.csv", "frame,id,behavior\n0x,1,resting\n");
  EXPECT_EQ(error_of([&] { read_labels_csv(dir / "l.csv", default_behaviors()); }),
            "'" + (dir / "l.csv").string() + "' line 2: frame '0x' is not an integer");
  write(dir / "m.csv", "frame,behavior\n0,resting\n");
  EXPECT_EQ(error_of([&] { read_labels_csv(dir / "m.csv", default_behaviors()); }),
            "'" + (dir / "m.csv").string() + "': no column 'id' in the header");
  EXPECT_EQ(error_of([&] { read_labels_csv(dir / "none.csv", default_behaviors()); }),
            "'" + (dir / "none.csv").string() + "': no such file");
}

TEST(Labels, UnknownMouseIsRejected) {
  LabelSet l(default_behaviors());
  l.set(3, TrackId(7), 0);
  EXPECT_EQ(error_of([&] { check_labels_against_tracks(l, two_mice_tracks(10), "labels.csv"); }),
            "'labels.csv': frame 3 labels mouse id 7, which the tracks 'cage1.mp4' never contain; are these labels "
            "for another video?");
}

TEST(Labels, FramesBeyondTheTracksAreRejected) {
  LabelSet l(default_behaviors());
  l.set(9, TrackId(1), 0);
  l.set(120, TrackId(1), 0);
  EXPECT_EQ(error_of([&] { check_labels_against_tracks(l, two_mice_tracks(10), "labels.csv"); }),
            "'labels.csv': frame 120 is beyond the tracks' last frame 9; frame counts do not match");
}

TEST(Labels, FromTruthInstancesAndFillUnlabelled) {
  InstancesFile f = two_mice_tracks(3);
  f.frames[0].instances[0].behavior = "running";
  f.frames[1].instances[1].behavior = "exploring";
  LabelSet l = labels_from_instances(f, default_behaviors(), "truth.json");
  EXPECT_EQ(l.size(), 2u);
  EXPECT_EQ(l.find(0, TrackId(1)), 2);
  fill_unlabelled(l, f, l.class_index("resting"));
  EXPECT_EQ(l.size(), 6u);
  EXPECT_EQ(l.find(2, TrackId(2)), 0);
  EXPECT_EQ(l.find(0, TrackId(1)), 2);  // existing labels are kept
  f.frames[2].instances[0].behavior = "sleeping";
  EXPECT_EQ(error_of([&] { labels_from_instances(f, default_behaviors(), "truth.json"); }).rfind(
                "'truth.json' frame 2: behaviour 'sleeping' is not in the behaviour list", 0),
            0u);
}

}  // namespace
}  // namespace bt::behavior
