#include "behavtrack/core/instances_json.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"

namespace bt {
namespace {

using json = nlohmann::json;
constexpr const char* kFormat = "behavtrack.instances/1";

// Reads fields of one JSON document and reports the first bad one with its path.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& where, const std::string& problem) const {
    throw_invalid(quoted(source_) + ": " + where + ": " + problem);
  }

  double number(const json& j, const std::string& where) const {
    if (!j.is_number()) fail(where, "expected a number, got " + std::string(j.type_name()));
    const double v = j.get<double>();
    if (!std::isfinite(v)) fail(where, "not a finite number");
    return v;
  }

  int integer(const json& j, const std::string& where) const {
    if (!j.is_number_integer()) fail(where, "expected an integer, got " + j.dump());
    return j.get<int>();
  }

  const json& field(const json& obj, const char* key, const std::string& where) const {
    const auto it = obj.find(key);
    if (it == obj.end()) fail(where, std::string("missing field \"") + key + "\"");
    return *it;
  }

  Skeleton skeleton(const json& j) const {
    if (!j.is_object()) fail("skeleton", "expected an object");
    Skeleton s;
    const json& names = field(j, "keypoints", "skeleton");
    if (!names.is_array() || names.empty()) fail("skeleton.keypoints", "expected a non-empty list of names");
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!names[i].is_string()) fail("skeleton.keypoints[" + std::to_string(i) + "]", "expected a name");
      s.keypoints.push_back(names[i].get<std::string>());
    }
    if (j.contains("flip")) {
      const json& flip = j["flip"];
      if (!flip.is_array()) fail("skeleton.flip", "expected a list of indices");
      for (std::size_t i = 0; i < flip.size(); ++i)
        s.flip.push_back(integer(flip[i], "skeleton.flip[" + std::to_string(i) + "]"));
    } else {
      for (int i = 0; i < s.size(); ++i) s.flip.push_back(i);
    }
    if (j.contains("edges")) {
      for (std::size_t i = 0; i < j["edges"].size(); ++i) {
        const json& e = j["edges"][i];
        const std::string where = "skeleton.edges[" + std::to_string(i) + "]";
        if (!e.is_array() || e.size() != 2) fail(where, "expected [a, b]");
        s.edges.emplace_back(integer(e[0], where), integer(e[1], where));
      }
    }
    try {
      s.validate();
    } catch (const Error& e) {
      fail("skeleton", e.what());
    }
    return s;
  }

  Instance instance(const json& j, const std::string& where, int n_keypoints) const {
    if (!j.is_object()) fail(where, "expected an object");
    Instance inst;
    const json& bbox = field(j, "bbox", where);
    if (!bbox.is_array() || bbox.size() != 4) fail(where + ".bbox", "expected 4 numbers [x1, y1, x2, y2]");
    inst.box = {number(bbox[0], where + ".bbox[0]"), number(bbox[1], where + ".bbox[1]"),
                number(bbox[2], where + ".bbox[2]"), number(bbox[3], where + ".bbox[3]")};
    if (!(inst.box.x2 >= inst.box.x1 && inst.box.y2 >= inst.box.y1))
      fail(where + ".bbox", "x2 < x1 or y2 < y1");
    const json& kps = field(j, "keypoints", where);
    if (!kps.is_array() || static_cast<int>(kps.size()) != n_keypoints)
      fail(where + ".keypoints", "expected " + std::to_string(n_keypoints) +
                                     " keypoints (the skeleton's), got " +
                                     (kps.is_array() ? std::to_string(kps.size()) : kps.type_name()));
    for (std::size_t k = 0; k < kps.size(); ++k) {
      const std::string kw = where + ".keypoints[" + std::to_string(k) + "]";
      if (!kps[k].is_array() || kps[k].size() != 3) fail(kw, "expected [x, y, v]");
      Keypoint kp{number(kps[k][0], kw + "[0]"), number(kps[k][1], kw + "[1]"), Visibility::kAbsent};
      const int v = integer(kps[k][2], kw + "[2]");
      if (v < 0 || v > 2) fail(kw + "[2]", "visibility must be 0, 1 or 2, got " + std::to_string(v));
      kp.v = static_cast<Visibility>(v);
      inst.keypoints.push_back(kp);
    }
    if (j.contains("score")) inst.score = static_cast<float>(number(j["score"], where + ".score"));
    if (j.contains("keypoint_scores") && !j["keypoint_scores"].is_null()) {
      const json& ks = j["keypoint_scores"];
      if (!ks.is_array() || static_cast<int>(ks.size()) != n_keypoints)
        fail(where + ".keypoint_scores", "expected " + std::to_string(n_keypoints) + " numbers");
      for (std::size_t k = 0; k < ks.size(); ++k)
        inst.keypoint_scores.push_back(
            static_cast<float>(number(ks[k], where + ".keypoint_scores[" + std::to_string(k) + "]")));
    }
    if (j.contains("id") && !j["id"].is_null()) {
      const int id = integer(j["id"], where + ".id");
      if (id < 0) fail(where + ".id", "track ids are >= 0");
      inst.id = TrackId(id);
    }
    if (j.contains("behavior") && !j["behavior"].is_null()) {
      if (!j["behavior"].is_string()) fail(where + ".behavior", "expected a behaviour name");
      inst.behavior = j["behavior"].get<std::string>();
    }
    return inst;
  }

 private:
  std::string source_;
};

