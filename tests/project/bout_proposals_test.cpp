// Bouts carry their source and confirmed flag (schema 2): proposals stay out of the labels
// until confirmed, confirming is all or none under optimistic versions, project info and
// BORIS exports count them, and a schema-1 project migrates with its earlier proposals
// recognised. Real SQLite files throughout.
#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include "behavtrack/core/error.h"
#include "behavtrack/project/labels.h"
#include "behavtrack/project/project.h"
#include "behavtrack/project/schema.h"
#include "project_fixtures.h"
#include "test_support.h"

namespace bt::project {
namespace {

using bt::test::TempDir;
using test::error_of;

VideoId add_fake_video(Project& p, const std::filesystem::path& path) {
  VideoRecord v;
  v.path = path;
  v.hash = "feed";
  v.fps = 30;
  v.width = 64;
  v.height = 48;
  v.n_frames = 300;
  return p.add_video(v);
}

Bout proposal(VideoId video, int track, const std::string& behavior, FrameIndex start, FrameIndex end) {
  Bout b{0, video, TrackId(track), behavior, start, end, 0};
  b.source = Source::kPredicted;
  b.confirmed = false;
  return b;
}

const Bout& by_id(const std::vector<Bout>& bouts, BoutId id) {
  for (const Bout& b : bouts)
    if (b.id == id) return b;
  throw std::runtime_error("bout " + std::to_string(id) + " not listed");
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(BoutProposals, SourceAndFlagRoundTripAndOnlyConfirmedBecomeLabels) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", {});
  const VideoId vid = add_fake_video(p, tmp / "v.mp4");
  const BoutId manual = p.add_bout({0, vid, TrackId(1), "resting", 0, 4, 0});
  const BoutId proposed = p.add_bout(proposal(vid, 1, "running", 5, 9));
  const std::vector<Bout> listed = p.list_bouts(vid);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(by_id(listed, manual).source, Source::kManual);
  EXPECT_TRUE(by_id(listed, manual).confirmed);
  EXPECT_EQ(by_id(listed, proposed).source, Source::kPredicted);
  EXPECT_FALSE(by_id(listed, proposed).confirmed);

  std::size_t skipped = 0;
  EXPECT_EQ(confirmed_bouts(listed, &skipped).size(), 1u);
  EXPECT_EQ(skipped, 1u);
  EXPECT_EQ(p.frame_labels(vid).size(), 5u) << "frames 0..4 of the manual bout only";
  EXPECT_EQ(p.count_bouts().total, 2);
  EXPECT_EQ(p.count_bouts().unconfirmed, 1);
  EXPECT_EQ(p.count_bouts(vid + 1).total, 0);

  // Proposals take part in the overlap rule like any bout.
  EXPECT_NE(error_of([&] { p.add_bout({0, vid, TrackId(1), "rearing", 8, 12, 0}); }).find("overlap bout " + std::to_string(proposed)),
            std::string::npos);
}

TEST(BoutProposals, AnEditCarryingConfirmedConfirmsAndKeepsTheSource) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", {});
  const VideoId vid = add_fake_video(p, tmp / "v.mp4");
  const BoutId id = p.add_bout(proposal(vid, 2, "running", 10, 19));
  Bout edited = p.list_bouts(vid).at(0);
  edited.end_frame = 25;
  edited.confirmed = true;
  edited.source = Source::kManual;  // ignored: provenance never changes
  ASSERT_EQ(p.update_bout(edited, 1).status, PutStatus::kOk);
  const Bout now = p.list_bouts(vid).at(0);
  EXPECT_EQ(now.id, id);
  EXPECT_EQ(now.end_frame, 25);
  EXPECT_TRUE(now.confirmed);
  EXPECT_EQ(now.source, Source::kPredicted);
  EXPECT_EQ(now.version, 2);
  EXPECT_EQ(p.count_bouts().unconfirmed, 0);
}

TEST(BoutProposals, ConfirmIsAllOrNoneUnderOptimisticVersions) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", {});
  const VideoId vid = add_fake_video(p, tmp / "v.mp4");
  const BoutId a = p.add_bout(proposal(vid, 1, "resting", 0, 9));
  const BoutId b = p.add_bout(proposal(vid, 1, "running", 10, 19));
  const BoutId c = p.add_bout({0, vid, TrackId(2), "rearing", 0, 9, 0});

