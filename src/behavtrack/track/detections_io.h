// Reading detections made elsewhere and writing tracks as tables.
//
//   auto frames = bt::track::read_yolo_pose_folder("labels/", {.width_px = 640, .height_px = 480});
//   bt::track::TracksCsvWriter csv("out/tracks.csv", header);   // atomic, streaming
//   csv.add_frame(frame);  ...  csv.commit();
//
// YOLO pose labels (Ultralytics): one .txt per frame, one line per animal:
// `class xc yc w h` then `x y v` per keypoint (or `x y`), optionally a trailing confidence,
// all coordinates normalised to [0, 1] by the image size. The frame index is the last run
// of digits in the file name, minus `frame_base` (Ultralytics numbers video frames from 1).
// Files that are not .txt are ignored; a malformed line is an error naming file and line.
// tracks.csv: `frame,time_s,id,x1,y1,x2,y2,score,<kp>_x,<kp>_y,<kp>_v,<kp>_score...`
// (shared/DESIGN.md); an absent keypoint has empty x/y cells and v 0.
// Thread safety: reentrant functions; a writer belongs to one thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/instances_json.h"

namespace bt::track {

struct YoloReadOptions {
  int width_px = 0, height_px = 0;  // image size the coordinates are normalised by
  int frame_base = 0;               // number of the first frame in the file names
  Skeleton skeleton = Skeleton::default_mouse();
  void validate() const;
};

std::vector<FrameInstances> read_yolo_pose_folder(const std::filesystem::path& folder,
                                                  const YoloReadOptions& options);
// Parses one label line (exposed for tests); `where` names it in errors.
Instance parse_yolo_pose_line(const std::string& line, const YoloReadOptions& options, const std::string& where);

std::string tracks_csv_header(const Skeleton& skeleton);

class TracksCsvWriter {
 public:
  TracksCsvWriter(const std::filesystem::path& path, const InstancesHeader& header);
  void add_frame(const FrameInstances& frame);
  void finish() { file_.finish(); }  // AtomicFile::finish
  void commit();

 private:
  AtomicFile file_;
  InstancesHeader header_;
};

// Writes a whole tracks file as tracks.csv (atomic).
void write_tracks_csv(const std::filesystem::path& path, const InstancesFile& tracks);

}  // namespace bt::track
