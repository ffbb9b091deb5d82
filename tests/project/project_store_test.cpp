// The project store: schema checks, frames, annotations with optimistic concurrency,
// frame states, predictions, bouts, splits, models and runs, on a real SQLite file.
#include <sqlite3.h>

#include <cmath>
#include <fstream>

#include "behavtrack/core/error.h"
#include "behavtrack/project/project.h"
#include "project_fixtures.h"
#include "test_support.h"

namespace bt::project {
namespace {

using bt::test::TempDir;
using test::error_of;

ProjectOptions two_mice() {
  ProjectOptions o;
  o.expected_animals = 2;
  return o;
}

Annotation manual(double x, double y, bool all_keypoints = true) {
  Annotation a;
  a.instance.box = Box{x, y, x + 40, y + 20};
  for (int k = 0; k < 4; ++k)
    a.instance.keypoints.push_back(
        Keypoint{x + 5 + k, y + 5, (all_keypoints || k < 2) ? Visibility::kVisible : Visibility::kAbsent});
  return a;
}

std::vector<FrameId> add_images(Project& p, int n) {
  std::vector<NewFrame> frames;
  for (int i = 0; i < n; ++i) frames.push_back({std::nullopt, 0, "media/frames/f" + std::to_string(i) + ".png",
                                                "f" + std::to_string(i) + ".png", i % 3, {}});
  return p.add_frames(frames);
}

void set_user_version(const std::filesystem::path& dir, int v) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / kDatabaseName).c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, ("PRAGMA user_version=" + std::to_string(v)).c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

TEST(ProjectStore, CreateThenOpenKeepsSkeletonBehavioursAndAnimals) {
  TempDir tmp;
  ProjectOptions o;
  o.skeleton = Skeleton::from_names("snout,leftear,rightear,tailbase", "leftear:rightear");
  o.expected_animals = 3;
  o.behaviors = {"rest", "walk"};
  Project::create(tmp / "p", o);
  Project p = Project::open(tmp / "p");
  EXPECT_EQ(p.skeleton().keypoints, o.skeleton.keypoints);
  EXPECT_EQ(p.skeleton().flip, (std::vector<int>{0, 2, 1, 3}));
  EXPECT_EQ(p.expected_animals(), 3);
  EXPECT_EQ(p.behaviors(), o.behaviors);
  EXPECT_TRUE(std::filesystem::is_directory(tmp / "p" / "media" / "frames"));
  EXPECT_NE(error_of([&] { Project::create(tmp / "p", o); }).find("already holds a project"), std::string::npos);
}

// An empty path used to create the project in the working folder and then fail with a
// raw filesystem error; a failed creation leaves no folders behind.
TEST(ProjectStore, EmptyPathAndFailedCreationLeaveNothing) {
  TempDir tmp;
  EXPECT_EQ(error_of([] { Project::create("", {}); }), "project '': empty path; give the project's folder");
  EXPECT_EQ(error_of([] { Project::open(""); }), "project '': empty path; give the project's folder");
  // A file where one of the project's folders goes: refused before any folder is made.
  const std::filesystem::path existing = tmp / "existing";
  std::filesystem::create_directories(existing);
  std::ofstream(existing / "runs") << "a file where the runs folder goes";
  EXPECT_NE(error_of([&] { Project::create(existing, {}); }).find("/runs' is a file"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(existing / "media")) << "half-made project left behind";
  EXPECT_FALSE(std::filesystem::exists(existing / "models"));
  std::ofstream(tmp / "blocker") << "x";
  EXPECT_NE(error_of([&] { Project::create(tmp / "blocker" / "p", {}); }).find("cannot create folders"), std::string::npos);
}

TEST(ProjectStore, OpenRejectsNewerAndOlderSchemasNamingBothVersions) {
  TempDir tmp;
  Project::create(tmp / "p", {});
  set_user_version(tmp / "p", kSchemaVersion + 1);
  EXPECT_NE(error_of([&] { Project::open(tmp / "p"); })
                .find("schema version " + std::to_string(kSchemaVersion + 1) + " is newer than this behavtrack's (" +
                      std::to_string(kSchemaVersion) + ")"),
            std::string::npos);
  set_user_version(tmp / "p", 0);
  EXPECT_NE(error_of([&] { Project::open(tmp / "p"); }).find("is not a behavtrack project database"),
            std::string::npos);
  EXPECT_NE(error_of([&] { Project::open(tmp / "missing"); }).find("no behavtrack.db"), std::string::npos);
}

TEST(ProjectStore, OptionsValidationNamesFieldAndValue) {
  TempDir tmp;
  ProjectOptions o;
  o.expected_animals = 0;
  EXPECT_EQ(error_of([&] { Project::create(tmp / "p", o); }),
            "project options: expected_animals 0: must be between 1 and 1000");
  o = {};
  o.behaviors = {"rest", "rest"};
  EXPECT_EQ(error_of([&] { Project::create(tmp / "p", o); }), "project options: behaviors: 'rest' appears twice");
  EXPECT_FALSE(std::filesystem::exists(tmp / "p" / kDatabaseName));
}

TEST(ProjectStore, PutFrameBumpsVersionAndStaleVersionIsAConflict) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", two_mice());
  const FrameId id = add_images(p, 1)[0];
  FrameAnnotations a = p.get_frame(id);
  EXPECT_EQ(a.version, 0);
  PutResult r = p.put_frame(id, {manual(10, 10)}, 0, "alice");
  EXPECT_EQ(r.status, PutStatus::kOk);
  EXPECT_EQ(r.version, 1);
  // A second editor still holding version 0 loses, and nothing of theirs is written.
  PutResult stale = p.put_frame(id, {manual(50, 50), manual(90, 90)}, 0, "bob");
  EXPECT_EQ(stale.status, PutStatus::kConflict);
  EXPECT_EQ(stale.version, 1);
  a = p.get_frame(id);
  ASSERT_EQ(a.instances.size(), 1u);
  EXPECT_EQ(a.instances[0].author, "alice");
  EXPECT_EQ(a.instances[0].instance.box, (Box{10, 10, 50, 30}));
  EXPECT_FALSE(a.instances[0].updated_at.empty());
}

TEST(ProjectStore, AnnotationsRoundTripExactly) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", two_mice());
  const FrameId id = add_images(p, 1)[0];
  Annotation a = manual(0.1, 1.0 / 3.0);
  a.instance.keypoints[2] = {123.456789012345, 7.000000001, Visibility::kOccluded};
  a.instance.keypoints[3] = {0, 0, Visibility::kAbsent};
  a.instance.keypoint_scores = {0.5f, 0.25f, 0.125f, 1.0f};
  a.instance.score = 0.75f;
  a.instance.id = TrackId(2);
  a.instance.behavior = "rearing";
  a.box_derived = true;
  p.put_frame(id, {a}, 0, "x");
  const Annotation b = p.get_frame(id).instances.at(0);
  EXPECT_EQ(b.instance.box, a.instance.box);
  EXPECT_EQ(b.instance.keypoints, a.instance.keypoints);
  EXPECT_EQ(b.instance.keypoint_scores, a.instance.keypoint_scores);
  EXPECT_EQ(b.instance.score, 0.75f);
  EXPECT_EQ(b.instance.id, TrackId(2));
  EXPECT_EQ(b.instance.behavior, "rearing");
  EXPECT_TRUE(b.box_derived);
}

