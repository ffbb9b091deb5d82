#include "behavtrack/project/project.h"

#include <fstream>
#include <set>

#include "behavtrack/core/log.h"
#include "behavtrack/project/project_impl.h"
#include "behavtrack/project/schema.h"

namespace bt::project {

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

Project::Project(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Project::Project(Project&&) noexcept = default;
Project& Project::operator=(Project&&) noexcept = default;
Project::~Project() = default;

namespace {

void check_project_path(const fs::path& dir) {
  if (dir.empty()) throw_invalid("project '': empty path; give the project's folder");
}

const char* const kProjectFolders[] = {"media", "media/frames", "media/videos", "models", "runs"};

// Before anything is made: a file where a project folder goes would fail half-way.
void check_folders_free(const fs::path& dir) {
  auto check = [&dir](const fs::path& path) {
    std::error_code ec;
    if (fs::exists(path, ec) && !fs::is_directory(path, ec))
      throw_io("project " + bt::quoted(dir.string()) + ": cannot create folders: " + bt::quoted(path.string()) +
               " is a file");
  };
  check(dir);
  for (const char* sub : kProjectFolders) check(dir / sub);
}

// The folders and the database of a new project in `dir`.
void make_project_files(const fs::path& dir, const ProjectOptions& options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  for (const char* sub : kProjectFolders) fs::create_directories(dir / sub, ec);
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
  fs::rename(tmp, dir / kDatabaseName, ec);
  if (ec) throw_io("project " + bt::quoted(dir.string()) + ": cannot create " + kDatabaseName + ": " + ec.message());
}

}  // namespace

Project Project::create(const fs::path& dir, const ProjectOptions& options) {
  options.validate();
  check_project_path(dir);
  if (fs::exists(dir / kDatabaseName))
    throw_invalid("project " + bt::quoted(dir.string()) + ": already holds a project (" + kDatabaseName + ")");
  check_folders_free(dir);
  // A failed creation takes away what it made: the whole folder when it was new.
  const bool existed = fs::exists(dir);
  try {
    make_project_files(dir, options);
  } catch (...) {
    std::error_code ec;
    if (!existed) fs::remove_all(dir, ec);
    throw;
  }
  return open(dir);
}

Project Project::open(const fs::path& dir) {
  check_project_path(dir);
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

}  // namespace bt::project