json header_json(const InstancesHeader& h) {
  json skel = {{"keypoints", h.skeleton.keypoints}, {"flip", h.skeleton.flip}};
  json edges = json::array();
  for (const auto& [a, b] : h.skeleton.edges) edges.push_back({a, b});
  skel["edges"] = edges;
  return {{"format", kFormat}, {"video", h.video}, {"fps", h.fps},
          {"width", h.width},  {"height", h.height}, {"skeleton", skel}};
}

json instance_json(const Instance& inst) {
  json j;
  if (inst.id) j["id"] = inst.id->value;
  j["score"] = inst.score;
  j["bbox"] = {inst.box.x1, inst.box.y1, inst.box.x2, inst.box.y2};
  json kps = json::array();
  for (const Keypoint& k : inst.keypoints) kps.push_back({k.x, k.y, to_int(k.v)});
  j["keypoints"] = kps;
  if (!inst.keypoint_scores.empty()) j["keypoint_scores"] = inst.keypoint_scores;
  if (!inst.behavior.empty()) j["behavior"] = inst.behavior;
  return j;
}

json frame_json(const FrameInstances& f) {
  json inst = json::array();
  for (const Instance& i : f.instances) inst.push_back(instance_json(i));
  return {{"frame", f.frame}, {"instances", inst}};
}

}  // namespace

InstancesFile parse_instances_json(const std::string& text, const std::string& source_name) {
  Reader r(source_name);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line L, column C: ...";
    // keep the part a person can act on.
    std::string detail = e.what();
    const auto pos = detail.find("] ");
    if (pos != std::string::npos) detail = detail.substr(pos + 2);
    throw_invalid(quoted(source_name) + ": not valid JSON: " + detail);
  }
  if (!doc.is_object()) r.fail("top level", "expected an object");
  const json& format = r.field(doc, "format", "top level");
  if (!format.is_string() || format.get<std::string>() != kFormat)
    r.fail("format", std::string("expected \"") + kFormat + "\", got " + format.dump());

  InstancesFile out;
  InstancesHeader& h = out.header;
  if (doc.contains("video") && doc["video"].is_string()) h.video = doc["video"].get<std::string>();
  if (doc.contains("fps") && !doc["fps"].is_null()) h.fps = r.number(doc["fps"], "fps");
  if (doc.contains("width")) h.width = r.integer(doc["width"], "width");
  if (doc.contains("height")) h.height = r.integer(doc["height"], "height");
  if (h.fps < 0 || h.width < 0 || h.height < 0) r.fail("fps/width/height", "must not be negative");
  if (doc.contains("skeleton")) h.skeleton = r.skeleton(doc["skeleton"]);

  const json& frames = r.field(doc, "frames", "top level");
  if (!frames.is_array()) r.fail("frames", "expected a list");
  out.frames.reserve(frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const std::string where = "frames[" + std::to_string(i) + "]";
    const json& f = frames[i];
    if (!f.is_object()) r.fail(where, "expected an object");
    FrameInstances fi;
    const json& idx = r.field(f, "frame", where);
    if (!idx.is_number_integer() || idx.get<long long>() < 0)
      r.fail(where + ".frame", "expected a frame index >= 0, got " + idx.dump());
    fi.frame = idx.get<FrameIndex>();
    if (!out.frames.empty() && fi.frame <= out.frames.back().frame)
      r.fail(where + ".frame", "frames must be in increasing order without repeats (frame " +
                                   std::to_string(fi.frame) + " after " +
                                   std::to_string(out.frames.back().frame) + ")");
    const json& insts = r.field(f, "instances", where);
    if (!insts.is_array()) r.fail(where + ".instances", "expected a list");
    for (std::size_t k = 0; k < insts.size(); ++k)
      fi.instances.push_back(
          r.instance(insts[k], where + ".instances[" + std::to_string(k) + "]", h.skeleton.size()));
    out.frames.push_back(std::move(fi));
  }
  return out;
}

InstancesFile read_instances_json(const std::filesystem::path& path) {
  return parse_instances_json(read_file(path), path.string());
}

std::string to_instances_json(const InstancesFile& file) {
  json doc = header_json(file.header);
  json frames = json::array();
  for (const FrameInstances& f : file.frames) frames.push_back(frame_json(f));
  doc["frames"] = frames;
  return doc.dump(1) + "\n";
}

void write_instances_json(const std::filesystem::path& path, const InstancesFile& file) {
  write_file_atomically(path, to_instances_json(file));
}

struct InstancesJsonWriter::State {
  explicit State(const std::filesystem::path& p) : out(p) {}
  AtomicFile out;
  bool first = true;
  FrameIndex last = -1;
};

InstancesJsonWriter::InstancesJsonWriter(const std::filesystem::path& path,
                                         const InstancesHeader& header)
    : state_(std::make_unique<State>(path)) {
  // The header object without its closing brace, then the frames list streamed.
  std::string head = header_json(header).dump();
  head.pop_back();
  state_->out.stream() << head << ",\"frames\":[\n";
}

InstancesJsonWriter::~InstancesJsonWriter() = default;

void InstancesJsonWriter::add_frame(const FrameInstances& frame) {
  if (frame.frame <= state_->last)
    throw_internal("instances writer: frame " + std::to_string(frame.frame) + " after " +
                   std::to_string(state_->last));
  state_->last = frame.frame;
  state_->out.stream() << (state_->first ? "" : ",\n") << frame_json(frame).dump();
  state_->first = false;
}

void InstancesJsonWriter::commit() {
  state_->out.stream() << "\n]}\n";
  state_->out.commit();
}

}  // namespace bt
