// The two JSON formats of our own lineage:
// - behavtrack Instances JSON ("behavtrack.instances/1", core/instances_json.h): frames of
//   one video by 0-based decode index; import decodes and caches those frames.
// - BehavTrack's annotation.json: {image file name: [{bbox {x1,y1,x2,y2}, keypoints
//   {name: [x, y, v]}, mAnnotated}]}, with frames_info.json ([{video, frame_index, cluster,
//   image_path}]) beside it. A missing keypoint is absent from the object; mAnnotated
//   false is an unconfirmed prediction. Imported as images (BehavTrack's frames were cut
//   with OpenCV seeking, so the image, not the index, is what was labelled); the cluster
//   becomes the frame's stratum.
#include <map>
#include <nlohmann/json.hpp>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/instances_json.h"
#include "behavtrack/project/labels_internal.h"

namespace bt::project::labels {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

double finite_number(const json& j, const std::string& where) {
  if (!j.is_number() || !std::isfinite(j.get<double>())) throw_invalid(where + ": expected a finite number");
  return j.get<double>();
}

}  // namespace

ImportBatch parse_behavtrack(const Project& p, const ImportOptions& o) {
  InstancesFile file;
  try {
    file = read_instances_json(o.path);
  } catch (const Error& e) {
    throw Error(e.kind(), std::string("behavtrack import: ") + e.what());
  }
  const std::string subject = "behavtrack import: " + file_subject(o.path);
  const std::vector<int> to_project = project_keypoint_indices(p.skeleton(), file.header.skeleton.keypoints, o, subject);
  VideoRecord video;
  if (o.video_id) {
    video = p.get_video(*o.video_id);
  } else {
    const std::string want = fs::path(file.header.video).filename().string();
    bool found = false;
    for (const VideoRecord& v : p.list_videos())
      if (v.path.filename().string() == want && !found) {
        video = v;
        found = true;
      }
    if (!found) throw_not_found(subject + ": video " + bt::quoted(want) + " is not registered; add it with `behavtrack video add` or pass --video ID");
  }
  ImportBatch batch;
  for (const FrameInstances& fi : file.frames) {
    if (fi.frame < 0 || fi.frame >= video.n_frames)
      throw_invalid(subject + ": frame " + std::to_string(fi.frame) + ": outside the video's " +
                    std::to_string(video.n_frames) + " frames");
    ImportedFrame f;
    f.video_id = video.id;
    f.frame_index = fi.frame;
    for (Instance in : fi.instances) {
      in.keypoints = in_project_order(in.keypoints, to_project, p.skeleton().size());
      if (!in.keypoint_scores.empty())
        in.keypoint_scores = in_project_order(in.keypoint_scores, to_project, p.skeleton().size());
      f.instances.push_back(imported(in, o));
    }
    batch.frames.push_back(std::move(f));
  }
  return batch;
}

void write_behavtrack(const Project& p, const std::vector<ExportFrame>& frames, const ExportOptions& o,
                      const fs::path& out) {
  std::optional<VideoId> video_id = o.video_id;
  for (const ExportFrame& f : frames) {
    if (!f.frame.video_id)
      throw_invalid("behavtrack export: frame " + bt::quoted(f.frame.name) +
                    " is an imported image with no video; use --format coco, yolo or dlc");
    if (video_id && *video_id != *f.frame.video_id)
      throw_invalid("behavtrack export: frames of several videos; choose one with --video ID");
    video_id = f.frame.video_id;
  }
  InstancesFile file;
  if (video_id) {
    const VideoRecord v = p.get_video(*video_id);
    file.header.video = v.path.filename().string();
    file.header.fps = v.fps;
    file.header.width = v.width;
    file.header.height = v.height;
  }
  file.header.skeleton = p.skeleton();
  for (const ExportFrame& f : frames) {
    FrameInstances fi;
    fi.frame = f.frame.frame_index;
    for (const Annotation& a : f.instances) fi.instances.push_back(a.instance);
    file.frames.push_back(std::move(fi));
  }
  std::sort(file.frames.begin(), file.frames.end(),
            [](const FrameInstances& a, const FrameInstances& b) { return a.frame < b.frame; });
  write_instances_json(out, file);
}

namespace {

// frames_info.json beside annotation.json, when there: each image's cluster (-1 unknown).
std::map<std::string, int> annotation_clusters(const fs::path& dir) {
  std::map<std::string, int> cluster_of;
  if (!fs::exists(dir / "frames_info.json")) return cluster_of;
  const json info = parse_json_file(dir / "frames_info.json", "behavtrack-annotation");
  const std::string subject = "behavtrack-annotation import: " + file_subject(dir / "frames_info.json");
  if (!info.is_array()) throw_invalid(subject + ": expected a list");
  for (std::size_t i = 0; i < info.size(); ++i) {
    const json& e = info[i];
    const std::string where = subject + " [" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("image_path") || !e["image_path"].is_string())
      throw_invalid(where + ".image_path: expected a string");
    const int cluster = e.contains("cluster") && e["cluster"].is_number_integer() ? e["cluster"].get<int>() : -1;
    cluster_of[fs::path(e["image_path"].get<std::string>()).filename().string()] = cluster;
  }
  return cluster_of;
}

