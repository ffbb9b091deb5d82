// Import and export of labels in the field's formats (docs/formats.md has every mapping).
//
//   bt::project::ImportOptions in;  in.format = LabelFormat::kDlc;  in.path = "CollectedData_Pranav.csv";
//   ImportSummary s = bt::project::import_labels(project, in, progress);
//   bt::project::ExportOptions out; out.format = LabelFormat::kYolo; out.path = "yolo/";
//   bt::project::export_labels(project, out, progress);
//
// Formats: behavtrack Instances JSON, BehavTrack annotation.json (+ frames_info.json),
// Ultralytics YOLO pose folders (+ data.yaml), COCO keypoints JSON, DeepLabCut CSV (single
// and multi-animal), NumPy .npy arrays (ids, boxes, keypoints) and BORIS tabular events.
// Images an import references are copied into the project's media/frames/ and registered
// as frames; frames of registered videos are decoded frame-exact and cached as PNG.
//
// An import is all or nothing: the files are parsed and checked completely first, then
// written in one transaction; a failure (or a kill) leaves the project as it was. Errors
// name the file, the line or record and the field, e.g.
// `'labels/train/a.txt' line 3: expected 17 values (class, box, 4 keypoints x 3), got 15`.
// Exports write into a temporary sibling and appear whole (atomic rename).
// Coordinates are pixels of the frame image, origin top-left; visibility 0/1/2.
// Thread safety: each call uses the Project given (one thread at a time).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "behavtrack/core/progress.h"
#include "behavtrack/project/project.h"

namespace bt::project {

enum class LabelFormat { kBehavtrack, kBehavtrackAnnotation, kYolo, kCoco, kDlc, kNpy, kBoris };
const char* to_string(LabelFormat f);
// "behavtrack", "behavtrack-annotation", "yolo", "coco", "dlc", "npy", "boris".
LabelFormat label_format_from_string(const std::string& s);

// DeepLabCut labels have no boxes: the box is the keypoints' tight box grown by this many
// pixels on each side, and marked derived.
inline constexpr double kDefaultDerivedBoxMarginPx = 10.0;

struct ImportOptions {
  LabelFormat format = LabelFormat::kBehavtrack;
  std::filesystem::path path;       // file or folder, per format (docs/formats.md)
  std::optional<VideoId> video_id;  // npy, boris, behavtrack: the video the labels belong to
  double derived_box_margin_px = kDefaultDerivedBoxMarginPx;  // dlc, and npy without boxes
  double fps = 0;                   // boris: frames per second (0: the video's)
  double start_offset_s = 0;        // boris: media time of the video's frame 0, seconds
  std::string author = "import";
  bool confirmed = true;            // imported labels count as confirmed manual work
  // dlc, coco, behavtrack, behavtrack-annotation: the file's keypoint name -> the project's ("": leave that keypoint out).
  // Names not listed must be the project's own; every listed name must be in the file.
  std::map<std::string, std::string> keypoint_map;

  void validate() const;  // throws bt::Error naming the field and value
};

// "snout=nose,leftear=earL,tailend=" -> keypoint_map entries (ImportOptions). Throws
// bt::Error (kInvalidInput) naming the entry: no '=', an empty file name, a name twice.
std::map<std::string, std::string> parse_keypoint_map(const std::string& text);

struct ImportSummary {
  std::int64_t frames = 0;     // frames registered or updated
  std::int64_t instances = 0;  // annotations written
  std::int64_t images = 0;     // image files copied into the project
  std::int64_t bouts = 0;      // behaviour bouts written (boris)
};

ImportSummary import_labels(Project& project, const ImportOptions& options, const ProgressCallback& progress);

struct ExportOptions {
  LabelFormat format = LabelFormat::kBehavtrack;
  std::filesystem::path path;       // file or folder, per format; must not exist yet
  std::optional<Split> split;       // only frames of this split (latest cycle)
  std::optional<int> cycle;         // the cycle whose splits to use (default: the latest)
  std::optional<VideoId> video_id;  // npy, boris, behavtrack: the video to export
  bool include_unconfirmed = false; // also export unconfirmed predictions (instances and bouts)
  std::string scorer = "behavtrack";  // dlc: the scorer row
  std::string class_name = "mouse";   // yolo / coco category name

  void validate() const;
};

struct ExportSummary {
  std::int64_t frames = 0;
  std::int64_t instances = 0;
  std::int64_t bouts = 0;
  std::int64_t bouts_unconfirmed_skipped = 0;  // boris: proposals left out (include_unconfirmed off)
};

ExportSummary export_labels(Project& project, const ExportOptions& options, const ProgressCallback& progress);

}  // namespace bt::project
