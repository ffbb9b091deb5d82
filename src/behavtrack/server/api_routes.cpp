#include "behavtrack/server/api_routes.h"

#include <httplib.h>

#include <charconv>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/project/project.h"
#include "behavtrack/server/exports.h"
#include "behavtrack/server/json_codec.h"
#include "behavtrack/server/path_safety.h"

namespace bt::server {
using nlohmann::json;

namespace {

constexpr std::int64_t kMaxPageSize = 1000;
// Frames of tracks a request may ask for: ten seconds at 30 fps, a few hundred kB of JSON
// for five mice, so the app's prefetch of the next chunk stays quick.
constexpr std::int64_t kMaxTrackFrames = 300;
constexpr const char* kJson = "application/json";

int status_for(const Error& e) {
  switch (e.kind()) {
    case ErrorKind::kInvalidInput: return 400;
    case ErrorKind::kNotFound: return 404;
    default:
      // Another process held the database past the busy timeout: the app may retry.
      return std::string_view(e.what()).find(project::kBusyHint) != std::string_view::npos ? 503 : 500;
  }
}

void send_json(httplib::Response& res, const json& body, int status = 200) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  // An error message may quote bytes of a request that are not UTF-8: replaced, not thrown.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), kJson);
}


// Runs a handler, turning bt::Error into a JSON error reply with the kind's status.
template <typename Fn>
httplib::Server::Handler guarded(Fn fn) {
  return [fn](const httplib::Request& req, httplib::Response& res) {
    try {
      fn(req, res);
    } catch (const Error& e) {
      send_error(res, status_for(e), e.what());
    } catch (const json::exception& e) {
      send_error(res, 400, "request body: " + json_error_text(e));
    }
  };
}

std::int64_t parse_int(const std::string& text, const std::string& name) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    throw_invalid(name + ": expected an integer, got " + bt::quoted(text));
  return value;
}

std::int64_t path_id(const httplib::Request& req, int group, const std::string& name) {
  return parse_int(req.matches[group].str(), name);
}

std::int64_t query_int(const httplib::Request& req, const std::string& key, std::int64_t fallback) {
  return req.has_param(key) ? parse_int(req.get_param_value(key), key) : fallback;
}

FrameFilter parse_filter(const httplib::Request& req) {
  FrameFilter f;
  f.split = req.get_param_value("split");
  if (const std::string state = req.get_param_value("state"); !state.empty()) {
    f.state = frame_state_from_string(state);
    if (!f.state) throw_invalid("state: " + bt::quoted(state) + " is not one of complete, predicted, started, empty");
  }
  const std::string sort = req.has_param("sort") ? req.get_param_value("sort") : "index";
  if (sort != "index" && sort != "incomplete_first")
    throw_invalid("sort: " + bt::quoted(sort) + " is not one of index, incomplete_first");
  f.incomplete_first = sort == "incomplete_first";
  f.offset = query_int(req, "offset", 0);
  f.limit = query_int(req, "limit", 100);
  if (f.offset < 0) throw_invalid("offset: expected >= 0, got " + std::to_string(f.offset));
  if (f.limit < 1 || f.limit > kMaxPageSize)
    throw_invalid("limit: expected 1.." + std::to_string(kMaxPageSize) + ", got " + std::to_string(f.limit));
  return f;
}

void send_save(httplib::Response& res, const SaveResult& r) {
  if (r.outcome == SaveOutcome::kConflict)
    send_json(res, {{"error", "changed since this version was read; reload it"}, {"version", r.version}}, 409);
  else
    send_json(res, {{"version", r.version}});
}

VideoRow find_video(AnnotationBackend& backend, std::int64_t video_id) {
  for (const VideoRow& v : backend.videos())
    if (v.id == video_id) return v;
  throw_not_found("video " + std::to_string(video_id) + ": no such video in the project");
}

class Routes : public std::enable_shared_from_this<Routes> {
 public:
  explicit Routes(ApiContext& c) : c_(c) {}

