// COCO keypoints JSON: images [{id, file_name, width, height}], annotations [{id,
// image_id, category_id, bbox [x, y, w, h], keypoints [x, y, v, ...], num_keypoints,
// area, iscrowd}] and one category with the keypoint names and skeleton (1-based edges).
// A missing keypoint is 0, 0, 0. Export writes <PATH>/annotations.json and <PATH>/images/.
#include <algorithm>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <nlohmann/json.hpp>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/project/labels_internal.h"

namespace bt::project::labels {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

fs::path coco_json(const fs::path& path) {
  if (!fs::is_directory(path)) return path;
  if (fs::exists(path / "annotations.json")) return path / "annotations.json";
  throw_not_found("coco import: " + bt::quoted(path.string()) + ": no annotations.json in this folder");
}

const json& member(const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) throw_invalid(where + ": missing \"" + key + "\"");
  return j[key];
}

double number(const json& j, const std::string& where) {
  if (!j.is_number()) throw_invalid(where + ": expected a number");
  const double v = j.get<double>();
  if (!std::isfinite(v)) throw_invalid(where + ": expected a finite number");
  return v;
}

// Where each keypoint of the file goes in the project's skeleton (-1: left out), from
// the categories' keypoint names and options.keypoint_map. Categories without names, or
// none at all, mean the project's keypoints in its order.
std::vector<int> coco_keypoint_indices(const Skeleton& sk, const json& cats, const ImportOptions& o,
                                       const std::string& subject) {
  std::optional<std::vector<std::string>> names;
  if (cats.is_array())
    for (std::size_t c = 0; c < cats.size(); ++c) {
      if (!cats[c].contains("keypoints")) continue;
      const json& list = cats[c]["keypoints"];
      const std::string where = subject + " categories[" + std::to_string(c) + "].keypoints";
      if (!list.is_array() || !std::all_of(list.begin(), list.end(), [](const json& n) { return n.is_string(); }))
        throw_invalid(where + ": expected a list of names");
      const auto these = list.get<std::vector<std::string>>();
      if (names && these != *names)
        throw_invalid(where + ": " + list.dump() + " differs from an earlier category's keypoints");
      names = these;
    }
  if (names) return project_keypoint_indices(sk, *names, o, subject);
  if (!o.keypoint_map.empty()) throw_invalid(subject + ": --keypoint-map given, but no category names its keypoints");
  std::vector<int> identity(static_cast<std::size_t>(sk.size()));
  std::iota(identity.begin(), identity.end(), 0);
  return identity;
}

// One annotation's [x, y, v, ...] in the file's keypoint order, as the project's keypoints
// (those the file lacks or the map leaves out are missing).
std::vector<Keypoint> coco_keypoints(const json& kps, const std::vector<int>& to_project, const Skeleton& sk,
                                     const std::string& where) {
  const std::size_t n = to_project.size();
  if (!kps.is_array() || kps.size() != n * 3)
    throw_invalid(where + ".keypoints: expected " + std::to_string(n * 3) + " numbers (" + std::to_string(n) +
                  " keypoints x 3), got " + std::to_string(kps.is_array() ? kps.size() : 0));
  std::vector<Keypoint> out(static_cast<std::size_t>(sk.size()));
  for (std::size_t k = 0; k < n; ++k) {
    if (to_project[k] < 0) continue;
    const std::string kw = where + ".keypoints[" + std::to_string(k * 3) + "] (" + sk.keypoints[to_project[k]] + ")";
    const double x = number(kps[k * 3], kw), y = number(kps[k * 3 + 1], kw);
    const double v = number(kps[k * 3 + 2], kw);
    if (v != 0 && v != 1 && v != 2) throw_invalid(kw + ": visibility must be 0, 1 or 2");
    if (v != 0) out[static_cast<std::size_t>(to_project[k])] = Keypoint{x, y, static_cast<Visibility>(static_cast<int>(v))};
  }
  return out;
}

}  // namespace

json parse_json_file(const fs::path& file, const std::string& format) {
  std::ifstream in(file);
  if (!in) throw_io(format + " import: " + file_subject(file) + ": cannot read");
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw_invalid(format + " import: " + file_subject(file) + ": invalid JSON at byte " + std::to_string(e.byte) +
                  "; is the file truncated?");
  }
}

