#include "behavtrack/project/schema.h"

#include <string>
#include <vector>

#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/project/project.h"

namespace bt::project {
namespace {

// Append-only: never edit a released migration, add the next one.
const std::vector<const char*>& migrations() {
  static const std::vector<const char*> m = {
      // 1: the first schema.
      R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE videos (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  fps REAL NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
  n_frames INTEGER NOT NULL, duration_s REAL NOT NULL,
  key_frames TEXT NOT NULL DEFAULT '[]',
  source_video_id INTEGER REFERENCES videos(id),
  options_json TEXT NOT NULL DEFAULT '',
  added_at TEXT NOT NULL);
CREATE TABLE frames (
  id INTEGER PRIMARY KEY,
  video_id INTEGER REFERENCES videos(id),
  frame_index INTEGER NOT NULL,
  image_path TEXT NOT NULL,
  name TEXT NOT NULL,
  stratum INTEGER NOT NULL DEFAULT -1,
  feature BLOB,
  state INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 3),
  version INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL);
CREATE UNIQUE INDEX frames_video_index ON frames(video_id, frame_index) WHERE video_id IS NOT NULL;
CREATE UNIQUE INDEX frames_image_name ON frames(name) WHERE video_id IS NULL;
CREATE INDEX frames_state ON frames(state, id);
CREATE TABLE annotations (
  id INTEGER PRIMARY KEY,
  frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
  keypoints TEXT NOT NULL,
  keypoint_scores TEXT NOT NULL DEFAULT '[]',
  score REAL NOT NULL DEFAULT 1,
  track_id INTEGER,
  behavior TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL CHECK (source IN ('manual', 'predicted')),
  confirmed INTEGER NOT NULL CHECK (confirmed IN (0, 1)),
  box_derived INTEGER NOT NULL DEFAULT 0,
  author TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL);
CREATE INDEX annotations_frame ON annotations(frame_id, position);
CREATE TABLE bouts (
  id INTEGER PRIMARY KEY,
  video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
  track_id INTEGER NOT NULL,
  behavior TEXT NOT NULL,
  start_frame INTEGER NOT NULL,
  end_frame INTEGER NOT NULL CHECK (end_frame >= start_frame),
  version INTEGER NOT NULL DEFAULT 1);
CREATE INDEX bouts_video_track ON bouts(video_id, track_id, start_frame);
CREATE TABLE cycles (
  cycle INTEGER PRIMARY KEY,
  seed INTEGER NOT NULL,
  options_json TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL);
CREATE TABLE splits (
  cycle INTEGER NOT NULL REFERENCES cycles(cycle) ON DELETE CASCADE,
  frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
  split INTEGER NOT NULL CHECK (split BETWEEN 0 AND 4),
  PRIMARY KEY (cycle, frame_id)) WITHOUT ROWID;
CREATE INDEX splits_by_split ON splits(cycle, split, frame_id);
CREATE TABLE models (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  path TEXT NOT NULL,
  options_json TEXT NOT NULL DEFAULT '{}',
  metrics_json TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  model_id INTEGER REFERENCES models(id),
  options_json TEXT NOT NULL DEFAULT '{}',
  metrics_json TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL);
)sql",
      // 2: bouts say where they came from, like annotations. Bouts written before were
      // manual except the proposals a behavior-proposals run lists (by id, and on the
      // window's video, mouse and frames, so a reused id is not mistaken); a proposal a person
      // has edited since (version > 1) counts as confirmed, as an edit confirms from now on.
      R"sql(
ALTER TABLE bouts ADD COLUMN source TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'predicted'));
ALTER TABLE bouts ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1 CHECK (confirmed IN (0, 1));
UPDATE bouts SET source = 'predicted', confirmed = (version > 1)
WHERE EXISTS (
  SELECT 1 FROM runs r,
    json_each(CASE WHEN json_valid(r.metrics_json) THEN r.metrics_json ELSE '{}' END, '$.windows') w,
    json_each(w.value, '$.bout_ids') b
  WHERE r.kind = 'behavior-proposals'
    AND b.value = bouts.id
    AND json_extract(w.value, '$.video_id') = bouts.video_id
    AND json_extract(w.value, '$.id') = bouts.track_id
    AND bouts.start_frame <= json_extract(w.value, '$.end_frame')
    AND bouts.end_frame >= json_extract(w.value, '$.start_frame'));
CREATE INDEX bouts_unconfirmed ON bouts(video_id) WHERE confirmed = 0;
)sql",
  };
  return m;
}

}  // namespace

void apply_migrations(Database& db, int from, int to) {
  const auto& m = migrations();
  if (to > static_cast<int>(m.size())) throw_internal("schema: no migration to version " + std::to_string(to));
  for (int v = from + 1; v <= to; ++v) db.exec(m[v - 1]);
  db.exec("PRAGMA user_version = " + std::to_string(to));
}

void configure_connection(Database& db) {
  // WAL: readers (the annotation server's threads) never block the writer and vice versa.
  // synchronous=FULL: each commit fsyncs the WAL, so an acknowledged edit survives kill -9
  // and power loss; commits are batched (one per import / sampling run / human edit), so
  // the cost is one fsync per user action. SQLite checkpoints automatically at 1000 pages.
  Statement wal(db.handle(), "PRAGMA journal_mode=WAL");
  wal.step();
  db.exec("PRAGMA synchronous=FULL");
  db.exec("PRAGMA foreign_keys=ON");
}

int schema_version(Database& db) {
  Statement st(db.handle(), "PRAGMA user_version");
  st.step();
  return static_cast<int>(st.int64(0));
}

void check_schema_version(const std::filesystem::path& dir, int version) {
  const std::string subject = "project " + bt::quoted(dir.string()) + ": ";
  if (version == 0) throw_invalid(subject + std::string(kDatabaseName) + " is not a behavtrack project database");
  if (version > kSchemaVersion)
    throw_invalid(subject + "schema version " + std::to_string(version) + " is newer than this behavtrack's (" +
                  std::to_string(kSchemaVersion) + "); use a newer behavtrack");
  if (version < kSchemaVersion)
    throw_invalid(subject + "schema version " + std::to_string(version) + " is older than this behavtrack's (" +
                  std::to_string(kSchemaVersion) + "); run `behavtrack project migrate " + dir.string() + "`");
}

int migrate_project(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kDatabaseName;
  if (!std::filesystem::exists(path))
    throw_not_found("project " + bt::quoted(dir.string()) + ": no " + kDatabaseName);
  Database db(path, false);
  configure_connection(db);
  const int version = schema_version(db);
  if (version == 0 || version > kSchemaVersion) check_schema_version(dir, version);
  if (version == kSchemaVersion) return version;
  Transaction tx(db);
  apply_migrations(db, version, kSchemaVersion);
  tx.commit();
  log_info("project {}: migrated schema {} -> {}", dir.string(), version, kSchemaVersion);
  return version;
}

}  // namespace bt::project