TEST(ProjectStore, PutFrameRejectsBadInstancesAndWritesNothing) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", two_mice());
  const FrameId id = add_images(p, 1)[0];
  Annotation nan = manual(1, 1);
  nan.instance.keypoints[1].x = std::nan("");
  EXPECT_EQ(error_of([&] { p.put_frame(id, {nan}, 0, "a"); }),
            "frame " + std::to_string(id) + " instance 0: keypoint 'earL': coordinates must be finite numbers");
  Annotation short_kp = manual(1, 1);
  short_kp.instance.keypoints.pop_back();
  EXPECT_NE(error_of([&] { p.put_frame(id, {short_kp}, 0, "a"); }).find("expected 4 keypoints (the project's skeleton), got 3"),
            std::string::npos);
  Annotation bad_behavior = manual(1, 1);
  bad_behavior.instance.behavior = "flying";
  EXPECT_NE(error_of([&] { p.put_frame(id, {bad_behavior}, 0, "a"); }).find("'flying': not one of the project's"),
            std::string::npos);
  EXPECT_EQ(p.get_frame(id).version, 0);
  EXPECT_TRUE(p.get_frame(id).instances.empty());
}

TEST(ProjectStore, FrameStateFollowsBehavTrackColours) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", two_mice());
  const FrameId id = add_images(p, 1)[0];
  EXPECT_EQ(p.get_frame_record(id).state, FrameState::kEmpty);
  p.put_frame(id, {manual(1, 1)}, 0, "a");
  EXPECT_EQ(p.get_frame_record(id).state, FrameState::kStarted);  // 1 of 2 mice
  p.put_frame(id, {manual(1, 1), manual(60, 60, false)}, 1, "a");
  EXPECT_EQ(p.get_frame_record(id).state, FrameState::kStarted);  // a keypoint missing
  p.put_frame(id, {manual(1, 1), manual(60, 60)}, 2, "a");
  EXPECT_EQ(p.get_frame_record(id).state, FrameState::kComplete);
  Annotation pred = manual(100, 100);
  pred.confirmed = false;
  pred.source = Source::kPredicted;
  p.put_frame(id, {manual(1, 1), pred}, 3, "a");
  EXPECT_EQ(p.get_frame_record(id).state, FrameState::kPredicted);
  const PutResult r = p.accept_predictions(id, 4, "carol");
  EXPECT_EQ(r.status, PutStatus::kOk);
  EXPECT_EQ(p.get_frame_record(id).state, FrameState::kComplete);
  EXPECT_EQ(p.get_frame(id).instances[1].author, "carol");
  EXPECT_EQ(p.get_frame(id).instances[0].author, "a");
}

