// `behavtrack annotate DIR`: serves the annotation web app over a project folder.
#include <csignal>
#include <cstdio>

#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/server/project_backend.h"
#include "behavtrack/server/server.h"
#include "command_registry.h"

namespace {

bt::server::AnnotationServer* g_server = nullptr;

// SIGINT/SIGTERM stop the server cleanly; every edit was already committed when acknowledged.
void on_signal(int) {
  if (g_server) g_server->stop();
}

struct AnnotateFlags {
  std::string dir;
  bt::server::ServerOptions options;
};

void run_annotate(const AnnotateFlags& flags) {
  bt::server::ServerOptions options = flags.options;
  options.web_dir = bt::server::find_web_dir(BT_WEB_DIR_SOURCE, BT_WEB_DIR_INSTALL);
  options.validate();
  auto backend = bt::server::open_project_backend(flags.dir);
  bt::server::AnnotationServer server(options, *backend);
  g_server = &server;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (server.host() != "127.0.0.1" && server.host() != "localhost" && server.host() != "::1")
    bt::log_warn("annotate: listening on {}: anyone who can reach this address can read and edit the project",
                 server.host());
  // One line on stdout, flushed: tests and scripts read the port from it (--port 0).
  std::printf("annotate: serving %s on http://%s:%d/ (Ctrl+C to stop)\n", flags.dir.c_str(),
              server.host().c_str(), server.port());
  std::fflush(stdout);
  server.run();
  g_server = nullptr;
}

const bt::cli::CommandRegistration kRegistration(
    "", "", [](CLI::App& app, bt::cli::Context&) {
      auto flags = std::make_shared<AnnotateFlags>();
      auto* cmd = app.add_subcommand(
          "annotate",
          "Serve the annotation web app over a project: boxes, keypoints, behaviour bouts");
      cmd->add_option("DIR", flags->dir, "Project folder (holds behavtrack.db)")->required();
      cmd->add_option("--port", flags->options.port,
                      "TCP port to listen on; 0 picks a free one (default 8765)");
      cmd->add_option("--host", flags->options.host,
                      "Interface address to bind (default 127.0.0.1, this machine only); "
                      "another address exposes your project to that network");
      cmd->footer("Open the printed address in Chromium or Firefox. Every edit is saved at "
                  "once; press H in the app for its shortcuts.");
      cmd->callback([flags] { run_annotate(*flags); });
    });

}  // namespace
