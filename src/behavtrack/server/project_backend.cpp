#include "behavtrack/server/project_backend.h"

#include <mutex>
#include <unordered_map>
#include <vector>

#include "behavtrack/core/error.h"
#include "behavtrack/project/project.h"

namespace bt::server {
namespace fs = std::filesystem;

namespace {

constexpr const char* kAuthor = "annotate";

FrameState from_store(project::FrameState s) {
  switch (s) {
    case project::FrameState::kComplete: return FrameState::kComplete;
    case project::FrameState::kPredicted: return FrameState::kPredicted;
    case project::FrameState::kStarted: return FrameState::kStarted;
    case project::FrameState::kEmpty: return FrameState::kEmpty;
  }
  return FrameState::kEmpty;
}

project::FrameState to_store(FrameState s) {
  switch (s) {
    case FrameState::kComplete: return project::FrameState::kComplete;
    case FrameState::kPredicted: return project::FrameState::kPredicted;
    case FrameState::kStarted: return project::FrameState::kStarted;
    case FrameState::kEmpty: return project::FrameState::kEmpty;
  }
  return project::FrameState::kEmpty;
}

SaveResult from_store(const project::PutResult& r) {
  return {r.status == project::PutStatus::kConflict ? SaveOutcome::kConflict : SaveOutcome::kSaved,
          r.version};
}

Bout from_store(const project::Bout& b) {
  return {b.id,      b.video_id, b.track.value, b.behavior, b.start_frame, b.end_frame,
          b.version, b.source == project::Source::kPredicted, b.confirmed};
}

project::Bout to_store(const Bout& b) {
  project::Bout out;
  out.id = b.id;
  out.video_id = b.video_id;
  out.track = TrackId(b.track_id);
  out.behavior = b.behavior;
  out.start_frame = b.start_frame;
  out.end_frame = b.end_frame;
  out.source = b.predicted ? project::Source::kPredicted : project::Source::kManual;
  out.confirmed = b.confirmed;
  return out;
}

// One SQLite connection per concurrent request (the store allows a Project per thread):
// WAL readers never block each other, so a slow count does not hold up a frame switch.
class ConnectionPool {
 public:
  explicit ConnectionPool(fs::path dir) : dir_(std::move(dir)) { idle_.push_back(std::make_unique<project::Project>(project::Project::open(dir_))); }

  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<project::Project> p) : pool_(pool), p_(std::move(p)) {}
    ~Lease() { pool_.give_back(std::move(p_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    project::Project* operator->() { return p_.get(); }
    project::Project& operator*() { return *p_; }

   private:
    ConnectionPool& pool_;
    std::unique_ptr<project::Project> p_;
  };

  Lease lease() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (idle_.empty()) {
      lock.unlock();
      return Lease(*this, std::make_unique<project::Project>(project::Project::open(dir_)));
    }
    auto p = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(p));
  }

 private:
  void give_back(std::unique_ptr<project::Project> p) {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(std::move(p));
  }

  fs::path dir_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<project::Project>> idle_;
};

class ProjectBackend : public AnnotationBackend {
 public:
  explicit ProjectBackend(const fs::path& dir) : pool_(dir) {
    auto p = pool_.lease();
    dir_ = p->dir();
    skeleton_ = p->skeleton();
    behaviors_ = p->behaviors();
    expected_animals_ = p->expected_animals();
  }

  ProjectSummary project() override {
    ProjectSummary s;
    s.name = dir_.filename().string();
    if (s.name.empty()) s.name = dir_.parent_path().filename().string();
    s.skeleton = skeleton_;
    s.behaviors = behaviors_;
    s.expected_animals = expected_animals_;
    if (pool_.lease()->latest_cycle())
      for (const auto split : {project::Split::kTest, project::Split::kTrain, project::Split::kVal,
                               project::Split::kPredict, project::Split::kReserve})
        s.splits.push_back(project::to_string(split));
    return s;
  }

  StateCounts counts() override {
    StateCounts c;
    auto p = pool_.lease();
    project::FrameQuery q;
    q.limit = 1;
    const project::FramePage all = p->list_frames(q);  // gives the complete count too
    c.total = all.total;
    c.complete = all.complete;
    c.predicted = count_state(*p, project::FrameState::kPredicted);
    c.started = count_state(*p, project::FrameState::kStarted);
    c.empty = c.total - c.complete - c.predicted - c.started;
    return c;
  }

  FramePage frames(const FrameFilter& filter) override {
    project::FrameQuery q;
    if (!filter.split.empty()) q.split = project::split_from_string(filter.split);
    if (filter.state) q.state = to_store(*filter.state);
    q.incomplete_first = filter.incomplete_first;
    q.offset = filter.offset;
    q.limit = filter.limit;
    auto p = pool_.lease();
    const project::FramePage page = p->list_frames(q);
    FramePage out;
    out.total = page.total;
    for (const auto& f : page.frames) out.frames.push_back(row(*p, f));
    return out;
  }

  FrameRow frame(std::int64_t id) override {
    auto p = pool_.lease();
    return row(*p, p->get_frame_record(id));
  }

  std::optional<std::int64_t> next_unconfirmed(std::int64_t after_id) override {
    project::FrameQuery q;
    q.state = project::FrameState::kPredicted;
    return pool_.lease()->next_incomplete(after_id, q);
  }

