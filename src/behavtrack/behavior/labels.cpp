#include "behavtrack/behavior/labels.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <sstream>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/behavior/csv_util.h"

namespace bt::behavior {

LabelSet::LabelSet(std::vector<std::string> behaviors) : behaviors_(std::move(behaviors)) {}

int LabelSet::class_index(const std::string& name) const {
  const auto it = std::find(behaviors_.begin(), behaviors_.end(), name);
  return it == behaviors_.end() ? -1 : static_cast<int>(it - behaviors_.begin());
}

std::uint64_t LabelSet::key(FrameIndex frame, TrackId id) {
  return (static_cast<std::uint64_t>(frame) << 20) ^ static_cast<std::uint32_t>(id.value);
}

void LabelSet::set(FrameIndex frame, TrackId id, int class_index) {
  if (class_index < 0 || class_index >= n_classes())
    throw_internal("labels: class index " + std::to_string(class_index) + " out of range");
  labels_[key(frame, id)] = class_index;
}

std::optional<int> LabelSet::find(FrameIndex frame, TrackId id) const {
  const auto it = labels_.find(key(frame, id));
  if (it == labels_.end()) return std::nullopt;
  return it->second;
}

std::vector<LabelSet::Entry> LabelSet::entries() const {
  std::vector<Entry> out;
  out.reserve(labels_.size());
  for (const auto& [k, c] : labels_) {
    // id occupies the low 20 bits; ids are small positive integers.
    out.push_back({static_cast<FrameIndex>(k >> 20), TrackId(static_cast<int>(k & 0xFFFFF)), c});
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    return a.id.value != b.id.value ? a.id.value < b.id.value : a.frame < b.frame;
  });
  return out;
}

namespace {

int class_or_throw(const LabelSet& labels, const std::string& name, const std::string& where) {
  const int c = labels.class_index(name);
  if (c >= 0) return c;
  std::string list;
  for (const auto& b : labels.behaviors()) list += (list.empty() ? "" : ", ") + b;
  throw_invalid(where + ": behaviour " + quoted(name) + " is not in the behaviour list; known: " + list);
}

}  // namespace

LabelSet read_labels_csv(const std::filesystem::path& path, const std::vector<std::string>& behaviors) {
  LabelSet labels(behaviors);
  const std::string name = quoted(path.string());
  CsvReader csv(path);
  const int c_frame = csv.column("frame"), c_id = csv.column("id"), c_beh = csv.column("behavior");
  while (csv.next()) {
    const std::string where = name + " line " + std::to_string(csv.line_number());
    const long long frame = csv.integer(c_frame, "frame");
    const long long id = csv.integer(c_id, "id");
    if (frame < 0) throw_invalid(where + ": frame " + std::to_string(frame) + " is negative");
    if (id < 1 || id >= (1 << 20)) throw_invalid(where + ": id " + std::to_string(id) + " out of range 1..1048575");
    labels.set(frame, TrackId(static_cast<int>(id)), class_or_throw(labels, csv.field(c_beh), where));
  }
  return labels;
}

void require_tracked(const InstancesFile& tracks, const std::string& source) {
  for (const auto& f : tracks.frames)
    for (const auto& i : f.instances)
      if (i.id) return;
  throw_invalid("tracks " + quoted(source) + ": no instance has an id; run 'behavtrack track' first");
}

LabelSet labels_from_instances(const InstancesFile& tracks, const std::vector<std::string>& behaviors,
                               const std::string& source_name) {
  LabelSet labels(behaviors);
  for (const auto& f : tracks.frames) {
    for (const auto& inst : f.instances) {
      if (!inst.id || inst.behavior.empty()) continue;
      const std::string where = quoted(source_name) + " frame " + std::to_string(f.frame);
      labels.set(f.frame, *inst.id, class_or_throw(labels, inst.behavior, where));
    }
  }
  return labels;
}

void check_labels_against_tracks(const LabelSet& labels, const InstancesFile& tracks,
                                 const std::string& labels_name) {
  std::set<int> ids;
  FrameIndex last = -1;
  for (const auto& f : tracks.frames) {
    last = std::max(last, f.frame);
    for (const auto& inst : f.instances)
      if (inst.id) ids.insert(inst.id->value);
  }
  for (const auto& e : labels.entries()) {
    if (!ids.count(e.id.value)) {
      throw_invalid(quoted(labels_name) + ": frame " + std::to_string(e.frame) + " labels mouse id " +
                    std::to_string(e.id.value) + ", which the tracks " + quoted(tracks.header.video) +
                    " never contain; are these labels for another video?");
    }
    if (e.frame > last) {
      throw_invalid(quoted(labels_name) + ": frame " + std::to_string(e.frame) + " is beyond the tracks' last frame " +
                    std::to_string(last) + "; frame counts do not match");
    }
  }
}

void fill_unlabelled(LabelSet& labels, const InstancesFile& tracks, int class_index) {
  for (const auto& f : tracks.frames)
    for (const auto& inst : f.instances)
      if (inst.id && !labels.find(f.frame, *inst.id)) labels.set(f.frame, *inst.id, class_index);
}

namespace {
void apply_unlabelled_as(LoadedVideo& v, const std::string& unlabelled_as) {
  if (unlabelled_as.empty()) return;
  const int c = v.labels.class_index(unlabelled_as);
  if (c < 0) throw_invalid("unlabelled_as: behaviour " + quoted(unlabelled_as) + " is not in the behaviour list");
  fill_unlabelled(v.labels, v.tracks, c);
}
}  // namespace

LoadedVideo load_labelled_video(const std::filesystem::path& tracks_json, const std::filesystem::path& labels_csv,
                                const std::vector<std::string>& behaviors, const std::string& unlabelled_as) {
  InstancesFile tracks = read_instances_json(tracks_json);
  if (tracks.header.video.empty()) tracks.header.video = tracks_json.filename().string();
  if (labels_csv.empty()) {
    LoadedVideo v{std::move(tracks), {}};
    v.labels = labels_from_instances(v.tracks, behaviors, tracks_json.string());
    apply_unlabelled_as(v, unlabelled_as);
    return v;
  }
  return labelled_video(std::move(tracks), read_labels_csv(labels_csv, behaviors), labels_csv.string(), unlabelled_as);
}

LoadedVideo labelled_video(InstancesFile tracks, LabelSet labels, const std::string& labels_name,
                           const std::string& unlabelled_as) {
  check_labels_against_tracks(labels, tracks, labels_name);
  LoadedVideo v{std::move(tracks), std::move(labels)};
  apply_unlabelled_as(v, unlabelled_as);
  return v;
}

void write_labels_csv(const std::filesystem::path& path, const LabelSet& labels) {
  AtomicFile out(path);
  out.stream() << "frame,id,behavior\n";
  for (const auto& e : labels.entries())
    out.stream() << e.frame << ',' << e.id.value << ',' << labels.behaviors()[e.class_index] << '\n';
  out.commit();
}

}  // namespace bt::behavior