ImportBatch parse_coco(const Project& p, const ImportOptions& o) {
  const fs::path file = coco_json(o.path);
  const json doc = parse_json_file(file, "coco");
  const std::string subject = "coco import: " + file_subject(file);
  const Skeleton& sk = p.skeleton();
  const std::vector<int> to_project = coco_keypoint_indices(sk, member(doc, "categories", subject), o, subject);
  const json& images = member(doc, "images", subject);
  if (!images.is_array()) throw_invalid(subject + " images: expected a list");
  const fs::path dir = fs::absolute(file).parent_path();
  std::map<long long, std::size_t> by_id;
  ImportBatch batch;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const std::string where = subject + " images[" + std::to_string(i) + "]";
    const json& im = images[i];
    const json& id = member(im, "id", where);
    if (!id.is_number_integer()) throw_invalid(where + ".id: expected an integer");
    const json& fname = member(im, "file_name", where);
    if (!fname.is_string()) throw_invalid(where + ".file_name: expected a string");
    std::string name = fname.get<std::string>();
    ImportedFrame f;
    f.image_source = find_image({dir / "images", dir}, name, where);
    if (name.rfind("images/", 0) == 0) name = name.substr(7);
    f.name = name;
    if (!by_id.emplace(id.get<long long>(), batch.frames.size()).second)
      throw_invalid(where + ".id: " + id.dump() + " appears twice");
    batch.frames.push_back(std::move(f));
  }
  const json& anns = member(doc, "annotations", subject);
  if (!anns.is_array()) throw_invalid(subject + " annotations: expected a list");
  for (std::size_t a = 0; a < anns.size(); ++a) {
    const std::string where = subject + " annotations[" + std::to_string(a) + "]";
    const json& an = anns[a];
    const json& image_id = member(an, "image_id", where);
    if (!image_id.is_number_integer() || !by_id.count(image_id.get<long long>()))
      throw_invalid(where + ".image_id: " + image_id.dump() + " is not one of the images");
    const json& bbox = member(an, "bbox", where);
    if (!bbox.is_array() || bbox.size() != 4) throw_invalid(where + ".bbox: expected 4 numbers [x, y, w, h]");
    Instance in;
    in.box = Box::from_xywh(number(bbox[0], where + ".bbox[0]"), number(bbox[1], where + ".bbox[1]"),
                            number(bbox[2], where + ".bbox[2]"), number(bbox[3], where + ".bbox[3]"));
    if (!in.box.valid()) throw_invalid(where + ".bbox: w and h must be > 0");
    in.keypoints = coco_keypoints(member(an, "keypoints", where), to_project, sk, where);
    if (an.contains("score")) in.score = static_cast<float>(number(an["score"], where + ".score"));
    if (an.contains("track_id") && an["track_id"].is_number_integer()) in.id = TrackId(an["track_id"].get<int>());
    batch.frames[by_id[image_id.get<long long>()]].instances.push_back(imported(in, o));
  }
  return batch;
}

void write_coco(const Project& p, const std::vector<ExportFrame>& frames, const ExportOptions& o, const fs::path& out) {
  const Skeleton& sk = p.skeleton();
  json images = json::array(), anns = json::array();
  long long ann_id = 1;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const ExportFrame& f = frames[i];
    copy_image(f.image, out / "images" / f.file_name);
    images.push_back({{"id", i + 1}, {"file_name", f.file_name}, {"width", f.width}, {"height", f.height}});
    for (const Annotation& a : f.instances) {
      const Instance& in = a.instance;
      json kps = json::array();
      int labelled = 0;
      for (const Keypoint& k : in.keypoints) {
        if (k.present()) {
          kps.insert(kps.end(), {k.x, k.y, to_int(k.v)});
          ++labelled;
        } else {
          kps.insert(kps.end(), {0, 0, 0});
        }
      }
      json an = {{"id", ann_id++},
                 {"image_id", i + 1},
                 {"category_id", 1},
                 {"bbox", {in.box.x1, in.box.y1, in.box.width(), in.box.height()}},
                 {"area", in.box.area()},
                 {"iscrowd", 0},
                 {"keypoints", kps},
                 {"num_keypoints", labelled}};
      if (in.id) an["track_id"] = in.id->value;
      if (!a.confirmed) an["score"] = in.score;
      anns.push_back(std::move(an));
    }
  }
  json edges = json::array();
  for (const auto& [a, b] : sk.edges) edges.push_back({a + 1, b + 1});
  json doc = {{"info", {{"description", "behavtrack export"}}},
              {"images", images},
              {"annotations", anns},
              {"categories", json::array({{{"id", 1},
                                           {"name", o.class_name},
                                           {"supercategory", o.class_name},
                                           {"keypoints", sk.keypoints},
                                           {"skeleton", edges}}})}};
  fs::create_directories(out);
  write_file_atomically(out / "annotations.json", doc.dump(1));
}

}  // namespace bt::project::labels
