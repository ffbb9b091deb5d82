// `behavtrack annotate DIR [--tracks FILE...]`: serves the annotation web app over a project
// folder, with the identities of tracking runs drawn over their videos.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

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
  std::vector<std::string> tracks, tracks_videos;
};

std::vector<bt::server::TracksInput> tracks_inputs(const AnnotateFlags& flags) {
  if (!flags.tracks_videos.empty() && flags.tracks_videos.size() != flags.tracks.size())
    bt::throw_invalid("--tracks-video: " + std::to_string(flags.tracks_videos.size()) + " files for " +
                      std::to_string(flags.tracks.size()) +
                      " --tracks; give one video per tracks file, in the same order");
  std::vector<bt::server::TracksInput> inputs;
  for (std::size_t i = 0; i < flags.tracks.size(); ++i)
    inputs.push_back({flags.tracks[i], flags.tracks_videos.empty() ? std::string() : flags.tracks_videos[i]});
  return inputs;
}

// One line a tracks file, after the "serving" line and in the same write: a reader that
// stops at the port (tests, scripts) may close the pipe.
std::string tracks_summary(const bt::server::TracksCatalog& catalog) {
  std::string text;
  for (const bt::server::VideoTracks& v : catalog.videos()) {
    std::string ids;
    for (const int id : v.ids) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    text += "annotate: video " + std::to_string(v.video_id) + " shows tracks " + bt::quoted(v.file.string()) +
            ": mice " + ids + ", frames " + std::to_string(v.first_frame()) + ".." +
            std::to_string(v.last_frame()) + "\n";
  }
  return text;
}

void run_annotate(const AnnotateFlags& flags) {
  bt::server::ServerOptions options = flags.options;
  options.web_dir = bt::server::find_web_dir(BT_WEB_DIR_SOURCE, BT_WEB_DIR_INSTALL);
  options.validate();
  auto backend = bt::server::open_project_backend(flags.dir);
  // Read before binding: a bad tracks file stops here, and no server starts.
  auto catalog = bt::server::TracksCatalog::load(flags.dir, tracks_inputs(flags));
  const std::string summary = tracks_summary(catalog);
  bt::server::AnnotationServer server(options, *backend, std::move(catalog));
  g_server = &server;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (server.host() != "127.0.0.1" && server.host() != "localhost" && server.host() != "::1")
    bt::log_warn("annotate: listening on {}: anyone who can reach this address can read and edit the project",
                 server.host());
  // One line on stdout, flushed: tests and scripts read the port from it (--port 0).
  std::printf("annotate: serving %s on http://%s:%d/ (Ctrl+C to stop)\n%s", flags.dir.c_str(),
              server.host().c_str(), server.port(), summary.c_str());
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
      cmd->add_option("--tracks", flags->tracks,
                      "Tracks file (Instances JSON with ids, from 'behavtrack track' or 'analyze') to draw "
                      "over its video while labelling behaviour, so 'Mouse k' is the animal with track id k; "
                      "matched to the registered video its header names (by file name). Repeat for "
                      "several videos, one file per video")
          ->allow_extra_args(false);
      cmd->add_option("--tracks-video", flags->tracks_videos,
                      "The registered video file of each --tracks, in the same order (default: the video "
                      "each tracks file names)")
          ->allow_extra_args(false);
      cmd->footer("Open the printed address in Chromium or Firefox. Every edit is saved at "
                  "once; press H in the app for its shortcuts, O toggles the tracks overlay.");
      cmd->callback([flags] { run_annotate(*flags); });
    });

}  // namespace