TEST(ProjectStore, PredictionsFollowBehavTrackRulesAndNeverOverwriteManualWork) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", two_mice());
  const auto ids = add_images(p, 2);
  p.put_frame(ids[0], {manual(1, 1)}, 0, "alice");
  Instance good;
  good.box = Box{10, 10, 50, 50};
  good.keypoints = {{20, 20, Visibility::kVisible}, {30, 30, Visibility::kVisible},
                    {80, 30, Visibility::kVisible}, {40, 40, Visibility::kVisible}};
  good.keypoint_scores = {0.95f, 0.9f, 0.99f, 0.3f};
  good.score = 0.8f;
  Instance degenerate = good;
  degenerate.box = Box{10, 10, 10, 50};
  const auto written = p.write_predictions({{ids[0], {good}}, {ids[1], {good, degenerate}}}, "yolo-c1");
  EXPECT_EQ(written, 1);
  EXPECT_EQ(p.get_frame(ids[0]).instances.at(0).author, "alice");
  const auto preds = p.get_frame(ids[1]).instances;
  ASSERT_EQ(preds.size(), 1u);  // the degenerate box was dropped
  const auto& kp = preds[0].instance.keypoints;
  EXPECT_EQ(kp[0].v, Visibility::kVisible);   // 0.95 > 0.9
  EXPECT_EQ(kp[1].v, Visibility::kOccluded);  // 0.9 is not > 0.9
  EXPECT_EQ(kp[2].v, Visibility::kAbsent);    // outside its box
  EXPECT_EQ(kp[3].v, Visibility::kOccluded);
  EXPECT_FALSE(preds[0].confirmed);
  EXPECT_EQ(preds[0].source, Source::kPredicted);
  EXPECT_EQ(p.get_frame_record(ids[1]).state, FrameState::kPredicted);
}

TEST(ProjectStore, ListingFiltersPagesAndCountsAtOneHundredThousandFrames) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", ProjectOptions{Skeleton::default_mouse(), 1, {}});
  const auto ids = add_images(p, 100000);
  ASSERT_EQ(p.count_frames(), 100000);
  std::vector<std::pair<FrameId, Split>> split;
  for (std::size_t i = 0; i < ids.size(); ++i) split.emplace_back(ids[i], i % 10 == 0 ? Split::kTest : Split::kReserve);
  EXPECT_EQ(p.add_cycle(42, "{}", split), 0);
  p.put_frame(ids[50000], {manual(1, 1)}, 0, "a");
  p.put_frame(ids[10], {manual(1, 1)}, 0, "a");
  FrameQuery q;
  q.split = Split::kTest;
  q.limit = 20;
  q.offset = 9990;
  FramePage page = p.list_frames(q);
  EXPECT_EQ(page.total, 10000);
  EXPECT_EQ(page.complete, 2);
  ASSERT_EQ(page.frames.size(), 10u);
  EXPECT_EQ(page.frames.back().id, ids.back() - 9);
  q.incomplete_first = true;
  q.offset = 0;
  q.limit = 0;
  page = p.list_frames(q);
  EXPECT_EQ(page.frames.back().id, ids[50000]);
  EXPECT_EQ(page.frames[page.frames.size() - 2].id, ids[10]);
  FrameQuery keyset;
  keyset.split = Split::kTest;
  keyset.limit = 3;
  keyset.after_id = ids[99950];
  page = p.list_frames(keyset);
  ASSERT_EQ(page.frames.size(), 3u);
  EXPECT_EQ(page.frames[0].id, ids[99960]);
  EXPECT_EQ(page.total, 10000);
  FrameQuery only_complete;
  only_complete.state = FrameState::kComplete;
  EXPECT_EQ(p.list_frames(only_complete).total, 2);
  // Next unconfirmed after the frame just finished skips complete ones and wraps around.
  EXPECT_EQ(p.next_incomplete(ids[9], {}), ids[11]);
  FrameQuery test_only;
  test_only.split = Split::kTest;
  EXPECT_EQ(p.next_incomplete(ids[0], test_only), ids[20]);
  EXPECT_EQ(p.next_incomplete(ids.back(), test_only), ids[0]);
}