  // b was edited by someone else since version 1 was read: nothing is confirmed.
  Bout other = by_id(p.list_bouts(vid), b);
  other.behavior = "exploring";
  other.confirmed = false;
  ASSERT_EQ(p.update_bout(other, 1).status, PutStatus::kOk);
  ConfirmBoutsResult stale = p.confirm_bouts({{a, 1}, {b, 1}});
  EXPECT_EQ(stale.status, PutStatus::kConflict);
  ASSERT_EQ(stale.bouts.size(), 1u);
  EXPECT_EQ(stale.bouts[0].id, b);
  EXPECT_EQ(stale.bouts[0].version, 2);
  EXPECT_EQ(p.count_bouts().unconfirmed, 2);
  EXPECT_EQ(by_id(p.list_bouts(vid), a).version, 1);

  // With current versions every proposal is confirmed and gets a new version; the
  // already-confirmed bout in the same request keeps its version.
  ConfirmBoutsResult ok = p.confirm_bouts({{a, 1}, {b, 2}, {c, 1}});
  ASSERT_EQ(ok.status, PutStatus::kOk);
  ASSERT_EQ(ok.bouts.size(), 3u);
  EXPECT_EQ(ok.bouts[0].version, 2);
  EXPECT_EQ(ok.bouts[1].version, 3);
  EXPECT_EQ(ok.bouts[2].version, 1);
  for (const Bout& x : p.list_bouts(vid)) EXPECT_TRUE(x.confirmed) << x.id;
  EXPECT_EQ(by_id(p.list_bouts(vid), b).behavior, "exploring");

  EXPECT_EQ(error_of([&] { p.confirm_bouts({{a, 2}, {999, 1}}); }), "bout 999: no such bout");
  EXPECT_EQ(error_of([&] { p.confirm_bouts({{a, 2}, {a, 2}}); }), "bout " + std::to_string(a) + ": listed twice");
  EXPECT_EQ(by_id(p.list_bouts(vid), a).version, 2);
}

TEST(BoutProposals, BorisExportSkipsProposalsUnlessAskedAndImportIsConfirmedManual) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", {});
  const VideoId vid = add_fake_video(p, tmp / "v.mp4");
  p.add_bout({0, vid, TrackId(1), "resting", 0, 29, 0});
  p.add_bout(proposal(vid, 1, "running", 30, 59));
  ExportOptions out;
  out.format = LabelFormat::kBoris;
  out.video_id = vid;
  out.path = tmp / "confirmed.tsv";
  const ExportSummary s = export_labels(p, out, {});
  EXPECT_EQ(s.bouts, 1);
  EXPECT_EQ(s.bouts_unconfirmed_skipped, 1);
  EXPECT_EQ(read_text(out.path).find("running"), std::string::npos);
  out.path = tmp / "all.tsv";
  out.include_unconfirmed = true;
  const ExportSummary all = export_labels(p, out, {});
  EXPECT_EQ(all.bouts, 2);
  EXPECT_EQ(all.bouts_unconfirmed_skipped, 0);

  // Importing the full export back: a person's BORIS file is manual, confirmed work.
  ImportOptions in;
  in.format = LabelFormat::kBoris;
  in.video_id = vid;
  in.path = out.path;
  import_labels(p, in, {});
  const std::vector<Bout> imported = p.list_bouts(vid);
  ASSERT_EQ(imported.size(), 2u);
  for (const Bout& b : imported) {
    EXPECT_EQ(b.source, Source::kManual);
    EXPECT_TRUE(b.confirmed);
  }
}

