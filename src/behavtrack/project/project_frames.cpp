// Project: sampled frames, their listing and paging, and their annotations (with versions).
#include "behavtrack/project/project.h"

#include "behavtrack/project/project_impl.h"

namespace bt::project {

// ---- frames ----

std::vector<FrameId> Project::add_frames(const std::vector<NewFrame>& frames) {
  std::vector<FrameId> ids;
  ids.reserve(frames.size());
  Transaction tx(*impl_->db);
  Statement ins(impl_->db->handle(),
                std::string("INSERT INTO frames (video_id, frame_index, image_path, name, stratum, feature, state, "
                            "version, created_at) VALUES (?,?,?,?,?,?,0,0,") + kNow + ")");
  Statement upd(impl_->db->handle(), "UPDATE frames SET image_path = ?, stratum = ?, feature = ? WHERE id = ?");
  for (const NewFrame& f : frames) {
    if (f.name.empty()) throw_invalid("frame: a name is required");
    const auto blob = floats_to_blob(f.feature);
    if (auto existing = find_frame(f.video_id, f.frame_index, f.name)) {
      upd.reset();
      upd.bind(1, f.image_path).bind(2, f.stratum).bind_blob(3, blob.data(), blob.size()).bind(4, existing->id).run();
      ids.push_back(existing->id);
      continue;
    }
    ins.reset();
    ins.bind(1, f.video_id).bind(2, f.frame_index).bind(3, f.image_path).bind(4, f.name).bind(5, f.stratum);
    ins.bind_blob(6, blob.data(), blob.size());
    ins.run();
    ids.push_back(impl_->db->last_insert_id());
  }
  tx.commit();
  return ids;
}

FrameRecord Project::get_frame_record(FrameId id) const {
  Statement st(impl_->db->handle(), std::string("SELECT ") + kFrameColumns + " FROM frames f WHERE f.id = ?");
  st.bind(1, id);
  if (!st.step()) throw_not_found("frame " + std::to_string(id) + ": no such frame in the project");
  return read_frame_row(st);
}

std::optional<FrameRecord> Project::find_frame(std::optional<VideoId> video, FrameIndex index,
                                               const std::string& name) const {
  std::unique_ptr<Statement> st;
  if (video) {
    st = std::make_unique<Statement>(impl_->db->handle(), std::string("SELECT ") + kFrameColumns +
                                                              " FROM frames f WHERE f.video_id = ? AND f.frame_index = ?");
    st->bind(1, *video).bind(2, index);
  } else {
    st = std::make_unique<Statement>(impl_->db->handle(), std::string("SELECT ") + kFrameColumns +
                                                              " FROM frames f WHERE f.video_id IS NULL AND f.name = ?");
    st->bind(1, name);
  }
  if (!st->step()) return std::nullopt;
  return read_frame_row(*st);
}

namespace {

// FROM/WHERE clause of a frame query plus the values to bind, in order.
struct QueryParts {
  std::string from_where;
  std::vector<std::int64_t> binds;
};

QueryParts query_parts(const FrameQuery& q, std::optional<int> cycle) {
  QueryParts p;
  p.from_where = " FROM frames f";
  if (q.split) {
    p.from_where += " JOIN splits s ON s.frame_id = f.id AND s.cycle = ? AND s.split = ?";
    p.binds.push_back(cycle.value_or(-1));
    p.binds.push_back(static_cast<std::int64_t>(*q.split));
  }
  p.from_where += " WHERE 1";
  if (q.state) {
    p.from_where += " AND f.state = ?";
    p.binds.push_back(state_code(*q.state));
  }
  if (q.video_id) {
    p.from_where += " AND f.video_id = ?";
    p.binds.push_back(*q.video_id);
  }
  return p;
}

}  // namespace

FramePage Project::list_frames(const FrameQuery& q) const {
  const std::optional<int> cycle = q.cycle ? q.cycle : latest_cycle();
  const QueryParts parts = query_parts(q, cycle);
  FramePage page;
  auto count = [&](const std::string& sql, std::size_t n_binds) {
    Statement st(impl_->db->handle(), sql);
    for (std::size_t i = 0; i < n_binds; ++i) st.bind(static_cast<int>(i + 1), parts.binds[i]);
    st.step();
    return st.int64(0);
  };
  // A split alone is counted on its covering index, without visiting the frames; complete
  // frames are counted through the (state, id) index. Both stay cheap at 100,000 frames.
  if (q.split && !q.state && !q.video_id)
    page.total = count("SELECT count(*) FROM splits s WHERE s.cycle = ? AND s.split = ?", 2);
  else
    page.total = count("SELECT count(*)" + parts.from_where, parts.binds.size());
  page.complete = q.state && *q.state != FrameState::kComplete
                      ? 0
                      : count("SELECT count(*)" + parts.from_where + " AND f.state = 3", parts.binds.size());
  // Rows in id order under an extra condition: each query walks the rowid (or the
  // (state, id) index) without sorting, so a page deep into 100,000 frames stays cheap.
  auto fetch = [&](const std::string& extra, std::int64_t limit, std::int64_t offset) {
    Statement st(impl_->db->handle(),
                 std::string("SELECT ") + kFrameColumns + parts.from_where + extra + " ORDER BY f.id LIMIT ? OFFSET ?");
    int i = 1;
    for (auto b : parts.binds) st.bind(i++, b);
    st.bind(i++, limit > 0 ? limit : std::int64_t{-1});
    st.bind(i++, std::max<std::int64_t>(0, offset));
    while (st.step()) page.frames.push_back(read_frame_row(st));
  };
  if (!q.incomplete_first) {
    if (q.after_id)
      fetch(" AND f.id > " + std::to_string(*q.after_id), q.limit, 0);
    else
      fetch("", q.limit, q.offset);
    return page;
  }
  // Incomplete frames first, then complete ones, each by id.
  const std::int64_t incomplete = page.total - page.complete;
  const std::int64_t offset = std::max<std::int64_t>(0, q.offset);
  if (offset < incomplete) fetch(" AND f.state != 3", q.limit, offset);
  const std::int64_t room = q.limit > 0 ? q.limit - static_cast<std::int64_t>(page.frames.size()) : 1;
  if (room > 0) fetch(" AND f.state = 3", q.limit > 0 ? room : 0, std::max<std::int64_t>(0, offset - incomplete));
  return page;
}

std::optional<FrameId> Project::next_incomplete(FrameId after, const FrameQuery& q) const {
  const QueryParts parts = query_parts(q, q.cycle ? q.cycle : latest_cycle());
  for (const char* range : {" AND f.id > ?", " AND f.id <= ?"}) {
    Statement st(impl_->db->handle(), "SELECT f.id" + parts.from_where + " AND f.state != 3" + range +
                                          " ORDER BY f.id LIMIT 1");
    int i = 1;
    for (auto b : parts.binds) st.bind(i++, b);
    st.bind(i, after);
    if (st.step()) return st.int64(0);
  }
  return std::nullopt;
}

std::int64_t Project::count_frames() const {
  Statement st(impl_->db->handle(), "SELECT count(*) FROM frames");
  st.step();
  return st.int64(0);
}

// ---- annotations ----

FrameAnnotations Project::get_frame(FrameId id) const {
  FrameAnnotations out;
  out.frame_id = id;
  out.version = impl_->frame_version(id);
  out.instances = impl_->load_annotations(id);
  return out;
}

PutResult Project::put_frame(FrameId id, const std::vector<Annotation>& instances, std::int64_t expected_version,
                             const std::string& author) {
  for (std::size_t i = 0; i < instances.size(); ++i)
    impl_->check_instance(instances[i].instance, "frame " + std::to_string(id) + " instance " + std::to_string(i));
  Transaction tx(*impl_->db);
  const std::int64_t current = impl_->frame_version(id);
  if (!impl_->bump_version(id, expected_version)) return {PutStatus::kConflict, current};
  impl_->write_annotations(id, instances, &author);
  tx.commit();
  return {PutStatus::kOk, expected_version + 1};
}

std::int64_t Project::write_predictions(const std::vector<std::pair<FrameId, std::vector<Instance>>>& predictions,
                                        const std::string& model_name) {
  std::int64_t written = 0;
  Transaction tx(*impl_->db);
  for (const auto& [id, predicted] : predictions) {
    const std::vector<Annotation> current = impl_->load_annotations(id);
    const bool has_work = std::any_of(current.begin(), current.end(), [](const Annotation& a) {
      return a.confirmed || a.source == Source::kManual;
    });
    if (has_work) continue;
    std::vector<Annotation> rows;
    for (const Instance& p : predicted) {
      impl_->check_instance(p, "prediction for frame " + std::to_string(id), true);
      if (auto in = prediction_to_annotation(p)) {
        Annotation a;
        a.instance = *in;
        a.source = Source::kPredicted;
        a.confirmed = false;
        rows.push_back(std::move(a));
      }
    }
    impl_->bump_version(id, impl_->frame_version(id));
    impl_->write_annotations(id, rows, &model_name);
    ++written;
  }
  tx.commit();
  return written;
}

PutResult Project::accept_predictions(FrameId id, std::int64_t expected_version, const std::string& author,
                                      std::optional<int> instance_index) {
  Transaction tx(*impl_->db);
  const std::int64_t current = impl_->frame_version(id);
  std::vector<Annotation> rows = impl_->load_annotations(id);
  if (instance_index && (*instance_index < 0 || *instance_index >= static_cast<int>(rows.size())))
    throw_not_found("frame " + std::to_string(id) + " instance " + std::to_string(*instance_index) + ": no such instance");
  if (!impl_->bump_version(id, expected_version)) return {PutStatus::kConflict, current};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (instance_index && static_cast<int>(i) != *instance_index) continue;
    if (!rows[i].confirmed) {
      rows[i].confirmed = true;
      rows[i].author = author;
      rows[i].updated_at.clear();
    }
  }
  impl_->write_annotations(id, rows, nullptr);
  tx.commit();
  return {PutStatus::kOk, expected_version + 1};
}

}  // namespace bt::project
