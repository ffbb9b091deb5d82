#include "behavtrack/server/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/server/api_routes.h"
#include "behavtrack/server/path_safety.h"

namespace bt::server {
namespace fs = std::filesystem;

namespace {

// Largest request body the server reads (a frame's annotations are a few kB).
constexpr std::size_t kMaxBodyMiB = 16;

std::string content_type(const fs::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".json") return "application/json";
  return "application/octet-stream";
}

// GET of anything outside /api: a file of the web app, "/" being index.html.
void serve_static(const fs::path& web_dir, const httplib::Request& req, httplib::Response& res) {
  const std::string path = req.path == "/" ? "/index.html" : req.path;
  const auto file = resolve_under(web_dir, path);
  if (!file) return send_error(res, 404, "not found: " + req.path);
  // no-cache: the browser revalidates, so an updated app is picked up on reload.
  res.set_header("Cache-Control", "no-cache");
  res.set_content(read_file(*file), content_type(*file));
}

}  // namespace

void ServerOptions::validate() const {
  if (host.empty()) throw_invalid("host: must not be empty");
  if (port < 0 || port > 65535) throw_invalid("port: " + std::to_string(port) + " is not in 0..65535");
  if (!fs::is_regular_file(web_dir / "index.html"))
    throw_not_found("web_dir " + bt::quoted(web_dir.string()) + ": no index.html");
  if (image_quality < 1 || image_quality > 100)
    throw_invalid("image_quality: " + std::to_string(image_quality) + " is not in 1..100");
  if (threads < 1) throw_invalid("threads: " + std::to_string(threads) + " must be >= 1");
}

fs::path find_web_dir(const fs::path& source_dir, const fs::path& install_dir) {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("BEHAVTRACK_WEB_DIR")) candidates.emplace_back(env);
  candidates.push_back(source_dir);
  candidates.push_back(install_dir);
  std::string looked;
  for (const fs::path& dir : candidates) {
    if (fs::is_regular_file(dir / "index.html")) return dir;
    looked += (looked.empty() ? "" : ", ") + bt::quoted(dir.string());
  }
  throw_not_found("web app: no index.html in " + looked + "; set BEHAVTRACK_WEB_DIR");
}

struct AnnotationServer::Impl {
  ServerOptions options;
  AnnotationBackend& backend;
  TracksCatalog tracks;
  FrameImages images;
  ApiContext api{backend, images, tracks};
  httplib::Server http;
  int port = 0;
  std::thread thread;

  Impl(ServerOptions o, AnnotationBackend& b, TracksCatalog t)
      : options(std::move(o)), backend(b), tracks(std::move(t)), images({options.image_quality, 512}) {}

  void configure() {
    const int n_threads = options.threads;
    http.new_task_queue = [n_threads] { return new httplib::ThreadPool(n_threads); };
    http.set_tcp_nodelay(true);
    // httplib's default adds SO_REUSEPORT, which lets a second server bind the same port
    // and silently share its connections: keep SO_REUSEADDR (fast restarts) only.
    http.set_socket_options([](int sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    http.set_payload_max_length(kMaxBodyMiB << 20);
    add_api_routes(http, api);
    const fs::path web_dir = options.web_dir;
    http.Get(".*", [web_dir](const httplib::Request& req, httplib::Response& res) {
      if (req.path.rfind("/api/", 0) == 0) return send_error(res, 404, "no such API route: " + req.path);
      serve_static(web_dir, req, res);
    });
    // Errors httplib answers itself (no route, a body over the limit, a malformed request):
    // a JSON message saying which, instead of an empty body.
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      const std::string request = req.method + " " + req.path;
      switch (res.status) {
        case 404: case 405: return send_error(res, res.status, "no such route: " + request);
        case 413: return send_error(res, 413, "request body: larger than " + std::to_string(kMaxBodyMiB) + " MiB");
        case 414: return send_error(res, 414, "request URI: too long");
        case 431: return send_error(res, 431, "request headers: too large");
        default:
          return send_error(res, res.status, "malformed request: " + request + " (HTTP " + std::to_string(res.status) + ")");
      }
    });
    http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      log_error("annotate: {} {}: {}", req.method, req.path, what);
      send_error(res, 500, "internal error: " + what);
    });
  }

  void bind() {
    port = options.port == 0 ? http.bind_to_any_port(options.host)
                             : (http.bind_to_port(options.host, options.port) ? options.port : -1);
    if (port <= 0)
      throw_io("annotate: cannot listen on " + options.host + ":" + std::to_string(options.port) +
               "; is the port in use or the host not an address of this machine?");
  }
};

AnnotationServer::AnnotationServer(ServerOptions options, AnnotationBackend& backend, TracksCatalog tracks) {
  options.validate();
  impl_ = std::make_unique<Impl>(std::move(options), backend, std::move(tracks));
  impl_->configure();
  impl_->bind();
}

AnnotationServer::~AnnotationServer() { stop(); }

int AnnotationServer::port() const { return impl_->port; }
const std::string& AnnotationServer::host() const { return impl_->options.host; }

void AnnotationServer::run() { impl_->http.listen_after_bind(); }

void AnnotationServer::start() {
  impl_->thread = std::thread([this] { impl_->http.listen_after_bind(); });
  // httplib 0.11 has no readiness callback: poll its flag (set before accept() starts).
  for (int i = 0; i < 500 && !impl_->http.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

void AnnotationServer::stop() {
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace bt::server
