// JSON bodies of the annotation API (docs/http-api.md) to and from the backend's types,
// with validation: every parse function throws bt::Error (kInvalidInput) whose message
// names the field, e.g. `instances[2].keypoints[1]: expected [x, y, v] with v in 0, 1, 2`.
//
//   nlohmann::json body = nlohmann::json::parse(text);      // the caller maps parse errors
//   auto labels = bt::server::parse_instances(body, skeleton.size());
//
// Coordinates are image pixels (core/types.h); they must be finite numbers.
// Thread safety: reentrant.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "behavtrack/server/annotation_backend.h"
#include "behavtrack/server/tracks_catalog.h"

namespace bt::server {

// Parses a request body; throws kInvalidInput "request body: not JSON (...)".
nlohmann::json parse_body(const std::string& text);

// Field access that names the field in its error.
const nlohmann::json& require_field(const nlohmann::json& object, const std::string& key,
                                    const std::string& where = "request body");
std::int64_t require_int(const nlohmann::json& object, const std::string& key,
                         const std::string& where = "request body");
std::string require_string(const nlohmann::json& object, const std::string& key,
                           const std::string& where = "request body");

// {"instances": [...]} -> instances; each needs a bbox and `n_keypoints` keypoints.
std::vector<LabeledInstance> parse_instances(const nlohmann::json& body, int n_keypoints);
// A bout body for `video_id`; `behaviors` is the project's list. Optional booleans
// `predicted` (default false) and `confirmed` (default true).
Bout parse_bout(const nlohmann::json& body, std::int64_t video_id,
                const std::vector<std::string>& behaviors);
// {"bouts": [{"id": N, "version": V}, ...]} (at least one).
std::vector<BoutVersion> parse_bout_versions(const nlohmann::json& body);

nlohmann::json to_json(const LabeledInstance& instance);
nlohmann::json to_json(const FrameLabels& labels);
nlohmann::json to_json(const FrameRow& frame);
nlohmann::json to_json(const StateCounts& counts);
nlohmann::json to_json(const ProjectSummary& project);
nlohmann::json to_json(const VideoRow& video);
nlohmann::json to_json(const Bout& bout);
// A video's loaded tracks, as /api/videos lists them: {"file", "ids", "first_frame",
// "last_frame", "n_instances"}.
nlohmann::json tracks_summary_json(const VideoTracks& tracks);
// A tracked frame: {"frame", "instances": [{"id", "bbox", "keypoints": [[x, y, v]...], "score"}...]}.
nlohmann::json tracked_frame_json(const FrameInstances& frame);

}  // namespace bt::server
