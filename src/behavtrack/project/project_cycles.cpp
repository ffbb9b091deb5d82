// Project: active-learning cycles and their splits, models and runs.
#include "behavtrack/project/project.h"

#include "behavtrack/project/project_impl.h"

namespace bt::project {

// ---- splits ----

int Project::add_cycle(std::uint64_t seed, const std::string& options_json,
                       const std::vector<std::pair<FrameId, Split>>& assignment) {
  Transaction tx(*impl_->db);
  const int cycle = latest_cycle() ? *latest_cycle() + 1 : 0;
  Statement c(impl_->db->handle(),
              std::string("INSERT INTO cycles (cycle, seed, options_json, created_at) VALUES (?,?,?,") + kNow + ")");
  c.bind(1, cycle).bind(2, static_cast<std::int64_t>(seed)).bind(3, options_json).run();
  Statement st(impl_->db->handle(), "INSERT INTO splits (cycle, frame_id, split) VALUES (?,?,?)");
  for (const auto& [frame, split] : assignment) {
    st.reset();
    st.bind(1, cycle).bind(2, frame).bind(3, static_cast<std::int64_t>(split)).run();
  }
  tx.commit();
  return cycle;
}

std::optional<int> Project::latest_cycle() const {
  Statement st(impl_->db->handle(), "SELECT max(cycle) FROM cycles");
  st.step();
  if (st.is_null(0)) return std::nullopt;
  return static_cast<int>(st.int64(0));
}

CycleRecord Project::get_cycle(int cycle) const {
  Statement st(impl_->db->handle(), "SELECT cycle, seed, options_json, created_at FROM cycles WHERE cycle = ?");
  st.bind(1, cycle);
  if (!st.step()) throw_not_found("cycle " + std::to_string(cycle) + ": no such active-learning cycle");
  return {static_cast<int>(st.int64(0)), static_cast<std::uint64_t>(st.int64(1)), st.text(2), st.text(3)};
}

std::vector<std::pair<FrameId, Split>> Project::split_of(int cycle) const {
  get_cycle(cycle);
  Statement st(impl_->db->handle(), "SELECT frame_id, split FROM splits WHERE cycle = ? ORDER BY frame_id");
  st.bind(1, cycle);
  std::vector<std::pair<FrameId, Split>> out;
  while (st.step()) out.emplace_back(st.int64(0), static_cast<Split>(st.int64(1)));
  return out;
}

std::vector<LabelledFrame> Project::labelled_frames(Split split, std::optional<int> cycle, bool include_empty) const {
  const std::optional<int> c = cycle ? cycle : latest_cycle();
  if (!c) throw_not_found("project " + bt::quoted(impl_->dir.string()) + ": no splits yet; run `behavtrack frames split`");
  FrameQuery q;
  q.cycle = c;
  q.split = split;
  q.limit = 0;
  std::vector<LabelledFrame> out;
  for (FrameRecord& f : list_frames(q).frames) {
    LabelledFrame lf;
    for (const Annotation& a : impl_->load_annotations(f.id))
      if (a.confirmed) lf.instances.push_back(a.instance);
    if (lf.instances.empty() && !include_empty) continue;
    lf.image = resolve(f.image_path);
    lf.frame = std::move(f);
    out.push_back(std::move(lf));
  }
  return out;
}

// ---- models and runs ----

std::int64_t Project::add_model(const ModelRecord& m) {
  if (m.name.empty()) throw_invalid("model: a name is required");
  Transaction tx(*impl_->db);
  Statement st(impl_->db->handle(),
               std::string("INSERT INTO models (name, path, options_json, metrics_json, created_at) VALUES (?,?,?,?,") +
                   kNow + ") ON CONFLICT(name) DO UPDATE SET path = excluded.path, options_json = "
                          "excluded.options_json, metrics_json = excluded.metrics_json");
  st.bind(1, m.name).bind(2, m.path).bind(3, m.options_json).bind(4, m.metrics_json).run();
  Statement id(impl_->db->handle(), "SELECT id FROM models WHERE name = ?");
  id.bind(1, m.name).step();
  const std::int64_t model_id = id.int64(0);
  tx.commit();
  return model_id;
}

namespace {
ModelRecord read_model(const Statement& st) {
  return {st.int64(0), st.text(1), st.text(2), st.text(3), st.text(4), st.text(5)};
}
}  // namespace

std::vector<ModelRecord> Project::list_models() const {
  Statement st(impl_->db->handle(), "SELECT id, name, path, options_json, metrics_json, created_at FROM models ORDER BY id");
  std::vector<ModelRecord> out;
  while (st.step()) out.push_back(read_model(st));
  return out;
}

std::optional<ModelRecord> Project::find_model(const std::string& name) const {
  Statement st(impl_->db->handle(),
               "SELECT id, name, path, options_json, metrics_json, created_at FROM models WHERE name = ?");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return read_model(st);
}

std::int64_t Project::add_run(const RunRecord& r) {
  Transaction tx(*impl_->db);
  Statement st(impl_->db->handle(),
               std::string("INSERT INTO runs (kind, model_id, options_json, metrics_json, created_at) VALUES (?,?,?,?,") +
                   kNow + ")");
  st.bind(1, r.kind).bind(2, r.model_id).bind(3, r.options_json).bind(4, r.metrics_json).run();
  const std::int64_t id = impl_->db->last_insert_id();
  tx.commit();
  return id;
}

void Project::set_run_metrics(std::int64_t run_id, const std::string& metrics_json) {
  Transaction tx(*impl_->db);
  Statement st(impl_->db->handle(), "UPDATE runs SET metrics_json = ? WHERE id = ?");
  st.bind(1, metrics_json).bind(2, run_id).run();
  if (impl_->db->changes() != 1) throw_not_found("run " + std::to_string(run_id) + ": no such run");
  tx.commit();
}

std::vector<RunRecord> Project::list_runs() const {
  Statement st(impl_->db->handle(),
               "SELECT id, kind, options_json, metrics_json, created_at, model_id FROM runs ORDER BY id");
  std::vector<RunRecord> out;
  while (st.step()) {
    RunRecord r{st.int64(0), st.text(1), st.text(2), st.text(3), st.text(4), std::nullopt};
    if (!st.is_null(5)) r.model_id = st.int64(5);
    out.push_back(r);
  }
  return out;
}

}  // namespace bt::project