// A project as schema 1 wrote it: the old tables, a manual bout, two proposals listed in a
// behavior-proposals run (one edited since), and a bout whose id a run lists for another
// mouse (an id reused after a delete).
void make_schema1_project(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  Database db(dir / kDatabaseName, true);
  Transaction tx(db);
  apply_migrations(db, 0, 1);
  db.exec(R"sql(
INSERT INTO meta (key, value) VALUES
  ('skeleton', '{"keypoints":["nose","earL","earR","tailB"],"flip":[0,2,1,3],"edges":[]}'),
  ('behaviors', '["resting","rearing","running","self_grooming","exploring"]'),
  ('expected_animals', '2'), ('format', 'behavtrack.project');
INSERT INTO videos (id, path, hash, fps, width, height, n_frames, duration_s, added_at)
  VALUES (1, 'v.mp4', 'h1', 30, 64, 48, 300, 10, '2026-01-01T00:00:00Z');
INSERT INTO bouts (id, video_id, track_id, behavior, start_frame, end_frame, version) VALUES
  (1, 1, 1, 'resting', 0, 44, 1),
  (2, 1, 2, 'running', 45, 60, 1),
  (3, 1, 2, 'rearing', 61, 70, 3),
  (4, 1, 1, 'exploring', 100, 120, 1);
INSERT INTO runs (kind, options_json, metrics_json, created_at) VALUES
  ('behavior-proposals', '{}',
   '{"windows":[{"video_id":1,"id":2,"start_frame":45,"end_frame":89,"bout_ids":[2,3]},
                {"video_id":1,"id":2,"start_frame":90,"end_frame":134,"bout_ids":[4]}]}',
   '2026-01-01T00:00:00Z'),
  ('behavior-proposals', '{}', 'not json', '2026-01-01T00:00:00Z');
)sql");
  tx.commit();
}

TEST(BoutProposals, Schema1ProjectMigratesAndKnowsItsEarlierProposals) {
  TempDir tmp;
  make_schema1_project(tmp / "old");
  EXPECT_NE(error_of([&] { Project::open(tmp / "old"); })
                .find("schema version 1 is older than this behavtrack's (" + std::to_string(kSchemaVersion) +
                      "); run `behavtrack project migrate"),
            std::string::npos);
  EXPECT_EQ(Project::migrate(tmp / "old"), 1);
  EXPECT_EQ(Project::migrate(tmp / "old"), kSchemaVersion) << "a second migrate changes nothing";
  Project p = Project::open(tmp / "old");
  const std::vector<Bout> bouts = p.list_bouts(1);
  ASSERT_EQ(bouts.size(), 4u);
  EXPECT_EQ(by_id(bouts, 1).source, Source::kManual);
  EXPECT_TRUE(by_id(bouts, 1).confirmed);
  EXPECT_EQ(by_id(bouts, 2).source, Source::kPredicted);
  EXPECT_FALSE(by_id(bouts, 2).confirmed) << "a proposal nobody touched";
  EXPECT_EQ(by_id(bouts, 3).source, Source::kPredicted);
  EXPECT_TRUE(by_id(bouts, 3).confirmed) << "edited since (version 3): a person has looked at it";
  EXPECT_EQ(by_id(bouts, 4).source, Source::kManual) << "listed for mouse 2, but this bout is mouse 1's";
  EXPECT_EQ(p.count_bouts().unconfirmed, 1);
  // The migrated table takes new proposals like a new project's.
  EXPECT_GT(p.add_bout(proposal(1, 1, "running", 200, 210)), 4);
  EXPECT_EQ(p.count_bouts().unconfirmed, 2);
}

TEST(BoutProposals, ProjectInfoAndBorisExportCountProposalsWaiting) {
  TempDir tmp;
  {
    Project p = Project::create(tmp / "p", {});
    const VideoId vid = add_fake_video(p, tmp / "v.mp4");
    p.add_bout({0, vid, TrackId(1), "resting", 0, 4, 0});
    p.add_bout(proposal(vid, 1, "running", 5, 9));
    p.add_bout(proposal(vid, 2, "running", 5, 9));
  }
  const auto r = bt::test::run_cli({"project", "info", (tmp / "p").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bouts: 3 (2 proposed, waiting for confirmation)"), std::string::npos) << r.out;
  const auto e = bt::test::run_cli({"labels", "export", (tmp / "p").string(), (tmp / "out.tsv").string(), "--format",
                                    "boris", "--video", "1"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("0 instances, 1 bouts to"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("left out 2 unconfirmed proposed bouts"), std::string::npos) << e.out;
}

}  // namespace
}  // namespace bt::project