  // The handlers share ownership of the Routes, so it lives as long as the server.
  void add(httplib::Server& http) {
    const auto self = shared_from_this();
    http.Get("/api/health", guarded([](auto&, auto& res) { send_json(res, {{"ok", true}}); }));
    http.Get("/api/project", guarded([self](auto&, auto& res) { self->project(res); }));
    http.Get("/api/frames", guarded([self](auto& req, auto& res) { self->frames(req, res); }));
    http.Get("/api/frames/next_unconfirmed", guarded([self](auto& req, auto& res) { self->next_unconfirmed(req, res); }));
    http.Get(R"(/api/frames/(\d+))", guarded([self](auto& req, auto& res) { self->frame(req, res); }));
    http.Get(R"(/api/frames/(\d+)/image)", guarded([self](auto& req, auto& res) { self->frame_image(req, res); }));
    http.Get(R"(/api/frames/(\d+)/annotations)", guarded([self](auto& req, auto& res) { self->labels(req, res); }));
    http.Put(R"(/api/frames/(\d+)/annotations)", guarded([self](auto& req, auto& res) { self->save(req, res); }));
    http.Post(R"(/api/frames/(\d+)/accept)", guarded([self](auto& req, auto& res) { self->accept(req, res); }));
    http.Get("/api/videos", guarded([self](auto&, auto& res) { self->videos(res); }));
    http.Get(R"(/api/videos/(\d+)/frames/(\d+)/image)", guarded([self](auto& req, auto& res) { self->video_image(req, res); }));
    http.Get(R"(/api/videos/(\d+)/tracks)", guarded([self](auto& req, auto& res) { self->tracks(req, res); }));
    http.Get(R"(/api/videos/(\d+)/bouts)", guarded([self](auto& req, auto& res) { self->bouts(req, res); }));
    http.Post(R"(/api/videos/(\d+)/bouts)", guarded([self](auto& req, auto& res) { self->add_bout(req, res); }));
    http.Post("/api/bouts/confirm", guarded([self](auto& req, auto& res) { self->confirm_bouts(req, res); }));
    http.Put(R"(/api/bouts/(\d+))", guarded([self](auto& req, auto& res) { self->update_bout(req, res); }));
    http.Delete(R"(/api/bouts/(\d+))", guarded([self](auto& req, auto& res) { self->delete_bout(req, res); }));
    http.Get(R"(/api/videos/(\d+)/export/events\.csv)", guarded([self](auto& req, auto& res) { self->export_csv(req, res, true); }));
    http.Get(R"(/api/videos/(\d+)/export/labels\.csv)", guarded([self](auto& req, auto& res) { self->export_csv(req, res, false); }));
  }

 private:
  void project(httplib::Response& res) {
    json body = to_json(c_.backend.project());
    body["counts"] = to_json(c_.backend.counts());
    send_json(res, body);
  }

  void frames(const httplib::Request& req, httplib::Response& res) {
    const FrameFilter filter = parse_filter(req);
    const FramePage page = c_.backend.frames(filter);
    json rows = json::array();
    for (const FrameRow& f : page.frames) rows.push_back(to_json(f));
    send_json(res, {{"total", page.total}, {"offset", filter.offset}, {"frames", rows}});
  }

  void next_unconfirmed(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t after = query_int(req, "after", 0);
    const auto next = c_.backend.next_unconfirmed(after);
    if (!next) throw_not_found("frames: no frame holds unconfirmed predictions");
    send_json(res, {{"id", *next}});
  }

  void frame(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t id = path_id(req, 1, "frame id");
    send_json(res, to_json(c_.backend.frame(id)));
  }

  // Frames never change, so the browser may keep them (prefetched frames show at once).
  void send_image(httplib::Response& res, const std::string& bytes, const char* type = "image/jpeg") {
    res.set_header("Cache-Control", "private, max-age=86400");
    res.set_content(bytes, type);
  }

  void frame_image(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t id = path_id(req, 1, "frame id");
    const FrameRow row = c_.backend.frame(id);
    const auto cached = c_.backend.frame_image_file(id);
    const std::filesystem::path root = c_.backend.root();
    const std::filesystem::path video = c_.backend.video_file(row.video_id);
    if (cached) {
      // The store's path is still checked: an image route never leaves the project.
      const auto rel = cached->lexically_relative(root).generic_string();
      if (const auto file = resolve_under(root, "/" + rel))
        return send_image(res, read_file(*file), file->extension() == ".png" ? "image/png" : "image/jpeg");
    }
    send_image(res, c_.images.jpeg(video, row.frame_index));
  }