TEST(ProjectStore, BoutsRejectOverlapAndDeriveFrameLabels) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", {});
  VideoRecord v;
  v.path = tmp / "v.mp4";
  v.hash = "abc";
  v.fps = 30;
  const VideoId vid = p.add_video(v);
  const BoutId b1 = p.add_bout({0, vid, TrackId(1), "resting", 0, 2, 0});
  p.add_bout({0, vid, TrackId(2), "running", 1, 1, 0});
  EXPECT_NE(error_of([&] { p.add_bout({0, vid, TrackId(1), "rearing", 2, 5, 0}); }).find("overlap bout " + std::to_string(b1)),
            std::string::npos);
  EXPECT_NE(error_of([&] { p.add_bout({0, vid, TrackId(1), "dancing", 10, 12, 0}); }).find("'dancing'"),
            std::string::npos);
  const auto labels = p.frame_labels(vid);
  ASSERT_EQ(labels.size(), 4u);
  EXPECT_EQ(labels[1].frame, 1);
  EXPECT_EQ(labels[2].track, TrackId(2));
  EXPECT_EQ(labels[2].behavior, "running");
  Bout changed = p.list_bouts(vid)[0];
  changed.behavior = "rearing";
  EXPECT_EQ(p.update_bout(changed, 1).status, PutStatus::kOk);
  EXPECT_EQ(p.update_bout(changed, 1).status, PutStatus::kConflict);
  EXPECT_EQ(p.delete_bout(b1, 2).status, PutStatus::kOk);
  EXPECT_EQ(p.list_bouts(vid).size(), 1u);
}

TEST(ProjectStore, SameVideoHashTwiceIsANoOp) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", {});
  VideoRecord v;
  v.path = tmp / "p" / "media" / "videos" / "a.mp4";
  v.hash = "1234";
  const VideoId a = p.add_video(v);
  v.path = tmp / "elsewhere.mp4";
  EXPECT_EQ(p.add_video(v), a);
  ASSERT_EQ(p.list_videos().size(), 1u);
  EXPECT_EQ(p.list_videos()[0].path, tmp / "p" / "media" / "videos" / "a.mp4");
  EXPECT_TRUE(p.list_videos()[0].missing);
}

TEST(ProjectStore, CyclesAndLabelledFramesForTraining) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", two_mice());
  const auto ids = add_images(p, 4);
  p.put_frame(ids[0], {manual(1, 1)}, 0, "a");
  Annotation pred = manual(5, 5);
  pred.confirmed = false;
  p.put_frame(ids[1], {pred}, 0, "a");
  p.add_cycle(42, "{\"test\":0.15}", {{ids[0], Split::kTest}, {ids[1], Split::kReserve}});
  const int c1 = p.add_cycle(7, "{}", {{ids[0], Split::kTrain}, {ids[1], Split::kTrain}, {ids[2], Split::kVal}});
  EXPECT_EQ(c1, 1);
  EXPECT_EQ(p.get_cycle(0).seed, 42u);
  EXPECT_EQ(p.get_cycle(0).options_json, "{\"test\":0.15}");
  const auto train = p.labelled_frames(Split::kTrain);
  ASSERT_EQ(train.size(), 1u);  // the frame with only unconfirmed predictions is not labelled
  EXPECT_EQ(train[0].frame.id, ids[0]);
  EXPECT_EQ(train[0].image, tmp / "p" / "media" / "frames" / "f0.png");
  EXPECT_EQ(p.labelled_frames(Split::kTest, 0).size(), 1u);
  EXPECT_EQ(p.labelled_frames(Split::kTrain, 1, true).size(), 2u);
}

TEST(ProjectStore, ModelsAndRunsAreRecorded) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", {});
  const auto m = p.add_model({0, "pose-c1", "models/pose-c1", "{\"epochs\":50}", "{}", ""});
  const auto r = p.add_run({0, "pose train", "{\"epochs\":50}", "{}", "", m});
  p.set_run_metrics(r, "{\"map\":0.5}");
  EXPECT_EQ(p.find_model("pose-c1")->options_json, "{\"epochs\":50}");
  EXPECT_EQ(p.list_runs().at(0).metrics_json, "{\"map\":0.5}");
  EXPECT_EQ(p.list_runs().at(0).model_id, m);
}

}  // namespace
}  // namespace bt::project