  FrameLabels labels(std::int64_t frame_id) override {
    const project::FrameAnnotations a = pool_.lease()->get_frame(frame_id);
    FrameLabels out{a.frame_id, a.version, {}};
    for (const auto& ann : a.instances)
      out.instances.push_back({ann.instance, ann.source == project::Source::kPredicted, ann.confirmed});
    return out;
  }

  SaveResult save_labels(std::int64_t frame_id, std::int64_t expected_version,
                         const std::vector<LabeledInstance>& instances) override {
    std::vector<project::Annotation> anns;
    for (const auto& li : instances) {
      project::Annotation a;
      a.instance = li.instance;
      a.source = li.predicted ? project::Source::kPredicted : project::Source::kManual;
      a.confirmed = li.confirmed;
      anns.push_back(std::move(a));
    }
    return from_store(pool_.lease()->put_frame(frame_id, anns, expected_version, kAuthor));
  }

  SaveResult accept_predictions(std::int64_t frame_id, std::int64_t expected_version,
                                std::optional<int> instance_index) override {
    auto p = pool_.lease();
    if (instance_index && *instance_index >= static_cast<int>(p->get_frame(frame_id).instances.size()))
      throw_invalid("instance: frame " + std::to_string(frame_id) + " has no instance " +
                    std::to_string(*instance_index));
    return from_store(p->accept_predictions(frame_id, expected_version, kAuthor, instance_index));
  }

  std::vector<VideoRow> videos() override {
    auto p = pool_.lease();
    std::vector<VideoRow> out;
    for (const auto& v : p->list_videos())
      out.push_back({v.id, p->to_stored_path(v.path), v.width, v.height, v.fps, v.n_frames});
    return out;
  }

  fs::path video_file(std::int64_t video_id) override { return pool_.lease()->get_video(video_id).path; }
  fs::path root() override { return dir_; }

  std::optional<fs::path> frame_image_file(std::int64_t frame_id) override {
    auto p = pool_.lease();
    const project::FrameRecord f = p->get_frame_record(frame_id);
    if (f.image_path.empty()) return std::nullopt;
    const fs::path file = p->resolve(f.image_path);
    if (!fs::is_regular_file(file)) return std::nullopt;
    return file;
  }

  std::vector<Bout> bouts(std::int64_t video_id) override {
    std::vector<Bout> out;
    for (const auto& b : pool_.lease()->list_bouts(video_id)) out.push_back(from_store(b));
    return out;
  }

  Bout add_bout(const Bout& bout) override {
    auto p = pool_.lease();
    Bout out = bout;
    out.id = p->add_bout(to_store(bout));
    for (const auto& b : p->list_bouts(bout.video_id))
      if (b.id == out.id) return from_store(b);
    return out;
  }

  SaveResult update_bout(const Bout& bout, std::int64_t expected_version) override {
    return from_store(pool_.lease()->update_bout(to_store(bout), expected_version));
  }

  ConfirmResult confirm_bouts(const std::vector<BoutVersion>& bouts) override {
    std::vector<project::BoutVersion> wanted;
    for (const BoutVersion& b : bouts) wanted.push_back({b.id, b.version});
    const project::ConfirmBoutsResult r = pool_.lease()->confirm_bouts(wanted);
    ConfirmResult out;
    out.outcome = r.status == project::PutStatus::kConflict ? SaveOutcome::kConflict : SaveOutcome::kSaved;
    for (const project::BoutVersion& b : r.bouts) out.bouts.push_back({b.id, b.version});
    return out;
  }

  SaveResult delete_bout(std::int64_t bout_id, std::int64_t expected_version) override {
    return from_store(pool_.lease()->delete_bout(bout_id, expected_version));
  }

 private:
  static std::int64_t count_state(project::Project& p, project::FrameState state) {
    project::FrameQuery q;
    q.state = state;
    q.limit = 1;
    return p.list_frames(q).total;
  }

  // The split of each frame in the latest cycle, re-read when a new cycle appears (the
  // store's frame records do not carry it).
  std::string split_name(project::Project& p, std::int64_t frame_id) {
    const auto cycle = p.latest_cycle();
    std::lock_guard<std::mutex> lock(split_mutex_);
    if (cycle != split_cycle_) {
      split_by_frame_.clear();
      if (cycle)
        for (const auto& [id, split] : p.split_of(*cycle)) split_by_frame_[id] = project::to_string(split);
      split_cycle_ = cycle;
    }
    const auto it = split_by_frame_.find(frame_id);
    return it == split_by_frame_.end() ? std::string() : it->second;
  }

  FrameRow row(project::Project& p, const project::FrameRecord& f) {
    return {f.id, f.video_id.value_or(0), f.name, f.frame_index, split_name(p, f.id), from_store(f.state), f.version};
  }

  ConnectionPool pool_;
  fs::path dir_;
  Skeleton skeleton_;
  std::vector<std::string> behaviors_;
  int expected_animals_ = 0;
  std::mutex split_mutex_;
  std::optional<int> split_cycle_;
  std::unordered_map<std::int64_t, std::string> split_by_frame_;
};

}  // namespace

std::unique_ptr<AnnotationBackend> open_project_backend(const fs::path& dir) {
  return std::make_unique<ProjectBackend>(dir);
}

}  // namespace bt::server
