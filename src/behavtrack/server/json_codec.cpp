#include "behavtrack/server/json_codec.h"

#include <algorithm>
#include <cmath>

#include "behavtrack/core/error.h"

namespace bt::server {
using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& problem) {
  throw_invalid(where + ": " + problem);
}

double require_finite(const json& value, const std::string& where) {
  if (!value.is_number()) bad(where, "expected a number");
  const double x = value.get<double>();
  if (!std::isfinite(x)) bad(where, "expected a finite number");
  return x;
}

Box parse_box(const json& value, const std::string& where) {
  if (!value.is_array() || value.size() != 4) bad(where, "expected [x1, y1, x2, y2]");
  Box b{require_finite(value[0], where + "[0]"), require_finite(value[1], where + "[1]"),
        require_finite(value[2], where + "[2]"), require_finite(value[3], where + "[3]")};
  if (!b.valid()) bad(where, "expected x2 > x1 and y2 > y1");
  return b;
}

Keypoint parse_keypoint(const json& value, const std::string& where) {
  if (!value.is_array() || value.size() != 3 || !value[2].is_number_integer())
    bad(where, "expected [x, y, v] with v in 0, 1, 2");
  const int v = value[2].get<int>();
  if (v < 0 || v > 2) bad(where, "expected [x, y, v] with v in 0, 1, 2");
  return {require_finite(value[0], where + "[0]"), require_finite(value[1], where + "[1]"),
          static_cast<Visibility>(v)};
}

// `where`: the path of `object` in the body; empty for the body itself.
bool optional_bool(const json& object, const std::string& key, bool fallback,
                   const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) return fallback;
  if (!it->is_boolean()) bad(where.empty() ? key : where + "." + key, "expected true or false");
  return it->get<bool>();
}

LabeledInstance parse_instance(const json& value, int n_keypoints, const std::string& where) {
  if (!value.is_object()) bad(where, "expected an object");
  LabeledInstance out;
  out.instance.box = parse_box(require_field(value, "bbox", where), where + ".bbox");
  const json& kps = require_field(value, "keypoints", where);
  if (!kps.is_array() || static_cast<int>(kps.size()) != n_keypoints)
    bad(where + ".keypoints", "expected " + std::to_string(n_keypoints) +
                                  " keypoints (the project's skeleton)");
  for (std::size_t k = 0; k < kps.size(); ++k)
    out.instance.keypoints.push_back(
        parse_keypoint(kps[k], where + ".keypoints[" + std::to_string(k) + "]"));
  if (const auto id = value.find("id"); id != value.end() && !id->is_null()) {
    if (!id->is_number_integer() || id->get<std::int64_t>() < 1)
      bad(where + ".id", "expected a track id >= 1 or null");
    out.instance.id = TrackId(id->get<int>());
  }
  if (const auto score = value.find("score"); score != value.end()) {
    const double s = require_finite(*score, where + ".score");
    if (!(s >= 0 && s <= 1)) bad(where + ".score", "expected a number in [0, 1]");
    out.instance.score = static_cast<float>(s);
  }
  out.predicted = optional_bool(value, "predicted", false, where);
  out.confirmed = optional_bool(value, "confirmed", true, where);
  return out;
}

}  // namespace

json parse_body(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw_invalid("request body: not JSON (" + json_error_text(e) + ")");
  }
}

const json& require_field(const json& object, const std::string& key, const std::string& where) {
  if (!object.is_object()) bad(where, "expected a JSON object");
  const auto it = object.find(key);
  if (it == object.end()) bad(where, "missing field '" + key + "'");
  return *it;
}

std::int64_t require_int(const json& object, const std::string& key, const std::string& where) {
  const json& v = require_field(object, key, where);
  if (!v.is_number_integer()) bad(where + "." + key, "expected an integer");
  return v.get<std::int64_t>();
}

std::string require_string(const json& object, const std::string& key, const std::string& where) {
  const json& v = require_field(object, key, where);
  if (!v.is_string()) bad(where + "." + key, "expected a string");
  return v.get<std::string>();
}

std::vector<LabeledInstance> parse_instances(const json& body, int n_keypoints) {
  const json& list = require_field(body, "instances");
  if (!list.is_array()) bad("instances", "expected an array");
  std::vector<LabeledInstance> out;
  for (std::size_t i = 0; i < list.size(); ++i)
    out.push_back(parse_instance(list[i], n_keypoints, "instances[" + std::to_string(i) + "]"));
  return out;
}

