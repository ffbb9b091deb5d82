#include "behavtrack/project/project.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/project/schema.h"
#include "behavtrack/project/sqlite_db.h"

namespace bt::project {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const char* const kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

bool finite(double v) { return std::isfinite(v); }

json skeleton_to_json(const Skeleton& s) {
  json edges = json::array();
  for (const auto& [a, b] : s.edges) edges.push_back({a, b});
  return {{"keypoints", s.keypoints}, {"flip", s.flip}, {"edges", edges}};
}

Skeleton skeleton_from_json(const json& j) {
  Skeleton s;
  s.keypoints = j.at("keypoints").get<std::vector<std::string>>();
  s.flip = j.at("flip").get<std::vector<int>>();
  for (const auto& e : j.at("edges")) s.edges.emplace_back(e.at(0).get<int>(), e.at(1).get<int>());
  return s;
}

std::vector<unsigned char> floats_to_blob(const std::vector<float>& v) {
  std::vector<unsigned char> out(v.size() * sizeof(float));
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

std::vector<float> blob_to_floats(const std::vector<unsigned char>& b) {
  std::vector<float> out(b.size() / sizeof(float));
  if (!out.empty()) std::memcpy(out.data(), b.data(), out.size() * sizeof(float));
  return out;
}

int state_code(FrameState s) { return static_cast<int>(s); }

const char* kFrameColumns =
    "f.id, f.video_id, f.frame_index, f.image_path, f.name, f.stratum, f.feature, f.state, f.version";

FrameRecord read_frame_row(const Statement& st) {
  FrameRecord r;
  r.id = st.int64(0);
  if (!st.is_null(1)) r.video_id = st.int64(1);
  r.frame_index = st.int64(2);
  r.image_path = st.text(3);
  r.name = st.text(4);
  r.stratum = static_cast<int>(st.int64(5));
  r.feature = blob_to_floats(st.blob(6));
  r.state = static_cast<FrameState>(st.int64(7));
  r.version = st.int64(8);
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Enums and free functions

const char* to_string(FrameState s) {
  switch (s) {
    case FrameState::kEmpty: return "empty";
    case FrameState::kStarted: return "started";
    case FrameState::kPredicted: return "predicted";
    case FrameState::kComplete: return "complete";
  }
  return "?";
}

FrameState frame_state_from_string(const std::string& s) {
  for (FrameState v : {FrameState::kEmpty, FrameState::kStarted, FrameState::kPredicted, FrameState::kComplete})
    if (s == to_string(v)) return v;
  throw_invalid("frame state " + bt::quoted(s) + ": expected empty, started, predicted or complete");
}

const char* to_string(Split s) {
  switch (s) {
    case Split::kTest: return "test";
    case Split::kTrain: return "train";
    case Split::kVal: return "val";
    case Split::kPredict: return "predict";
    case Split::kReserve: return "reserve";
  }
  return "?";
}

Split split_from_string(const std::string& s) {
  for (Split v : {Split::kTest, Split::kTrain, Split::kVal, Split::kPredict, Split::kReserve})
    if (s == to_string(v)) return v;
  throw_invalid("split " + bt::quoted(s) + ": expected test, train, val, predict or reserve");
}

const char* to_string(Source s) { return s == Source::kManual ? "manual" : "predicted"; }

Source source_from_string(const std::string& s) {
  for (Source v : {Source::kManual, Source::kPredicted})
    if (s == to_string(v)) return v;
  throw_invalid("source " + bt::quoted(s) + ": expected manual or predicted");
}

std::vector<Bout> confirmed_bouts(const std::vector<Bout>& bouts, std::size_t* n_unconfirmed) {
  std::vector<Bout> out;
  for (const Bout& b : bouts)
    if (b.confirmed) out.push_back(b);
  if (n_unconfirmed) *n_unconfirmed = bouts.size() - out.size();
  return out;
}

void ProjectOptions::validate() const {
  if (skeleton.keypoints.empty()) throw_invalid("project options: skeleton.keypoints: must not be empty");
  try {
    skeleton.validate();
  } catch (const Error& e) {
    throw_invalid(std::string("project options: skeleton: ") + e.what());
  }
  if (expected_animals < 1 || expected_animals > 1000)
    throw_invalid("project options: expected_animals " + std::to_string(expected_animals) +
                  ": must be between 1 and 1000");
  std::set<std::string> seen;
  for (const auto& b : behaviors) {
    if (b.empty()) throw_invalid("project options: behaviors: empty name");
    if (!seen.insert(b).second) throw_invalid("project options: behaviors: " + bt::quoted(b) + " appears twice");
  }
}

std::optional<Instance> prediction_to_annotation(const Instance& p) {
  if (!finite(p.box.x1) || !finite(p.box.y1) || !finite(p.box.x2) || !finite(p.box.y2) || !p.box.valid())
    return std::nullopt;
  Instance out = p;
  for (std::size_t k = 0; k < out.keypoints.size(); ++k) {
    Keypoint& kp = out.keypoints[k];
    const bool inside = finite(kp.x) && finite(kp.y) && kp.x >= p.box.x1 && kp.x <= p.box.x2 &&
                        kp.y >= p.box.y1 && kp.y <= p.box.y2;
    if (!kp.present() || !inside) {
      kp = Keypoint{0, 0, Visibility::kAbsent};
      continue;
    }
    const float score = k < p.keypoint_scores.size() ? p.keypoint_scores[k] : 1.0f;
    kp.v = score > 0.9f ? Visibility::kVisible : Visibility::kOccluded;
  }
  return out;
}

FrameState compute_frame_state(const std::vector<Annotation>& instances, int n_keypoints,
                               int expected_animals) {
  if (instances.empty()) return FrameState::kEmpty;
  for (const auto& a : instances)
    if (!a.confirmed) return FrameState::kPredicted;
  if (static_cast<int>(instances.size()) != expected_animals) return FrameState::kStarted;
  for (const auto& a : instances) {
    if (static_cast<int>(a.instance.keypoints.size()) != n_keypoints) return FrameState::kStarted;
    for (const auto& k : a.instance.keypoints)
      if (!k.present()) return FrameState::kStarted;
  }
  return FrameState::kComplete;
}

std::string content_hash(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (!fs::exists(file)) throw_not_found("video " + bt::quoted(file.string()) + ": no such file");
    throw_io("video " + bt::quoted(file.string()) + ": cannot read");
  }
  const std::uint64_t size = fs::file_size(file);
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a 64 offset basis
  auto mix = [&h](const char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      h ^= static_cast<unsigned char>(p[i]);
      h *= 1099511628211ULL;  // FNV prime
    }
  };
  mix(reinterpret_cast<const char*>(&size), sizeof size);
  constexpr std::uint64_t kChunk = 1 << 20;
  std::vector<char> buf(kChunk);
  auto mix_range = [&](std::uint64_t offset, std::uint64_t n) {
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(buf.data(), static_cast<std::streamsize>(n));
    if (in.gcount() != static_cast<std::streamsize>(n)) throw_io("video " + bt::quoted(file.string()) + ": read failed");
    mix(buf.data(), n);
  };
  mix_range(0, std::min(size, kChunk));
  if (size > kChunk) mix_range(size - std::min(size - kChunk, kChunk), std::min(size - kChunk, kChunk));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

// ---------------------------------------------------------------------------------------
// Project

struct Project::Impl {
  fs::path dir;
  std::unique_ptr<Database> db;
  Skeleton skeleton;
  std::vector<std::string> behaviors;
  int expected_animals = 1;

  std::string meta(const std::string& key) const {
    Statement st(db->handle(), "SELECT value FROM meta WHERE key = ?");
    st.bind(1, key);
    if (!st.step()) throw_invalid("project " + bt::quoted(dir.string()) + ": metadata '" + key + "' missing");
    return st.text(0);
  }

  void load_meta() {
    try {
      skeleton = skeleton_from_json(json::parse(meta("skeleton")));
      behaviors = json::parse(meta("behaviors")).get<std::vector<std::string>>();
      expected_animals = std::stoi(meta("expected_animals"));
    } catch (const json::exception& e) {
      throw_invalid("project " + bt::quoted(dir.string()) + ": metadata unreadable: " + e.what());
    }
  }

  std::vector<Annotation> load_annotations(FrameId id) const {
    Statement st(db->handle(),
                 "SELECT x1, y1, x2, y2, keypoints, keypoint_scores, score, track_id, behavior, source, "
                 "confirmed, box_derived, author, updated_at FROM annotations WHERE frame_id = ? "
                 "ORDER BY position");
    st.bind(1, id);
    std::vector<Annotation> out;
    while (st.step()) {
      Annotation a;
      Instance& in = a.instance;
      in.box = Box{st.real(0), st.real(1), st.real(2), st.real(3)};
      for (const auto& k : json::parse(st.text(4)))
        in.keypoints.push_back(Keypoint{k.at(0).get<double>(), k.at(1).get<double>(),
                                        static_cast<Visibility>(k.at(2).get<int>())});
      in.keypoint_scores = json::parse(st.text(5)).get<std::vector<float>>();
      in.score = static_cast<float>(st.real(6));
      if (!st.is_null(7)) in.id = TrackId(static_cast<int>(st.int64(7)));
      in.behavior = st.text(8);
      a.source = source_from_string(st.text(9));
      a.confirmed = st.int64(10) != 0;
      a.box_derived = st.int64(11) != 0;
      a.author = st.text(12);
      a.updated_at = st.text(13);
      out.push_back(std::move(a));
    }
    return out;
  }

  // Predictions may carry degenerate boxes or non-finite values (dropped later by
  // prediction_to_annotation); annotations may not.
  void check_instance(const Instance& in, const std::string& where, bool is_prediction = false) const {
    const std::string subject = where + ": ";
    if (static_cast<int>(in.keypoints.size()) != skeleton.size())
      throw_invalid(subject + "expected " + std::to_string(skeleton.size()) + " keypoints (the project's skeleton), got " +
                    std::to_string(in.keypoints.size()));
    if (!in.keypoint_scores.empty() && in.keypoint_scores.size() != in.keypoints.size())
      throw_invalid(subject + "keypoint_scores: expected " + std::to_string(in.keypoints.size()) + " values, got " +
                    std::to_string(in.keypoint_scores.size()));
    if (is_prediction) return;
    if (!finite(in.box.x1) || !finite(in.box.y1) || !finite(in.box.x2) || !finite(in.box.y2))
      throw_invalid(subject + "box: coordinates must be finite numbers");
    if (!in.box.valid()) throw_invalid(subject + "box: x2 > x1 and y2 > y1 required");
    for (std::size_t k = 0; k < in.keypoints.size(); ++k) {
      const Keypoint& kp = in.keypoints[k];
      if (kp.present() && !(finite(kp.x) && finite(kp.y)))
        throw_invalid(subject + "keypoint '" + skeleton.keypoints[k] + "': coordinates must be finite numbers");
      if (to_int(kp.v) < 0 || to_int(kp.v) > 2) throw_invalid(subject + "keypoint visibility must be 0, 1 or 2");
    }
    if (!finite(in.score)) throw_invalid(subject + "score: must be a finite number");
    if (in.id && in.id->value < 1) throw_invalid(subject + "id " + std::to_string(in.id->value) + ": must be >= 1");
    if (!in.behavior.empty() && std::find(behaviors.begin(), behaviors.end(), in.behavior) == behaviors.end())
      throw_invalid(subject + "behavior " + bt::quoted(in.behavior) + ": not one of the project's behaviours");
  }

  // Replaces the annotations of a frame and updates its cached state; the caller holds the
  // transaction and has bumped the version.
  FrameState write_annotations(FrameId id, const std::vector<Annotation>& instances,
                               const std::string* author) {
    Statement del(db->handle(), "DELETE FROM annotations WHERE frame_id = ?");
    del.bind(1, id).run();
    Statement ins(db->handle(),
                  std::string("INSERT INTO annotations (frame_id, position, x1, y1, x2, y2, keypoints, "
                              "keypoint_scores, score, track_id, behavior, source, confirmed, box_derived, "
                              "author, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, coalesce(?, ") +
                      kNow + "))");
    for (std::size_t i = 0; i < instances.size(); ++i) {
      const Annotation& a = instances[i];
      const Instance& in = a.instance;
      json kps = json::array();
      for (const auto& k : in.keypoints)
        kps.push_back(k.present() ? json{k.x, k.y, to_int(k.v)} : json{0.0, 0.0, 0});
      ins.reset();
      ins.bind(1, id).bind(2, static_cast<std::int64_t>(i));
      ins.bind(3, in.box.x1).bind(4, in.box.y1).bind(5, in.box.x2).bind(6, in.box.y2);
      ins.bind(7, kps.dump()).bind(8, json(in.keypoint_scores).dump()).bind(9, static_cast<double>(in.score));
      if (in.id) ins.bind(10, in.id->value); else ins.bind_null(10);
      ins.bind(11, in.behavior).bind(12, to_string(a.source)).bind(13, a.confirmed ? 1 : 0);
      ins.bind(14, a.box_derived ? 1 : 0).bind(15, author ? *author : a.author);
      if (author || a.updated_at.empty()) ins.bind_null(16); else ins.bind(16, a.updated_at);
      ins.run();
    }
    const FrameState state = compute_frame_state(instances, skeleton.size(), expected_animals);
    Statement up(db->handle(), "UPDATE frames SET state = ? WHERE id = ?");
    up.bind(1, state_code(state)).bind(2, id).run();
    return state;
  }

  std::int64_t frame_version(FrameId id) const {
    Statement st(db->handle(), "SELECT version FROM frames WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) throw_not_found("frame " + std::to_string(id) + ": no such frame in the project");
    return st.int64(0);
  }

  // Bumps the version when it equals `expected`; false on a stale version.
  bool bump_version(FrameId id, std::int64_t expected) {
    Statement st(db->handle(), "UPDATE frames SET version = version + 1 WHERE id = ? AND version = ?");
    st.bind(1, id).bind(2, expected).run();
    return db->changes() == 1;
  }

  void check_bout(const Bout& b) const {
    const std::string subject = "bout (video " + std::to_string(b.video_id) + ", id " + std::to_string(b.track.value) + ")";
    if (std::find(behaviors.begin(), behaviors.end(), b.behavior) == behaviors.end())
      throw_invalid(subject + ": behavior " + bt::quoted(b.behavior) + ": not one of the project's behaviours");
    if (b.start_frame < 0 || b.end_frame < b.start_frame)
      throw_invalid(subject + ": frames " + std::to_string(b.start_frame) + ".." + std::to_string(b.end_frame) +
                    ": need 0 <= start_frame <= end_frame");
    if (b.track.value < 1) throw_invalid(subject + ": track id must be >= 1");
    Statement v(db->handle(), "SELECT 1 FROM videos WHERE id = ?");
    v.bind(1, b.video_id);
    if (!v.step()) throw_not_found("video " + std::to_string(b.video_id) + ": no such video in the project");
    Statement st(db->handle(),
                 "SELECT id, start_frame, end_frame FROM bouts WHERE video_id = ? AND track_id = ? AND id != ? "
                 "AND start_frame <= ? AND end_frame >= ? LIMIT 1");
    st.bind(1, b.video_id).bind(2, b.track.value).bind(3, b.id).bind(4, b.end_frame).bind(5, b.start_frame);
    if (st.step())
      throw_invalid(subject + ": frames " + std::to_string(b.start_frame) + ".." + std::to_string(b.end_frame) +
                    " overlap bout " + std::to_string(st.int64(0)) + " (" + std::to_string(st.int64(1)) + ".." +
                    std::to_string(st.int64(2)) + ")");
  }

  VideoRecord read_video(const Statement& st) const {
    VideoRecord v;
    v.id = st.int64(0);
    const std::string stored = st.text(1);
    v.path = fs::path(stored).is_absolute() ? fs::path(stored) : dir / stored;
    v.hash = st.text(2);
    v.fps = st.real(3);
    v.width = static_cast<int>(st.int64(4));
    v.height = static_cast<int>(st.int64(5));
    v.n_frames = st.int64(6);
    v.duration_s = st.real(7);
    v.key_frames = json::parse(st.text(8)).get<std::vector<FrameIndex>>();
    if (!st.is_null(9)) v.source_video_id = st.int64(9);
    v.options_json = st.text(10);
    std::error_code ec;
    v.missing = !fs::exists(v.path, ec);
    return v;
  }
};

Project::Project(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Project::Project(Project&&) noexcept = default;
Project& Project::operator=(Project&&) noexcept = default;
Project::~Project() = default;

Project Project::create(const fs::path& dir, const ProjectOptions& options) {
  options.validate();
  const fs::path db_path = dir / kDatabaseName;
  if (fs::exists(db_path)) throw_invalid("project " + bt::quoted(dir.string()) + ": already holds a project (" + kDatabaseName + ")");
  std::error_code ec;
  fs::create_directories(dir, ec);
  for (const char* sub : {"media/frames", "media/videos", "models", "runs"}) fs::create_directories(dir / sub, ec);
  if (ec) throw_io("project " + bt::quoted(dir.string()) + ": cannot create folders: " + ec.message());
  // Build the database under a temporary name so a crash never leaves a half-made project.
  const fs::path tmp = dir / (std::string(".") + kDatabaseName + ".creating");
  fs::remove(tmp, ec);
  {
    Database db(tmp, true);
    db.exec("PRAGMA journal_mode=DELETE");
    Transaction tx(db);
    apply_migrations(db, 0, kSchemaVersion);
    Statement st(db.handle(), "INSERT INTO meta (key, value) VALUES (?, ?)");
    const std::pair<std::string, std::string> rows[] = {
        {"skeleton", skeleton_to_json(options.skeleton).dump()},
        {"behaviors", json(options.behaviors).dump()},
        {"expected_animals", std::to_string(options.expected_animals)},
        {"format", "behavtrack.project"}};
    for (const auto& [k, v] : rows) {
      st.reset();
      st.bind(1, k).bind(2, v).run();
    }
    tx.commit();
  }
  fs::rename(tmp, db_path, ec);
  if (ec) throw_io("project " + bt::quoted(dir.string()) + ": cannot create " + kDatabaseName + ": " + ec.message());
  return open(dir);
}

Project Project::open(const fs::path& dir) {
  const fs::path db_path = dir / kDatabaseName;
  if (!fs::exists(db_path))
    throw_not_found("project " + bt::quoted(dir.string()) + ": no " + kDatabaseName + "; create one with `behavtrack project init`");
  auto impl = std::make_unique<Impl>();
  impl->dir = fs::absolute(dir).lexically_normal();
  if (impl->dir.has_filename() == false) impl->dir = impl->dir.parent_path();
  impl->db = std::make_unique<Database>(db_path, false);
  configure_connection(*impl->db);
  const int version = schema_version(*impl->db);
  check_schema_version(dir, version);
  impl->load_meta();
  return Project(std::move(impl));
}

int Project::migrate(const fs::path& dir) { return migrate_project(dir); }

const fs::path& Project::dir() const { return impl_->dir; }
const Skeleton& Project::skeleton() const { return impl_->skeleton; }
const std::vector<std::string>& Project::behaviors() const { return impl_->behaviors; }
int Project::expected_animals() const { return impl_->expected_animals; }

fs::path Project::resolve(const std::string& stored) const {
  const fs::path p(stored);
  return p.is_absolute() ? p : impl_->dir / p;
}

std::string Project::to_stored_path(const fs::path& path) const {
  const fs::path abs = fs::weakly_canonical(fs::absolute(path));
  const fs::path root = fs::weakly_canonical(impl_->dir);
  const fs::path rel = abs.lexically_relative(root);
  if (!rel.empty() && *rel.begin() != "..") return rel.generic_string();
  return abs.string();
}

void Project::transaction(const std::function<void()>& body) {
  Transaction tx(*impl_->db);
  body();
  tx.commit();
}

// ---- videos ----

VideoId Project::add_video(const VideoRecord& v) {
  if (v.hash.empty()) throw_invalid("video " + bt::quoted(v.path.string()) + ": content hash missing");
  Transaction tx(*impl_->db);
  if (auto existing = find_video_by_hash(v.hash)) {
    tx.commit();
    return existing->id;
  }
  Statement st(impl_->db->handle(),
               std::string("INSERT INTO videos (path, hash, fps, width, height, n_frames, duration_s, key_frames, "
                           "source_video_id, options_json, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,") + kNow + ")");
  st.bind(1, to_stored_path(v.path)).bind(2, v.hash).bind(3, v.fps).bind(4, v.width).bind(5, v.height);
  st.bind(6, v.n_frames).bind(7, v.duration_s).bind(8, json(v.key_frames).dump());
  st.bind(9, v.source_video_id).bind(10, v.options_json);
  st.run();
  const VideoId id = impl_->db->last_insert_id();
  tx.commit();
  return id;
}

namespace {
const char* kVideoColumns =
    "id, path, hash, fps, width, height, n_frames, duration_s, key_frames, source_video_id, options_json";
}

std::vector<VideoRecord> Project::list_videos() const {
  Statement st(impl_->db->handle(), std::string("SELECT ") + kVideoColumns + " FROM videos ORDER BY id");
  std::vector<VideoRecord> out;
  while (st.step()) out.push_back(impl_->read_video(st));
  return out;
}

VideoRecord Project::get_video(VideoId id) const {
  Statement st(impl_->db->handle(), std::string("SELECT ") + kVideoColumns + " FROM videos WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) throw_not_found("video " + std::to_string(id) + ": no such video in the project");
  return impl_->read_video(st);
}

std::optional<VideoRecord> Project::find_video_by_hash(const std::string& hash) const {
  Statement st(impl_->db->handle(), std::string("SELECT ") + kVideoColumns + " FROM videos WHERE hash = ?");
  st.bind(1, hash);
  if (!st.step()) return std::nullopt;
  return impl_->read_video(st);
}

void Project::relink_video(VideoId id, const fs::path& new_path) {
  const VideoRecord v = get_video(id);
  const std::string hash = content_hash(new_path);
  if (hash != v.hash)
    throw_invalid("video " + bt::quoted(new_path.string()) + ": content differs from registered video " + std::to_string(id) +
                  " (" + bt::quoted(v.path.filename().string()) + ")");
  Transaction tx(*impl_->db);
  Statement st(impl_->db->handle(), "UPDATE videos SET path = ? WHERE id = ?");
  st.bind(1, to_stored_path(new_path)).bind(2, id).run();
  tx.commit();
}

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
