// Project: behaviour bouts per video and track, with versions and confirmation.
#include "behavtrack/project/project.h"

#include <set>

#include "behavtrack/project/project_impl.h"

namespace bt::project {

// ---- bouts ----

BoutId Project::add_bout(const Bout& bout) {
  Transaction tx(*impl_->db);
  Bout b = bout;
  b.id = 0;
  impl_->check_bout(b);
  Statement st(impl_->db->handle(),
               "INSERT INTO bouts (video_id, track_id, behavior, start_frame, end_frame, version, source, confirmed) "
               "VALUES (?,?,?,?,?,1,?,?)");
  st.bind(1, b.video_id).bind(2, b.track.value).bind(3, b.behavior).bind(4, b.start_frame).bind(5, b.end_frame);
  st.bind(6, to_string(b.source)).bind(7, b.confirmed ? 1 : 0).run();
  const BoutId id = impl_->db->last_insert_id();
  tx.commit();
  return id;
}

namespace {
std::optional<std::int64_t> bout_version(Database& db, BoutId id) {
  Statement st(db.handle(), "SELECT version FROM bouts WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return st.int64(0);
}
}  // namespace

PutResult Project::update_bout(const Bout& b, std::int64_t expected_version) {
  Transaction tx(*impl_->db);
  const auto current = bout_version(*impl_->db, b.id);
  if (!current) throw_not_found("bout " + std::to_string(b.id) + ": no such bout");
  if (*current != expected_version) return {PutStatus::kConflict, *current};
  impl_->check_bout(b);
  Statement st(impl_->db->handle(),
               "UPDATE bouts SET video_id = ?, track_id = ?, behavior = ?, start_frame = ?, end_frame = ?, "
               "confirmed = ?, version = version + 1 WHERE id = ?");
  st.bind(1, b.video_id).bind(2, b.track.value).bind(3, b.behavior).bind(4, b.start_frame).bind(5, b.end_frame);
  st.bind(6, b.confirmed ? 1 : 0).bind(7, b.id).run();
  tx.commit();
  return {PutStatus::kOk, expected_version + 1};
}

PutResult Project::delete_bout(BoutId id, std::int64_t expected_version) {
  Transaction tx(*impl_->db);
  const auto current = bout_version(*impl_->db, id);
  if (!current) throw_not_found("bout " + std::to_string(id) + ": no such bout");
  if (*current != expected_version) return {PutStatus::kConflict, *current};
  Statement st(impl_->db->handle(), "DELETE FROM bouts WHERE id = ?");
  st.bind(1, id).run();
  tx.commit();
  return {PutStatus::kOk, expected_version + 1};
}

std::vector<Bout> Project::list_bouts(VideoId video) const {
  Statement st(impl_->db->handle(),
               "SELECT id, video_id, track_id, behavior, start_frame, end_frame, version, source, confirmed "
               "FROM bouts WHERE video_id = ? ORDER BY track_id, start_frame");
  st.bind(1, video);
  std::vector<Bout> out;
  while (st.step()) {
    Bout b;
    b.id = st.int64(0);
    b.video_id = st.int64(1);
    b.track = TrackId(static_cast<int>(st.int64(2)));
    b.behavior = st.text(3);
    b.start_frame = st.int64(4);
    b.end_frame = st.int64(5);
    b.version = st.int64(6);
    b.source = source_from_string(st.text(7));
    b.confirmed = st.int64(8) != 0;
    out.push_back(b);
  }
  return out;
}

ConfirmBoutsResult Project::confirm_bouts(const std::vector<BoutVersion>& bouts) {
  std::set<BoutId> seen;
  for (const BoutVersion& b : bouts)
    if (!seen.insert(b.id).second) throw_invalid("bout " + std::to_string(b.id) + ": listed twice");
  Transaction tx(*impl_->db);
  ConfirmBoutsResult r;
  for (const BoutVersion& b : bouts) {
    const auto current = bout_version(*impl_->db, b.id);
    if (!current) throw_not_found("bout " + std::to_string(b.id) + ": no such bout");
    if (*current != b.version) r.bouts.push_back({b.id, *current});
  }
  if (!r.bouts.empty()) {
    r.status = PutStatus::kConflict;
    return r;
  }
  // Only unconfirmed bouts change (and get a new version); a confirmed one is left alone,
  // so confirming twice, or a view that mixes both, is harmless.
  Statement up(impl_->db->handle(), "UPDATE bouts SET confirmed = 1, version = version + 1 WHERE id = ? AND confirmed = 0");
  for (const BoutVersion& b : bouts) {
    up.reset();
    up.bind(1, b.id).run();
    r.bouts.push_back({b.id, b.version + impl_->db->changes()});
  }
  tx.commit();
  return r;
}

BoutCounts Project::count_bouts(std::optional<VideoId> video) const {
  Statement st(impl_->db->handle(),
               "SELECT count(*), coalesce(sum(confirmed = 0), 0) FROM bouts WHERE ?1 IS NULL OR video_id = ?1");
  if (video) st.bind(1, *video); else st.bind_null(1);
  st.step();
  return {st.int64(0), st.int64(1)};
}

void Project::replace_bouts(VideoId video, const std::vector<Bout>& bouts) {
  Transaction tx(*impl_->db);
  Statement del(impl_->db->handle(), "DELETE FROM bouts WHERE video_id = ?");
  del.bind(1, video).run();
  for (Bout b : bouts) {
    b.video_id = video;
    add_bout(b);
  }
  tx.commit();
}

std::vector<FrameLabel> Project::frame_labels(VideoId video) const {
  std::vector<FrameLabel> out;
  for (const Bout& b : confirmed_bouts(list_bouts(video)))
    for (FrameIndex f = b.start_frame; f <= b.end_frame; ++f) out.push_back({f, b.track, b.behavior});
  std::sort(out.begin(), out.end(), [](const FrameLabel& a, const FrameLabel& b) {
    return a.frame != b.frame ? a.frame < b.frame : a.track < b.track;
  });
  return out;
}

}  // namespace bt::project
