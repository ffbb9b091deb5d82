// The `behavtrack` program: builds the command tree from the registered command files,
// applies the process settings, runs one command and maps errors to exit codes
// (0 ok, 2 bad usage or input, 3 not found or I/O, 1 internal), printing one line.
#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/core/runtime.h"
#include "behavtrack/nn/torch_runtime.h"
#include "command_registry.h"

namespace {

// Groups in the order `behavtrack --help` lists them: the workflow's order.
int group_rank(const std::string& group) {
  static const std::vector<std::string> order = {
      "project", "video",   "frames", "labels",  "annotate", "pose", "track",
      "behavior", "active", "analyze", "synth", "demo"};
  const auto it = std::find(order.begin(), order.end(), group);
  return static_cast<int>(it - order.begin());
}

void build_commands(CLI::App& app, bt::cli::Context& context) {
  std::vector<bt::cli::RegisteredCommand> commands = bt::cli::registered_commands();
  std::stable_sort(commands.begin(), commands.end(), [](const auto& a, const auto& b) {
    return group_rank(a.group) < group_rank(b.group);
  });
  std::map<std::string, CLI::App*> groups;
  for (const auto& cmd : commands) {
    if (cmd.group.empty()) {
      cmd.setup(app, context);
      continue;
    }
    CLI::App*& group = groups[cmd.group];
    if (!group) {
      group = app.add_subcommand(cmd.group, cmd.group_help);
      group->require_subcommand(1);
    }
    cmd.setup(*group, context);
  }
}

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "behavtrack: %s\n", message.c_str());
  return code;
}

// The subcommand of `app` named `word` (or one of its aliases), if any.
const CLI::App* find_subcommand(const CLI::App& app, const std::string& word) {
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (sub->check_name(word)) return sub;
  return nullptr;
}

// CLI11 reports an unknown first word only as "a subcommand is required"; name it.
bool is_unknown_command(const CLI::App& app, const std::string& word) {
  return !word.empty() && word[0] != '-' && !find_subcommand(app, word);
}

// CLI11's parse errors, as one line naming the command's help: "Could not convert:
// --imgsz = 30fps" would otherwise be followed by a second line and lack the prefix. A
// path option whose file is missing is "not found" (3), every other parse error usage (2).
int fail_parse(const CLI::ParseError& e, const CLI::App& app, int argc, char** argv) {
  std::string command = "behavtrack";
  const CLI::App* at = &app;
  for (int i = 1; i < argc; ++i) {
    const CLI::App* sub = find_subcommand(*at, argv[i]);
    if (!sub) break;
    command += std::string(" ") + argv[i];
    at = sub;
  }
  const std::string what = e.what();
  const bool missing = what.find("does not exist") != std::string::npos;
  return fail(what + "; see '" + command + " --help'", missing ? 3 : 2);
}

// "filesystem error: cannot create directories: Not a directory [out]" as
// "'out': cannot create directories: Not a directory" (an I/O error, 3): the path first.
int fail_filesystem(const std::filesystem::filesystem_error& e) {
  std::string what = e.what();
  const std::string prefix = "filesystem error: ";
  if (what.rfind(prefix, 0) == 0) what.erase(0, prefix.size());
  const auto bracket = what.find(" [");
  if (bracket != std::string::npos) what.erase(bracket);
  std::string subject = "'" + e.path1().string() + "'";
  if (!e.path2().empty()) subject += " -> '" + e.path2().string() + "'";
  return fail(subject + ": " + what, 3);
}

// A JSON error that escaped the readers' own checks (a number like 1e999, a field of the
// wrong type deep in a file): nlohmann's text without its "[json.exception.x.n] " tag. Bad
// input (2): our own JSON is written by nlohmann and always reads back.
int fail_json(const nlohmann::json::exception& e) { return fail("JSON input: " + bt::json_error_text(e), 2); }

}  // namespace

int main(int argc, char** argv) {
  bt::ensure_runtime_environment(argv);
  bt::configure_malloc();
  const int threads = bt::compute_threads();
  bt::configure_opencv_threads(threads);
  bt::nn::configure_torch_threads(threads);

  CLI::App app{"behavtrack: mice in lab videos to boxes, keypoints, identities and behaviour.",
               "behavtrack"};
  app.require_subcommand(1);
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  const char* arena_max = std::getenv("MALLOC_ARENA_MAX");
  app.set_version_flag("--version", "behavtrack 0.1.0 (" + bt::nn::torch_description() + ", " +
                                        std::to_string(threads) + " threads, OpenMP waits " +
                                        (wait_policy ? wait_policy : "by default") + ", malloc arenas " +
                                        (arena_max ? arena_max : "by default") + ")");
  bt::cli::Context context;
  app.add_flag_callback("-q,--quiet", [&context] {
    context.quiet = true;
    bt::set_log_level(bt::LogLevel::kError);
  }, "Only errors on stderr; no progress bars");
  app.add_flag_callback("-v,--verbose", [] { bt::set_log_level(bt::LogLevel::kDebug); },
                        "Debug logging");
  build_commands(app, context);

  if (argc > 1 && is_unknown_command(app, argv[1]))
    return fail("unknown command '" + std::string(argv[1]) + "'; run 'behavtrack --help' for the list",
                2);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version print and exit 0.
    if (e.get_exit_code() == 0) return app.exit(e);
    return fail_parse(e, app, argc, argv);
  } catch (const bt::Error& e) {
    return fail(e.what(), bt::exit_code(e.kind()));
  } catch (const cv::Exception& e) {
    return fail(std::string("OpenCV: ") + e.err, 1);
  } catch (const std::filesystem::filesystem_error& e) {
    return fail_filesystem(e);
  } catch (const std::bad_alloc&) {
    return fail("out of memory", 1);
  } catch (const nlohmann::json::exception& e) {
    return fail_json(e);
  } catch (const std::exception& e) {
    return fail("internal error: " + bt::first_line(e.what()), 1);
  }
  return 0;
}
