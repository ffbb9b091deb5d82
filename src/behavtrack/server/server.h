// The annotation server: a JSON API over a project plus the web app's static files.
//
//   bt::server::ServerOptions o;  o.port = 0;  o.web_dir = "web";   // 0: any free port
//   bt::server::AnnotationServer server(o, backend);                 // binds, validates
//   server.start();                  // serves on a background thread
//   int port = server.port();        // the bound port
//   server.stop();                   // or run() to serve on the calling thread
//
// Routes are listed in docs/http-api.md. Every request body is validated (400 with a JSON
// {"error": "..."} message), unknown ids give 404, a stale frame version gives 409.
// Static files come only from `web_dir`; images are decoded from the project's videos.
// No route serves a file outside `web_dir` (path_safety.h).
// Binds 127.0.0.1 unless `host` says otherwise.
// Thread safety: requests are handled on a pool of threads that call the backend
// concurrently (it must be thread-safe). start/stop/run from one controlling thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "behavtrack/server/annotation_backend.h"
#include "behavtrack/server/tracks_catalog.h"

namespace bt::server {

struct ServerOptions {
  std::string host = "127.0.0.1";  // interface to bind; another one only when asked
  int port = 8765;                 // TCP port; 0 picks a free one
  std::filesystem::path web_dir;   // the web app (index.html, js/, css/)
  int image_quality = 90;          // JPEG quality of frame images, 1..100
  int threads = 8;                 // request handler threads, >= 1

  // Throws bt::Error (kInvalidInput) naming the field and its value.
  void validate() const;
};

class AnnotationServer {
 public:
  // Binds the socket now (so the port is known and errors surface here): throws bt::Error
  // (kIo) when the address cannot be bound, kInvalidInput for bad options.
  // `tracks`: the tracking runs drawn over the videos (GET /api/videos/ID/tracks); empty
  // by default.
  AnnotationServer(ServerOptions options, AnnotationBackend& backend, TracksCatalog tracks = {});
  ~AnnotationServer();
  AnnotationServer(const AnnotationServer&) = delete;
  AnnotationServer& operator=(const AnnotationServer&) = delete;

  int port() const;
  const std::string& host() const;
  // Serves on the calling thread until stop() is called from another thread.
  void run();
  // Serves on a background thread; returns once the server accepts connections.
  void start();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The first folder holding index.html among: $BEHAVTRACK_WEB_DIR, `source_dir`,
// `install_dir`. Throws bt::Error (kNotFound) listing where it looked.
std::filesystem::path find_web_dir(const std::filesystem::path& source_dir,
                                   const std::filesystem::path& install_dir);

}  // namespace bt::server