  void video_image(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t video_id = path_id(req, 1, "video id");
    const FrameIndex index = path_id(req, 2, "frame index");
    const VideoRow video = find_video(c_.backend, video_id);
    const std::filesystem::path file = c_.backend.video_file(video_id);
    if (index >= video.n_frames)
      throw_not_found("video " + std::to_string(video_id) + ": frame " + std::to_string(index) +
                      " is past its last frame " + std::to_string(video.n_frames - 1));
    send_image(res, c_.images.jpeg(file, index));
  }

  void labels(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t id = path_id(req, 1, "frame id");
    send_json(res, to_json(c_.backend.labels(id)));
  }

  void save(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t id = path_id(req, 1, "frame id");
    const json body = parse_body(req.body);
    const std::int64_t version = require_int(body, "version");
    c_.backend.frame(id);  // 404 before 400 on the skeleton
    const auto instances = parse_instances(body, c_.backend.project().skeleton.size());
    const SaveResult r = c_.backend.save_labels(id, version, instances);
    if (r.outcome == SaveOutcome::kConflict) return send_save(res, r);
    send_json(res, {{"version", r.version}, {"state", to_string(c_.backend.frame(id).state)}});
  }

  void accept(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t id = path_id(req, 1, "frame id");
    const json body = parse_body(req.body);
    const std::int64_t version = require_int(body, "version");
    std::optional<int> instance;
    if (body.contains("instance")) {
      const std::int64_t i = require_int(body, "instance");
      if (i < 0 || i > 10000) throw_invalid("instance: expected an index >= 0, got " + std::to_string(i));
      instance = static_cast<int>(i);
    }
    c_.backend.frame(id);
    const SaveResult r = c_.backend.accept_predictions(id, version, instance);
    if (r.outcome == SaveOutcome::kConflict) return send_save(res, r);
    send_json(res, {{"version", r.version}, {"state", to_string(c_.backend.frame(id).state)}});
  }

  void videos(httplib::Response& res) {
    json rows = json::array();
    for (const VideoRow& v : c_.backend.videos()) {
      json row = to_json(v);
      const VideoTracks* t = c_.tracks.find(v.id);
      row["tracks"] = t ? tracks_summary_json(*t) : json(nullptr);
      rows.push_back(row);
    }
    send_json(res, {{"videos", rows}});
  }

  // The tracked instances of frames from..to (inclusive); frames without any are left out.
  void tracks(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t video_id = path_id(req, 1, "video id");
    const VideoRow video = find_video(c_.backend, video_id);
    const VideoTracks* t = c_.tracks.find(video_id);
    if (!t)
      throw_not_found("video " + std::to_string(video_id) +
                      ": no tracks loaded; start annotate with --tracks run/tracks.json");
    if (!req.has_param("from")) throw_invalid("from: required (?from=F&to=G, frame indices)");
    const FrameIndex from = query_int(req, "from", 0);
    const FrameIndex to = query_int(req, "to", from);
    const FrameIndex last = video.n_frames - 1;
    if (from < 0 || from > last)
      throw_invalid("from: " + std::to_string(from) + " is not a frame of the video (0.." + std::to_string(last) + ")");
    if (to >= from && to - from >= kMaxTrackFrames)  // from >= 0 here: no overflow
      throw_invalid("to: at most " + std::to_string(kMaxTrackFrames) + " frames a request (from " +
                    std::to_string(from) + ": to <= " + std::to_string(from + kMaxTrackFrames - 1) + "), got " +
                    std::to_string(to));
    if (to < from || to > last)
      throw_invalid("to: " + std::to_string(to) + " is not in " + std::to_string(from) + ".." + std::to_string(last) +
                    " (from .. the video's last frame)");
    json frames = json::array();
    for (const FrameInstances& f : t->frames_in(from, to)) frames.push_back(tracked_frame_json(f));
    // Tracks are loaded once per server: a reply never changes while it runs.
    send_json(res, {{"video_id", video_id}, {"from", from}, {"to", to}, {"frames", frames}});
  }

  void bouts(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t video_id = path_id(req, 1, "video id");
    find_video(c_.backend, video_id);
    json rows = json::array();
    for (const Bout& b : c_.backend.bouts(video_id)) rows.push_back(to_json(b));
    send_json(res, {{"bouts", rows}});
  }