Bout parse_bout(const json& body, std::int64_t video_id, const std::vector<std::string>& behaviors) {
  Bout b;
  b.video_id = video_id;
  const std::int64_t track = require_int(body, "track_id");
  if (track < 1 || track > 1000000) bad("track_id", "expected an id >= 1");
  b.track_id = static_cast<int>(track);
  b.behavior = require_string(body, "behavior");
  if (std::find(behaviors.begin(), behaviors.end(), b.behavior) == behaviors.end())
    bad("behavior", bt::quoted(b.behavior) + " is not one of the project's behaviours");
  b.start_frame = require_int(body, "start_frame");
  b.end_frame = require_int(body, "end_frame");
  if (b.start_frame < 0) bad("start_frame", "expected >= 0");
  if (b.end_frame < b.start_frame) bad("end_frame", "expected >= start_frame");
  // A bout a person sends is confirmed unless it says otherwise (as instances).
  b.predicted = optional_bool(body, "predicted", false, "");
  b.confirmed = optional_bool(body, "confirmed", true, "");
  return b;
}

std::vector<BoutVersion> parse_bout_versions(const json& body) {
  const json& list = require_field(body, "bouts");
  if (!list.is_array() || list.empty()) bad("bouts", "expected a non-empty array of {id, version}");
  std::vector<BoutVersion> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string where = "bouts[" + std::to_string(i) + "]";
    const std::int64_t id = require_int(list[i], "id", where);
    const std::int64_t version = require_int(list[i], "version", where);
    if (id < 1) bad(where + ".id", "expected a bout id >= 1");
    if (version < 0) bad(where + ".version", "expected >= 0");
    out.push_back({id, version});
  }
  return out;
}

json to_json(const LabeledInstance& li) {
  const Instance& in = li.instance;
  json kps = json::array();
  for (const Keypoint& k : in.keypoints) kps.push_back({k.x, k.y, to_int(k.v)});
  return {{"id", in.id ? json(in.id->value) : json(nullptr)},
          {"bbox", {in.box.x1, in.box.y1, in.box.x2, in.box.y2}},
          {"keypoints", kps},
          {"score", in.score},
          {"predicted", li.predicted},
          {"confirmed", li.confirmed}};
}

json to_json(const FrameLabels& labels) {
  json list = json::array();
  for (const auto& li : labels.instances) list.push_back(to_json(li));
  return {{"frame_id", labels.frame_id}, {"version", labels.version}, {"instances", list}};
}

json to_json(const FrameRow& f) {
  return {{"id", f.id},         {"video_id", f.video_id}, {"name", f.name},
          {"frame_index", f.frame_index}, {"split", f.split},
          {"state", to_string(f.state)},  {"version", f.version}};
}

json to_json(const StateCounts& c) {
  return {{"total", c.total},         {"complete", c.complete}, {"predicted", c.predicted},
          {"started", c.started},     {"empty", c.empty}};
}

json to_json(const ProjectSummary& p) {
  json edges = json::array();
  for (const auto& [a, b] : p.skeleton.edges) edges.push_back({a, b});
  return {{"name", p.name},
          {"skeleton", {{"keypoints", p.skeleton.keypoints}, {"flip", p.skeleton.flip},
                        {"edges", edges}}},
          {"behaviors", p.behaviors},
          {"expected_animals", p.expected_animals},
          {"splits", p.splits}};
}

json to_json(const VideoRow& v) {
  return {{"id", v.id},         {"path", v.path}, {"width", v.width}, {"height", v.height},
          {"fps", v.fps},       {"n_frames", v.n_frames}};
}

json to_json(const Bout& b) {
  return {{"id", b.id},       {"video_id", b.video_id},       {"track_id", b.track_id},
          {"behavior", b.behavior}, {"start_frame", b.start_frame}, {"end_frame", b.end_frame},
          {"version", b.version}, {"predicted", b.predicted}, {"confirmed", b.confirmed}};
}

json tracks_summary_json(const VideoTracks& t) {
  return {{"file", t.file.filename().string()},
          {"ids", t.ids},
          {"first_frame", t.first_frame()},
          {"last_frame", t.last_frame()},
          {"n_instances", t.n_instances}};
}

json tracked_frame_json(const FrameInstances& frame) {
  json list = json::array();
  for (const Instance& in : frame.instances) {
    json kps = json::array();
    for (const Keypoint& k : in.keypoints) kps.push_back({k.x, k.y, to_int(k.v)});
    list.push_back({{"id", in.id ? json(in.id->value) : json(nullptr)},
                    {"bbox", {in.box.x1, in.box.y1, in.box.x2, in.box.y2}},
                    {"keypoints", kps},
                    {"score", in.score}});
  }
  return {{"frame", frame.frame}, {"instances", list}};
}

}  // namespace bt::server