// Every keypoint name the file's instances use, in the order first met: annotation.json
// has no skeleton of its own. Malformed entries are skipped here and refused, with their
// place, when the instances are read.
std::vector<std::string> annotation_keypoint_names(const json& doc) {
  std::vector<std::string> names;
  for (const auto& [image, list] : doc.items()) {
    if (!list.is_array()) continue;
    for (const json& e : list) {
      if (!e.is_object() || !e.contains("keypoints") || !e["keypoints"].is_object()) continue;
      for (const auto& [name, value] : e["keypoints"].items())
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return names;
}

// One {bbox, keypoints, mAnnotated} entry; `to_project[k]` places the file's k-th
// keypoint name (`file_names`) in the project's skeleton (-1: left out).
Annotation annotation_instance(const json& e, const std::vector<std::string>& file_names,
                               const std::vector<int>& to_project, int project_keypoints,
                               const ImportOptions& o, const std::string& where) {
  if (!e.is_object() || !e.contains("bbox") || !e["bbox"].is_object()) throw_invalid(where + ".bbox: expected {x1, y1, x2, y2}");
  Instance in;
  const json& b = e["bbox"];
  for (const char* k : {"x1", "y1", "x2", "y2"})
    if (!b.contains(k)) throw_invalid(where + ".bbox." + k + ": missing");
  in.box = Box{finite_number(b["x1"], where + ".bbox.x1"), finite_number(b["y1"], where + ".bbox.y1"),
               finite_number(b["x2"], where + ".bbox.x2"), finite_number(b["y2"], where + ".bbox.y2")};
  if (!in.box.valid()) throw_invalid(where + ".bbox: x2 > x1 and y2 > y1 required");
  in.keypoints.assign(static_cast<std::size_t>(project_keypoints), Keypoint{});
  if (e.contains("keypoints")) {
    if (!e["keypoints"].is_object()) throw_invalid(where + ".keypoints: expected {name: [x, y, v]}");
    for (const auto& [name, kv] : e["keypoints"].items()) {
      const std::string kw = where + ".keypoints." + name;
      if (!kv.is_array() || kv.size() != 3) throw_invalid(kw + ": expected [x, y, v]");
      const double v = finite_number(kv[2], kw + "[2]");
      if (v != 0 && v != 1 && v != 2) throw_invalid(kw + "[2]: visibility must be 0, 1 or 2");
      const auto k = std::find(file_names.begin(), file_names.end(), name) - file_names.begin();
      const int target = to_project[static_cast<std::size_t>(k)];
      if (v != 0 && target >= 0)
        in.keypoints[static_cast<std::size_t>(target)] =
            Keypoint{finite_number(kv[0], kw + "[0]"), finite_number(kv[1], kw + "[1]"),
                     static_cast<Visibility>(static_cast<int>(v))};
    }
  }
  Annotation a = imported(in, o);
  if (e.contains("mAnnotated") && !e["mAnnotated"].is_boolean()) throw_invalid(where + ".mAnnotated: expected true or false");
  if (e.contains("mAnnotated") && !e["mAnnotated"].get<bool>()) {  // an unconfirmed prediction
    a.confirmed = false;
    a.source = Source::kPredicted;
  }
  return a;
}

}  // namespace

ImportBatch parse_annotation(const Project& p, const ImportOptions& o) {
  const fs::path file = fs::is_directory(o.path) ? o.path / "annotation.json" : o.path;
  const fs::path dir = fs::absolute(file).parent_path();
  const json doc = parse_json_file(file, "behavtrack-annotation");
  const std::string subject = "behavtrack-annotation import: " + file_subject(file);
  if (!doc.is_object()) throw_invalid(subject + ": expected an object {image name: [instances]}");
  const std::map<std::string, int> cluster_of = annotation_clusters(dir);
  const std::vector<std::string> file_names = annotation_keypoint_names(doc);
  const std::vector<int> to_project = project_keypoint_indices(p.skeleton(), file_names, o, subject);
  ImportBatch batch;
  for (const auto& [name, list] : doc.items()) {
    const std::string where = subject + " [" + bt::quoted(name) + "]";
    if (!list.is_array()) throw_invalid(where + ": expected a list of instances");
    ImportedFrame f;
    f.name = fs::path(name).filename().string();
    f.image_source = find_image({dir, dir / "images"}, name, where);
    const auto c = cluster_of.find(f.name);
    if (c != cluster_of.end()) f.stratum = c->second;
    for (std::size_t i = 0; i < list.size(); ++i)
      f.instances.push_back(annotation_instance(list[i], file_names, to_project, p.skeleton().size(), o,
                                                where + "[" + std::to_string(i) + "]"));
    batch.frames.push_back(std::move(f));
  }
  return batch;
}

void write_annotation(const Project& p, const std::vector<ExportFrame>& frames, const ExportOptions& o,
                      const fs::path& out) {
  const Skeleton& sk = p.skeleton();
  json doc = json::object(), info = json::array();
  fs::create_directories(out);
  for (const ExportFrame& f : frames) {
    const std::string name = fs::path(f.file_name).filename().string();
    if (doc.contains(name)) throw_invalid("behavtrack-annotation export: two frames named " + bt::quoted(name));
    copy_image(f.image, out / name);
    json list = json::array();
    for (const Annotation& a : f.instances) {
      const Instance& in = a.instance;
      json kps = json::object();
      for (int k = 0; k < sk.size(); ++k)
        if (in.keypoints[k].present()) kps[sk.keypoints[k]] = {in.keypoints[k].x, in.keypoints[k].y, to_int(in.keypoints[k].v)};
      list.push_back({{"bbox", {{"x1", in.box.x1}, {"y1", in.box.y1}, {"x2", in.box.x2}, {"y2", in.box.y2}}},
                      {"keypoints", kps},
                      {"mAnnotated", a.confirmed}});
    }
    doc[name] = list;
    std::string video;
    if (f.frame.video_id) video = p.get_video(*f.frame.video_id).path.filename().string();
    info.push_back({{"video", video}, {"frame_index", f.frame.frame_index}, {"cluster", f.frame.stratum}, {"image_path", name}});
  }
  write_file_atomically(out / "annotation.json", doc.dump(1));
  write_file_atomically(out / "frames_info.json", info.dump(1));
}

}  // namespace bt::project::labels
