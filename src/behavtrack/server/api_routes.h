// Internal to the server: registers the /api routes (docs/http-api.md) on an httplib
// server. Not a public header: it forward-declares httplib instead of including it.
#pragma once

#include "behavtrack/server/annotation_backend.h"
#include "behavtrack/server/frame_images.h"

namespace httplib {
class Server;
}

namespace bt::server {

// What the handlers share; both are safe to call from the handler threads.
struct ApiContext {
  AnnotationBackend& backend;
  FrameImages& images;
};

void add_api_routes(httplib::Server& http, ApiContext& context);

}  // namespace bt::server
