// The project store's private parts, shared by the files that implement bt::project::Project
// (project.cpp: lifecycle and videos; project_frames.cpp: frames and annotations;
// project_bouts.cpp; project_cycles.cpp: splits, models and runs): the Impl behind the
// pimpl, and the row conversions they all use. Not part of the library's interface.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "behavtrack/core/error.h"
#include "behavtrack/project/project.h"
#include "behavtrack/project/sqlite_db.h"

namespace bt::project {
namespace fs = std::filesystem;
using json = nlohmann::json;

// SQL for the current time as the store writes it (ISO 8601, UTC, milliseconds).
inline const char* const kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

inline bool finite(double v) { return std::isfinite(v); }

inline json skeleton_to_json(const Skeleton& s) {
  json edges = json::array();
  for (const auto& [a, b] : s.edges) edges.push_back({a, b});
  return {{"keypoints", s.keypoints}, {"flip", s.flip}, {"edges", edges}};
}

inline Skeleton skeleton_from_json(const json& j) {
  Skeleton s;
  s.keypoints = j.at("keypoints").get<std::vector<std::string>>();
  s.flip = j.at("flip").get<std::vector<int>>();
  for (const auto& e : j.at("edges")) s.edges.emplace_back(e.at(0).get<int>(), e.at(1).get<int>());
  return s;
}

inline std::vector<unsigned char> floats_to_blob(const std::vector<float>& v) {
  std::vector<unsigned char> out(v.size() * sizeof(float));
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

inline std::vector<float> blob_to_floats(const std::vector<unsigned char>& b) {
  std::vector<float> out(b.size() / sizeof(float));
  if (!out.empty()) std::memcpy(out.data(), b.data(), out.size() * sizeof(float));
  return out;
}

inline int state_code(FrameState s) { return static_cast<int>(s); }

inline const char* const kFrameColumns =
    "f.id, f.video_id, f.frame_index, f.image_path, f.name, f.stratum, f.feature, f.state, f.version";

inline FrameRecord read_frame_row(const Statement& st) {
  FrameRecord r;
  r.id = st.int64(0);
  if (!st.is_null(1)) r.video_id = st.int64(1);
  r.frame_index = st.int64(2);
  r.image_path = st.text(3);
  r.name = st.text(4);
  r.stratum = static_cast<int>(st.int64(5));
  r.feature = blob_to_floats(st.blob(6));
  r.state = static_cast<FrameState>(st.int64(7));
  r.version = st.int64(8);
  return r;
}

// ---------------------------------------------------------------------------------------
// Project

struct Project::Impl {
  fs::path dir;
  std::unique_ptr<Database> db;
  Skeleton skeleton;
  std::vector<std::string> behaviors;
  int expected_animals = 1;

  std::string meta(const std::string& key) const {
    Statement st(db->handle(), "SELECT value FROM meta WHERE key = ?");
    st.bind(1, key);
    if (!st.step()) throw_invalid("project " + bt::quoted(dir.string()) + ": metadata '" + key + "' missing");
    return st.text(0);
  }

  void load_meta() {
    try {
      skeleton = skeleton_from_json(json::parse(meta("skeleton")));
      behaviors = json::parse(meta("behaviors")).get<std::vector<std::string>>();
      expected_animals = std::stoi(meta("expected_animals"));
    } catch (const json::exception& e) {
      throw_invalid("project " + bt::quoted(dir.string()) + ": metadata unreadable: " + json_error_text(e));
    }
  }

  std::vector<Annotation> load_annotations(FrameId id) const {
    Statement st(db->handle(),
                 "SELECT x1, y1, x2, y2, keypoints, keypoint_scores, score, track_id, behavior, source, "
                 "confirmed, box_derived, author, updated_at FROM annotations WHERE frame_id = ? "
                 "ORDER BY position");
    st.bind(1, id);
    std::vector<Annotation> out;
    while (st.step()) {
      Annotation a;
      Instance& in = a.instance;
      in.box = Box{st.real(0), st.real(1), st.real(2), st.real(3)};
      for (const auto& k : json::parse(st.text(4)))
        in.keypoints.push_back(Keypoint{k.at(0).get<double>(), k.at(1).get<double>(),
                                        static_cast<Visibility>(k.at(2).get<int>())});
      in.keypoint_scores = json::parse(st.text(5)).get<std::vector<float>>();
      in.score = static_cast<float>(st.real(6));
      if (!st.is_null(7)) in.id = TrackId(static_cast<int>(st.int64(7)));
      in.behavior = st.text(8);
      a.source = source_from_string(st.text(9));
      a.confirmed = st.int64(10) != 0;
      a.box_derived = st.int64(11) != 0;
      a.author = st.text(12);
      a.updated_at = st.text(13);
      out.push_back(std::move(a));
    }
    return out;
  }

  // Predictions may carry degenerate boxes or non-finite values (dropped later by
  // prediction_to_annotation); annotations may not.
  void check_instance(const Instance& in, const std::string& where, bool is_prediction = false) const {
    const std::string subject = where + ": ";
    if (static_cast<int>(in.keypoints.size()) != skeleton.size())
      throw_invalid(subject + "expected " + std::to_string(skeleton.size()) + " keypoints (the project's skeleton), got " +
                    std::to_string(in.keypoints.size()));
    if (!in.keypoint_scores.empty() && in.keypoint_scores.size() != in.keypoints.size())
      throw_invalid(subject + "keypoint_scores: expected " + std::to_string(in.keypoints.size()) + " values, got " +
                    std::to_string(in.keypoint_scores.size()));
    if (is_prediction) return;
    if (!finite(in.box.x1) || !finite(in.box.y1) || !finite(in.box.x2) || !finite(in.box.y2))
      throw_invalid(subject + "box: coordinates must be finite numbers");
    if (!in.box.valid()) throw_invalid(subject + "box: x2 > x1 and y2 > y1 required");
    for (std::size_t k = 0; k < in.keypoints.size(); ++k) {
      const Keypoint& kp = in.keypoints[k];
      if (kp.present() && !(finite(kp.x) && finite(kp.y)))
        throw_invalid(subject + "keypoint '" + skeleton.keypoints[k] + "': coordinates must be finite numbers");
      if (to_int(kp.v) < 0 || to_int(kp.v) > 2) throw_invalid(subject + "keypoint visibility must be 0, 1 or 2");
    }
    if (!finite(in.score)) throw_invalid(subject + "score: must be a finite number");
    if (in.id && in.id->value < 1) throw_invalid(subject + "id " + std::to_string(in.id->value) + ": must be >= 1");
    if (!in.behavior.empty() && std::find(behaviors.begin(), behaviors.end(), in.behavior) == behaviors.end())
      throw_invalid(subject + "behavior " + bt::quoted(in.behavior) + ": not one of the project's behaviours");
  }

  // Replaces the annotations of a frame and updates its cached state; the caller holds the
  // transaction and has bumped the version.
  FrameState write_annotations(FrameId id, const std::vector<Annotation>& instances,
                               const std::string* author) {
    Statement del(db->handle(), "DELETE FROM annotations WHERE frame_id = ?");
    del.bind(1, id).run();
    Statement ins(db->handle(),
                  std::string("INSERT INTO annotations (frame_id, position, x1, y1, x2, y2, keypoints, "
                              "keypoint_scores, score, track_id, behavior, source, confirmed, box_derived, "
                              "author, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, coalesce(?, ") +
                      kNow + "))");
    for (std::size_t i = 0; i < instances.size(); ++i) {
      const Annotation& a = instances[i];
      const Instance& in = a.instance;
      json kps = json::array();
      for (const auto& k : in.keypoints)
        kps.push_back(k.present() ? json{k.x, k.y, to_int(k.v)} : json{0.0, 0.0, 0});
      ins.reset();
      ins.bind(1, id).bind(2, static_cast<std::int64_t>(i));
      ins.bind(3, in.box.x1).bind(4, in.box.y1).bind(5, in.box.x2).bind(6, in.box.y2);
      ins.bind(7, kps.dump()).bind(8, json(in.keypoint_scores).dump()).bind(9, static_cast<double>(in.score));
      if (in.id) ins.bind(10, in.id->value); else ins.bind_null(10);
      ins.bind(11, in.behavior).bind(12, to_string(a.source)).bind(13, a.confirmed ? 1 : 0);
      ins.bind(14, a.box_derived ? 1 : 0).bind(15, author ? *author : a.author);
      if (author || a.updated_at.empty()) ins.bind_null(16); else ins.bind(16, a.updated_at);
      ins.run();
    }
    const FrameState state = compute_frame_state(instances, skeleton.size(), expected_animals);
    Statement up(db->handle(), "UPDATE frames SET state = ? WHERE id = ?");
    up.bind(1, state_code(state)).bind(2, id).run();
    return state;
  }

  std::int64_t frame_version(FrameId id) const {
    Statement st(db->handle(), "SELECT version FROM frames WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) throw_not_found("frame " + std::to_string(id) + ": no such frame in the project");
    return st.int64(0);
  }

  // Bumps the version when it equals `expected`; false on a stale version.
  bool bump_version(FrameId id, std::int64_t expected) {
    Statement st(db->handle(), "UPDATE frames SET version = version + 1 WHERE id = ? AND version = ?");
    st.bind(1, id).bind(2, expected).run();
    return db->changes() == 1;
  }

  void check_bout(const Bout& b) const {
    const std::string subject = "bout (video " + std::to_string(b.video_id) + ", id " + std::to_string(b.track.value) + ")";
    if (std::find(behaviors.begin(), behaviors.end(), b.behavior) == behaviors.end())
      throw_invalid(subject + ": behavior " + bt::quoted(b.behavior) + ": not one of the project's behaviours");
    if (b.start_frame < 0 || b.end_frame < b.start_frame)
      throw_invalid(subject + ": frames " + std::to_string(b.start_frame) + ".." + std::to_string(b.end_frame) +
                    ": need 0 <= start_frame <= end_frame");
    if (b.track.value < 1) throw_invalid(subject + ": track id must be >= 1");
    Statement v(db->handle(), "SELECT 1 FROM videos WHERE id = ?");
    v.bind(1, b.video_id);
    if (!v.step()) throw_not_found("video " + std::to_string(b.video_id) + ": no such video in the project");
    Statement st(db->handle(),
                 "SELECT id, start_frame, end_frame FROM bouts WHERE video_id = ? AND track_id = ? AND id != ? "
                 "AND start_frame <= ? AND end_frame >= ? LIMIT 1");
    st.bind(1, b.video_id).bind(2, b.track.value).bind(3, b.id).bind(4, b.end_frame).bind(5, b.start_frame);
    if (st.step())
      throw_invalid(subject + ": frames " + std::to_string(b.start_frame) + ".." + std::to_string(b.end_frame) +
                    " overlap bout " + std::to_string(st.int64(0)) + " (" + std::to_string(st.int64(1)) + ".." +
                    std::to_string(st.int64(2)) + ")");
  }

  VideoRecord read_video(const Statement& st) const {
    VideoRecord v;
    v.id = st.int64(0);
    const std::string stored = st.text(1);
    v.path = fs::path(stored).is_absolute() ? fs::path(stored) : dir / stored;
    v.hash = st.text(2);
    v.fps = st.real(3);
    v.width = static_cast<int>(st.int64(4));
    v.height = static_cast<int>(st.int64(5));
    v.n_frames = st.int64(6);
    v.duration_s = st.real(7);
    v.key_frames = json::parse(st.text(8)).get<std::vector<FrameIndex>>();
    if (!st.is_null(9)) v.source_video_id = st.int64(9);
    v.options_json = st.text(10);
    std::error_code ec;
    v.missing = !fs::exists(v.path, ec);
    return v;
  }
};
}  // namespace bt::project
