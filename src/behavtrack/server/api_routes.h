// Internal to the server: registers the /api routes (docs/http-api.md) on an httplib
// server. Not a public header: it forward-declares httplib instead of including it.
#pragma once

#include <string>

#include "behavtrack/server/annotation_backend.h"
#include "behavtrack/server/frame_images.h"
#include "behavtrack/server/tracks_catalog.h"

namespace httplib {
class Server;
struct Response;
}

namespace bt::server {

// What the handlers share; all are safe to use from the handler threads (the catalog is
// read-only).
struct ApiContext {
  AnnotationBackend& backend;
  FrameImages& images;
  const TracksCatalog& tracks;
};

void add_api_routes(httplib::Server& http, ApiContext& context);

// A JSON error reply {"error": message} with this status, for every reply the server makes.
void send_error(httplib::Response& res, int status, const std::string& message);

}  // namespace bt::server
