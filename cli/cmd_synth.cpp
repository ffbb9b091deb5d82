// `behavtrack synth --out DIR ...`: synthetic top-view mice with exact ground truth.
#include <cstdio>
#include <regex>

#include "behavtrack/core/error.h"
#include "behavtrack/synth/synth.h"
#include "command_registry.h"

namespace {

struct SynthFlags {
  std::string out;
  std::string size = "640x480";
  std::string arena = "open";
  bool truth_only = false;
  bt::synth::SynthOptions options;
};

// "640x480" -> width, height; anything else is a usage error.
void parse_size(const std::string& text, bt::synth::SynthOptions& o) {
  static const std::regex pattern("([0-9]{1,5})x([0-9]{1,5})");
  std::smatch m;
  if (!std::regex_match(text, m, pattern))
    bt::throw_invalid("synth: --size: expected WIDTHxHEIGHT in pixels like 640x480, got " +
                      bt::quoted(text));
  o.width = std::stoi(m[1].str());
  o.height = std::stoi(m[2].str());
}

bt::synth::Arena parse_arena(const std::string& text) {
  if (text == "open") return bt::synth::Arena::kOpen;
  if (text == "bedding") return bt::synth::Arena::kBedding;
  bt::throw_invalid("synth: --arena: expected open or bedding, got " + bt::quoted(text));
}

void run_synth(const SynthFlags& flags, const bt::cli::Context& context) {
  bt::synth::SynthOptions o = flags.options;
  parse_size(flags.size, o);
  o.arena = parse_arena(flags.arena);
  o.render = !flags.truth_only;
  o.validate();
  bt::synth::write_synth(o, flags.out, context.progress());
  std::printf("synth: %lld frames of %d mice (%dx%d, %g fps, seed %llu) written to %s (%s)\n",
              static_cast<long long>(o.n_frames()), o.n_mice, o.width, o.height, o.fps,
              static_cast<unsigned long long>(o.seed), flags.out.c_str(),
              o.render ? "video.mp4, truth.json, truth_behavior.csv"
                       : "truth.json, truth_behavior.csv");
}

const bt::cli::CommandRegistration kRegistration(
    "", "", [](CLI::App& app, bt::cli::Context& context) {
      auto flags = std::make_shared<SynthFlags>();
      auto* cmd = app.add_subcommand(
          "synth",
          "Render synthetic top-view mice with exact ground truth (boxes, keypoints, ids, "
          "behaviour)");
      cmd->add_option("--out", flags->out,
                      "Output folder: video.mp4, truth.json, truth_behavior.csv, "
                      "synth_options.json (created if missing)")
          ->required();
      cmd->add_option("--mice", flags->options.n_mice, "Number of mice, 1..20 (default 5)");
      cmd->add_option("--seconds", flags->options.seconds,
                      "Video length in seconds (default 60)");
      cmd->add_option("--fps", flags->options.fps, "Frames per second (default 30)");
      cmd->add_option("--size", flags->size,
                      "Frame size WIDTHxHEIGHT in pixels, even numbers (default 640x480)");
      cmd->add_option("--seed", flags->options.seed,
                      "Random seed; the same options and seed give the same files (default 1)")
          ->check(bt::cli::seed_check());
      cmd->add_option("--arena", flags->arena,
                      "Floor: open (white plastic) or bedding (wood chips) (default open)");
      cmd->add_option("--noise", flags->options.noise,
                      "Scale of sensor noise, blur and illumination drift, 0..10; 0 = clean, "
                      "1 = noise sd 3.5 grey levels, blur sd 0.55 px, motion blur over half "
                      "a frame interval, gain drift +-7% (default 1)");
      cmd->add_flag("--truth-only", flags->truth_only,
                    "Simulate without rendering: write truth.json and truth_behavior.csv "
                    "only (fast)");
      cmd->footer(
          "The arena's longer side is 45 cm; a mouse is ~8.5 cm from nose to tail base. "
          "Behaviours (per mouse and frame): resting, rearing, running, self_grooming, "
          "exploring, fighting, allogrooming, close_investigation.");
      cmd->callback([flags, &context] { run_synth(*flags, context); });
    });

}  // namespace
