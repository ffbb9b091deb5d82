// Private to bt_project: the common shape of an import (parsed and checked before anything
// is written) and of an export (frames with their images and instances), and one parser /
// writer pair per format.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/core/types.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "behavtrack/project/labels.h"

namespace bt::project::labels {

// One frame an import registers (an image copied into the project, or a video frame).
struct ImportedFrame {
  std::string name;                   // unique frame name for images, e.g. "m4s1/img0000.png"
  std::filesystem::path image_source; // image to copy; empty for video frames
  std::optional<VideoId> video_id;
  FrameIndex frame_index = 0;
  int stratum = -1;
  bool has_labels = true;             // false: register the frame, leave its labels alone
  std::vector<Annotation> instances;
};

struct ImportBatch {
  std::vector<ImportedFrame> frames;
  std::optional<VideoId> bouts_video;  // set: the video's bouts are replaced by `bouts`
  std::vector<Bout> bouts;
};

// A frame to export: its record, image, size and the instances to write.
struct ExportFrame {
  FrameRecord frame;
  std::filesystem::path image;  // absolute
  int width = 0, height = 0;
  std::optional<Split> split;   // in the chosen cycle
  std::vector<Annotation> instances;
  std::string file_name;        // relative name to write the image under (may hold '/')
};

ImportBatch parse_behavtrack(const Project& p, const ImportOptions& o);
ImportBatch parse_annotation(const Project& p, const ImportOptions& o);
ImportBatch parse_yolo(const Project& p, const ImportOptions& o);
ImportBatch parse_coco(const Project& p, const ImportOptions& o);
ImportBatch parse_dlc(const Project& p, const ImportOptions& o);
ImportBatch parse_npy(const Project& p, const ImportOptions& o);
ImportBatch parse_boris(const Project& p, const ImportOptions& o);

// Writers fill the folder or file at `out` (a temporary path renamed by the caller).
void write_behavtrack(const Project& p, const std::vector<ExportFrame>& frames, const ExportOptions& o,
                      const std::filesystem::path& out);
void write_annotation(const Project& p, const std::vector<ExportFrame>& frames, const ExportOptions& o,
                      const std::filesystem::path& out);
void write_yolo(const Project& p, const std::vector<ExportFrame>& frames, const ExportOptions& o,
                const std::filesystem::path& out);
void write_coco(const Project& p, const std::vector<ExportFrame>& frames, const ExportOptions& o,
                const std::filesystem::path& out);
void write_dlc(const Project& p, const std::vector<ExportFrame>& frames, const ExportOptions& o,
               const std::filesystem::path& out);
void write_npy(const Project& p, const std::vector<ExportFrame>& frames, const ExportOptions& o,
               const std::filesystem::path& out);
// BORIS exports bouts, not frames: writes the video's confirmed bouts (all with
// include_unconfirmed) as tabular events; `skipped` receives the unconfirmed ones left out.
std::int64_t write_boris(const Project& p, const ExportOptions& o, const std::filesystem::path& out,
                         std::int64_t* skipped);

// ---- helpers shared by the formats ----
// Parses a JSON file; a syntax error names the file and the byte offset (kInvalidInput).
nlohmann::json parse_json_file(const std::filesystem::path& file, const std::string& format);
// Strict number parsing: the whole field must be a finite number, else bt::Error
// "<where>: expected a number, got '<text>'".
double parse_number(std::string_view text, const std::string& where);
long long parse_integer(std::string_view text, const std::string& where);
// Splits one CSV/TSV line (double quotes honoured).
std::vector<std::string> split_fields(const std::string& line, char sep);
std::string file_subject(const std::filesystem::path& file);  // "'path'"
// The image of `name` looked for in `dirs` in order; throws kNotFound naming the tries.
std::filesystem::path find_image(const std::vector<std::filesystem::path>& dirs, const std::string& name,
                                 const std::string& where);
// The skeleton's keypoint names, "nose, earL, earR, tailB", for messages.
std::string names_of(const Skeleton& s);
// Where each of a file's keypoints (`file_names`, in the file's order) goes in the
// project's skeleton after options.keypoint_map: its index, or -1 when the map leaves it
// out. Throws kInvalidInput, starting with `subject`, for a name that is not the project's
// (suggesting --keypoint-map), a map entry naming no keypoint of the file, or two of the
// file's keypoints landing on one of the project's.
std::vector<int> project_keypoint_indices(const Skeleton& skeleton, const std::vector<std::string>& file_names,
                                          const ImportOptions& o, const std::string& subject);
// Per-keypoint values of a file (keypoints, keypoint scores; in the file's order) placed in
// the project's skeleton of `project_keypoints` by `to_project` (project_keypoint_indices);
// the project's keypoints the file lacks get T{} (an absent keypoint, a score of 0).
template <typename T>
std::vector<T> in_project_order(const std::vector<T>& file_values, const std::vector<int>& to_project,
                                int project_keypoints) {
  std::vector<T> out(static_cast<std::size_t>(project_keypoints));
  for (std::size_t k = 0; k < file_values.size() && k < to_project.size(); ++k)
    if (to_project[k] >= 0) out[static_cast<std::size_t>(to_project[k])] = file_values[k];
  return out;
}
// An Annotation as imported: manual, confirmed per options.
Annotation imported(const Instance& in, const ImportOptions& o, bool box_derived = false);
// An image's width and height, read from its header (PNG, JPEG) or by decoding it.
cv::Size image_size(const std::filesystem::path& image);
// Copies the image to `dst` (creating folders).
void copy_image(const std::filesystem::path& src, const std::filesystem::path& dst);
// The video a format's labels belong to: options.video_id, else the only video.
VideoRecord target_video(const Project& p, std::optional<VideoId> id, const std::string& format);

}  // namespace bt::project::labels
