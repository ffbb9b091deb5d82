// Instances JSON ("behavtrack.instances/1", shared/DESIGN.md): detections, predictions,
// tracks and synthetic ground truth, per frame.
//
//   bt::InstancesFile f = bt::read_instances_json("tracks.json");
//   bt::write_instances_json("out.json", f);               // atomic
//
//   bt::InstancesJsonWriter w("big.json", header);          // streaming, flat memory
//   for (...) w.add_frame(frame_instances);
//   w.commit();                                             // atomic rename at the end
//
// Reading validates every field and throws bt::Error (kInvalidInput) with a message that
// names the file and the field, e.g. `'a.json': frames[3].instances[0].bbox: expected 4 numbers`.
// Keypoints must match the skeleton's length; coordinates must be finite.
// Optional per-instance fields: "id" (int or null), "score", "keypoint_scores", "behavior".
// Thread safety: functions are reentrant; a writer belongs to one thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt {

struct InstancesHeader {
  std::string video;  // file name or path of the video the frames come from
  double fps = 0;     // 0 when unknown
  int width = 0, height = 0;
  Skeleton skeleton = Skeleton::default_mouse();
};

struct InstancesFile {
  InstancesHeader header;
  std::vector<FrameInstances> frames;  // sorted by frame, each frame at most once
};

InstancesFile read_instances_json(const std::filesystem::path& path);
InstancesFile parse_instances_json(const std::string& text, const std::string& source_name);
std::string to_instances_json(const InstancesFile& file);
void write_instances_json(const std::filesystem::path& path, const InstancesFile& file);

class InstancesJsonWriter {
 public:
  InstancesJsonWriter(const std::filesystem::path& path, const InstancesHeader& header);
  ~InstancesJsonWriter();
  void add_frame(const FrameInstances& frame);
  void commit();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bt
