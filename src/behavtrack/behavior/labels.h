// Per-frame behaviour labels per mouse: the plain type every label source feeds (per-frame
// CSV, synth truth, and, wired by the project store, BORIS exports and annotation bouts).
//
//   bt::behavior::LabelSet labels(bt::default_behaviors());
//   labels.set(120, bt::TrackId(2), labels.class_index("rearing"));
//   auto c = labels.find(120, bt::TrackId(2));            // optional class index
//
//   auto csv = bt::behavior::read_labels_csv("labels.csv", behaviors);   // frame,id,behavior
//   auto truth = bt::behavior::labels_from_instances(tracks, behaviors); // Instance::behavior
//   bt::behavior::check_labels_against_tracks(csv, tracks, "labels.csv");
//
// A frame/mouse without a label is unlabelled: it is neither trained on nor scored, unless
// the caller maps unlabelled frames to a class on purpose (`fill_unlabelled`).
// Class indices are positions in `behaviors()`.
// Thread safety: plain value; const methods may be called from several threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "behavtrack/core/instances_json.h"
#include "behavtrack/core/types.h"

namespace bt::behavior {

class LabelSet {
 public:
  LabelSet() = default;
  explicit LabelSet(std::vector<std::string> behaviors);

  const std::vector<std::string>& behaviors() const { return behaviors_; }
  int n_classes() const { return static_cast<int>(behaviors_.size()); }
  // Index of `name` in behaviors(), or -1.
  int class_index(const std::string& name) const;

  void set(FrameIndex frame, TrackId id, int class_index);
  std::optional<int> find(FrameIndex frame, TrackId id) const;
  std::size_t size() const { return labels_.size(); }
  // Every (frame, id) with its class, sorted by id then frame.
  struct Entry {
    FrameIndex frame;
    TrackId id;
    int class_index;
  };
  std::vector<Entry> entries() const;

 private:
  static std::uint64_t key(FrameIndex frame, TrackId id);
  std::vector<std::string> behaviors_;
  std::unordered_map<std::uint64_t, int> labels_;
};

// Reads `frame,id,behavior` (header required; extra columns ignored). Throws bt::Error
// naming the file and line for a malformed row, a negative frame or a behaviour that is
// not in `behaviors`.
LabelSet read_labels_csv(const std::filesystem::path& path, const std::vector<std::string>& behaviors);
// Throws bt::Error naming `source` when no instance of the tracks has an id: behaviour is
// per mouse, so detections must be tracked first.
void require_tracked(const InstancesFile& tracks, const std::string& source);
// Labels from the `behavior` field of tracked instances (synth truth.json); instances
// without an id or a behaviour are unlabelled. Throws for a behaviour not in `behaviors`.
LabelSet labels_from_instances(const InstancesFile& tracks, const std::vector<std::string>& behaviors,
                               const std::string& source_name);
// Throws bt::Error (kInvalidInput) when a label names a mouse id that the tracks never
// contain, or a frame beyond the tracks' last frame.
void check_labels_against_tracks(const LabelSet& labels, const InstancesFile& tracks,
                                 const std::string& labels_name);
// Labels every tracked mouse-frame that has none with `class_index`: for users who say
// "unlabelled means other".
void fill_unlabelled(LabelSet& labels, const InstancesFile& tracks, int class_index);
// One video's tracks (Instances JSON) and labels: from `labels_csv` when given, else from
// the tracks' own `behavior` fields (synth truth.json); checked against each other; when
// `unlabelled_as` is not empty, unlabelled mouse-frames get that behaviour.
struct LoadedVideo {
  InstancesFile tracks;
  LabelSet labels;
};
LoadedVideo load_labelled_video(const std::filesystem::path& tracks_json, const std::filesystem::path& labels_csv,
                                const std::vector<std::string>& behaviors, const std::string& unlabelled_as);
// The same with labels from elsewhere (the project's confirmed bouts): checked against the
// tracks (errors name `labels_name`), then unlabelled_as applied.
LoadedVideo labelled_video(InstancesFile tracks, LabelSet labels, const std::string& labels_name,
                           const std::string& unlabelled_as);
// Writes `frame,id,behavior` sorted by id then frame (atomic).
void write_labels_csv(const std::filesystem::path& path, const LabelSet& labels);

}  // namespace bt::behavior