  void add_bout(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t video_id = path_id(req, 1, "video id");
    const json body = parse_body(req.body);
    const VideoRow video = find_video(c_.backend, video_id);
    const Bout bout = checked_bout(body, video);
    send_json(res, to_json(c_.backend.add_bout(bout)), 201);
  }

  void update_bout(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t bout_id = path_id(req, 1, "bout id");
    const json body = parse_body(req.body);
    const std::int64_t version = require_int(body, "version");
    const Bout existing = find_bout(bout_id);
    Bout bout = checked_bout(body, find_video(c_.backend, existing.video_id));
    bout.id = bout_id;
    bout.predicted = existing.predicted;  // provenance: a person's edit confirms, it does not re-author
    const SaveResult r = c_.backend.update_bout(bout, version);
    if (r.outcome == SaveOutcome::kConflict) return send_save(res, r);
    bout.version = r.version;
    send_json(res, to_json(bout));
  }

  // All or none: a stale version anywhere answers 409 with the stale bouts' versions.
  void confirm_bouts(const httplib::Request& req, httplib::Response& res) {
    const std::vector<BoutVersion> wanted = parse_bout_versions(parse_body(req.body));
    const ConfirmResult r = c_.backend.confirm_bouts(wanted);
    json rows = json::array();
    for (const BoutVersion& b : r.bouts) rows.push_back({{"id", b.id}, {"version", b.version}});
    if (r.outcome == SaveOutcome::kConflict)
      return send_json(res, {{"error", "changed since this version was read; reload it"}, {"bouts", rows}}, 409);
    send_json(res, {{"bouts", rows}});
  }

  void delete_bout(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t bout_id = path_id(req, 1, "bout id");
    const std::int64_t version = query_int(req, "version", -1);
    if (version < 0) throw_invalid("version: required as ?version=N (the bout's current version)");
    find_bout(bout_id);
    const SaveResult r = c_.backend.delete_bout(bout_id, version);
    if (r.outcome == SaveOutcome::kConflict) return send_save(res, r);
    res.status = 204;
  }

  void export_csv(const httplib::Request& req, httplib::Response& res, bool events) {
    const std::int64_t video_id = path_id(req, 1, "video id");
    const VideoRow video = find_video(c_.backend, video_id);
    // Exports feed training (`behavior train --labels`): proposals nobody confirmed are
    // left out unless asked for, and the reply says how many.
    const std::int64_t include = query_int(req, "include_unconfirmed", 0);
    if (include != 0 && include != 1) throw_invalid("include_unconfirmed: expected 0 or 1, got " + std::to_string(include));
    const bool include_unconfirmed = include == 1;
    std::vector<Bout> bouts;
    std::int64_t skipped = 0;
    for (const Bout& b : c_.backend.bouts(video_id))
      if (b.confirmed || include_unconfirmed) bouts.push_back(b); else ++skipped;
    if (skipped > 0) log_info("export of video {}: left out {} unconfirmed proposed bouts", video_id, skipped);
    res.set_header("X-Unconfirmed-Bouts-Skipped", std::to_string(skipped));
    const std::string stem = std::filesystem::path(video.path).stem().string();
    res.set_header("Content-Disposition",
                   "attachment; filename=\"" + stem + (events ? "_events.csv\"" : "_labels.csv\""));
    res.set_content(events ? boris_events_csv(video, bouts) : per_frame_labels_csv(video, bouts),
                    "text/csv");
  }

  Bout checked_bout(const json& body, const VideoRow& video) {
    Bout bout = parse_bout(body, video.id, c_.backend.project().behaviors);
    if (bout.end_frame >= video.n_frames)
      throw_invalid("end_frame: " + std::to_string(bout.end_frame) + " is past the video's last frame " +
                    std::to_string(video.n_frames - 1));
    return bout;
  }

  // Bouts are few per video: a scan keeps the backend interface small.
  Bout find_bout(std::int64_t bout_id) {
    for (const VideoRow& v : c_.backend.videos())
      for (const Bout& b : c_.backend.bouts(v.id))
        if (b.id == bout_id) return b;
    throw_not_found("bout " + std::to_string(bout_id) + ": no such bout");
  }

  ApiContext& c_;
};

}  // namespace

void add_api_routes(httplib::Server& http, ApiContext& context) {
  std::make_shared<Routes>(context)->add(http);
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, {{"error", message}}, status);
}

}  // namespace bt::server
