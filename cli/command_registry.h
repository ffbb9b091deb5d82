// How command files plug into the `behavtrack` program without editing main.cpp.
//
// Each cli/cmd_<group>.cpp defines, at namespace scope,
//
//   const bt::cli::CommandRegistration kRegistration(
//       "video", "Probe and read videos", [](CLI::App& video, bt::cli::Context& ctx) {
//         auto* probe = video.add_subcommand("probe", "Print a video's properties");
//         ...
//         probe->callback([&ctx, opts] { ... });
//       });
//
// A group may be registered by several files (each adds its subcommands); the group ""
// adds top-level commands. Commands turn flags into an XxxOptions, call validate(), make
// one library call and print a summary: no SQL, Torch or drawing here.
// Thread safety: registrations run during static initialisation, setup in main().
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "behavtrack/core/progress.h"

namespace bt::cli {

// What commands share: where progress goes and whether to be quiet.
struct Context {
  bool quiet = false;  // set by -q/--quiet before any command runs
  // The reporter for long work: a bar on a terminal, a summary line otherwise, nothing
  // with --quiet.
  ProgressCallback progress() const { return quiet ? ProgressCallback() : terminal_progress(stderr); }
};

using CommandSetup = std::function<void(CLI::App& group, Context& context)>;

struct CommandRegistration {
  CommandRegistration(std::string group, std::string group_help, CommandSetup setup);
};

struct RegisteredCommand {
  std::string group, group_help;
  CommandSetup setup;
};
const std::vector<RegisteredCommand>& registered_commands();

// Flag checks whose message a user can read ("--animals: must be >= 0, got -1"); CLI11's
// NonNegativeNumber prints its range with the largest double spelled out.
CLI::Validator at_least(double minimum);
CLI::Validator above(double minimum);
// Seeds: 0 .. 2^63 - 1, digits only (no sign, no exponent).
CLI::Validator seed_check();

}  // namespace bt::cli
