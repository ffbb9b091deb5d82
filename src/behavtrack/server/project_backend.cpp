#include "behavtrack/server/project_backend.h"

#include <unordered_map>

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
  return {b.id, b.video_id, b.track.value, b.behavior, b.start_frame, b.end_frame, b.version};
}

project::Bout to_store(const Bout& b) {
  project::Bout out;
  out.id = b.id;
  out.video_id = b.video_id;
  out.track = TrackId(b.track_id);
  out.behavior = b.behavior;
  out.start_frame = b.start_frame;
  out.end_frame = b.end_frame;
  return out;
}

class ProjectBackend : public AnnotationBackend {
 public:
  explicit ProjectBackend(project::Project p) : p_(std::move(p)) {}

  ProjectSummary project() override {
    ProjectSummary s;
    s.name = p_.dir().filename().string();
    if (s.name.empty()) s.name = p_.dir().parent_path().filename().string();
    s.skeleton = p_.skeleton();
    s.behaviors = p_.behaviors();
    s.expected_animals = p_.expected_animals();
    if (p_.latest_cycle())
      for (const auto split : {project::Split::kTest, project::Split::kTrain, project::Split::kVal,
                               project::Split::kPredict, project::Split::kReserve})
        s.splits.push_back(project::to_string(split));
    return s;
  }

  StateCounts counts() override {
    StateCounts c;
    project::FrameQuery q;
    q.limit = 1;
    c.total = p_.list_frames(q).total;
    c.complete = count_state(project::FrameState::kComplete);
    c.predicted = count_state(project::FrameState::kPredicted);
    c.started = count_state(project::FrameState::kStarted);
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
    const project::FramePage page = p_.list_frames(q);
    FramePage out;
    out.total = page.total;
    for (const auto& f : page.frames) out.frames.push_back(row(f));
    return out;
  }

  FrameRow frame(std::int64_t id) override { return row(p_.get_frame_record(id)); }

  std::optional<std::int64_t> next_unconfirmed(std::int64_t after_id) override {
    project::FrameQuery q;
    q.state = project::FrameState::kPredicted;
    return p_.next_incomplete(after_id, q);
  }

  FrameLabels labels(std::int64_t frame_id) override {
    const project::FrameAnnotations a = p_.get_frame(frame_id);
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
    return from_store(p_.put_frame(frame_id, anns, expected_version, kAuthor));
  }

  SaveResult accept_predictions(std::int64_t frame_id, std::int64_t expected_version,
                                std::optional<int> instance_index) override {
    if (instance_index && *instance_index >= static_cast<int>(p_.get_frame(frame_id).instances.size()))
      throw_invalid("instance: frame " + std::to_string(frame_id) + " has no instance " +
                    std::to_string(*instance_index));
    return from_store(p_.accept_predictions(frame_id, expected_version, kAuthor, instance_index));
  }

  std::vector<VideoRow> videos() override {
    std::vector<VideoRow> out;
    for (const auto& v : p_.list_videos())
      out.push_back({v.id, p_.to_stored_path(v.path), v.width, v.height, v.fps, v.n_frames});
    return out;
  }

  fs::path video_file(std::int64_t video_id) override { return p_.get_video(video_id).path; }
  fs::path root() override { return p_.dir(); }

  std::optional<fs::path> frame_image_file(std::int64_t frame_id) override {
    const project::FrameRecord f = p_.get_frame_record(frame_id);
    if (f.image_path.empty()) return std::nullopt;
    const fs::path file = p_.resolve(f.image_path);
    if (!fs::is_regular_file(file)) return std::nullopt;
    return file;
  }

  std::vector<Bout> bouts(std::int64_t video_id) override {
    std::vector<Bout> out;
    for (const auto& b : p_.list_bouts(video_id)) out.push_back(from_store(b));
    return out;
  }

  Bout add_bout(const Bout& bout) override {
    Bout out = bout;
    out.id = p_.add_bout(to_store(bout));
    for (const auto& b : p_.list_bouts(bout.video_id))
      if (b.id == out.id) return from_store(b);
    return out;
  }

  SaveResult update_bout(const Bout& bout, std::int64_t expected_version) override {
    return from_store(p_.update_bout(to_store(bout), expected_version));
  }

  SaveResult delete_bout(std::int64_t bout_id, std::int64_t expected_version) override {
    return from_store(p_.delete_bout(bout_id, expected_version));
  }

 private:
  std::int64_t count_state(project::FrameState state) {
    project::FrameQuery q;
    q.state = state;
    q.limit = 1;
    return p_.list_frames(q).total;
  }

  // The split of each frame in the latest cycle, re-read when a new cycle appears.
  const std::string& split_name(std::int64_t frame_id) {
    static const std::string none;
    const auto cycle = p_.latest_cycle();
    if (cycle != split_cycle_) {
      split_by_frame_.clear();
      if (cycle)
        for (const auto& [id, split] : p_.split_of(*cycle)) split_by_frame_[id] = project::to_string(split);
      split_cycle_ = cycle;
    }
    const auto it = split_by_frame_.find(frame_id);
    return it == split_by_frame_.end() ? none : it->second;
  }

  FrameRow row(const project::FrameRecord& f) {
    return {f.id, f.video_id.value_or(0), f.name, f.frame_index, split_name(f.id), from_store(f.state), f.version};
  }

  project::Project p_;
  std::optional<int> split_cycle_;
  std::unordered_map<std::int64_t, std::string> split_by_frame_;
};

}  // namespace

std::unique_ptr<AnnotationBackend> open_project_backend(const fs::path& dir) {
  return std::make_unique<ProjectBackend>(project::Project::open(dir));
}

}  // namespace bt::server
