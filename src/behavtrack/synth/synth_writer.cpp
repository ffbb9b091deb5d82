// write_synth: streams a SynthVideo into the video encoder, the Instances JSON writer and
// the behaviour CSV; all outputs are committed together at the end.
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/instances_json.h"
#include "behavtrack/core/log.h"
#include "behavtrack/synth/synth.h"
#include "behavtrack/video/video_writer.h"

namespace bt::synth {
namespace {

namespace fs = std::filesystem;

// The frame rate as the encoder's rational: NTSC rates (30000/1001...) exactly, others to
// a thousandth of a frame per second.
video::Rational to_rational(double fps) {
  const double ntsc = fps * 1.001;
  if (std::abs(ntsc - std::round(ntsc)) < 1e-4 && std::abs(fps - std::round(fps)) > 1e-6)
    return {static_cast<int>(std::lround(ntsc)) * 1000, 1001};
  const long num = std::lround(fps * 1000);
  const long g = std::gcd(num, 1000L);
  return {static_cast<int>(num / g), static_cast<int>(1000 / g)};
}

void make_output_dir(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw_invalid("synth: output " + quoted(dir.string()) + " is a file, not a folder");
  fs::create_directories(dir, ec);
  if (ec) throw_io("synth: cannot create " + quoted(dir.string()) + ": " + ec.message());
}

std::string options_json(const SynthOptions& o) {
  nlohmann::ordered_json j;
  j["format"] = "behavtrack.synth_options/1";
  j["n_mice"] = o.n_mice;
  j["seconds"] = o.seconds;
  j["fps"] = o.fps;
  j["width"] = o.width;
  j["height"] = o.height;
  j["seed"] = o.seed;
  j["arena"] = o.arena == Arena::kBedding ? "bedding" : "open";
  j["noise"] = o.noise;
  j["render"] = o.render;
  return j.dump(2) + "\n";
}

}  // namespace

void write_synth(const SynthOptions& options, const fs::path& out_dir,
                 const ProgressCallback& progress) {
  options.validate();
  make_output_dir(out_dir);
  SynthVideo sim(options);

  std::unique_ptr<video::VideoWriter> video;
  if (options.render) {
    video::WriterOptions w;
    w.width = options.width;
    w.height = options.height;
    w.fps = to_rational(options.fps);
    // x264's fastest preset: with sensor noise, "veryfast" costs ~7 ms a frame at 640x480
    // here against ~1.5 ms, and the encoder is most of synth's time. CRF 24 keeps the
    // noise and fur shading visible.
    w.preset = "ultrafast";
    w.crf = 24;
    video = std::make_unique<video::VideoWriter>(out_dir / "video.mp4", w);
  }
  InstancesHeader header;
  header.video = options.render ? "video.mp4" : "";
  header.fps = options.fps;
  header.width = options.width;
  header.height = options.height;
  header.skeleton = SynthVideo::skeleton();
  InstancesJsonWriter truth(out_dir / "truth.json", header);
  AtomicFile csv(out_dir / "truth_behavior.csv");
  csv.stream() << "frame,time_s,id,behavior,partner_id\n";

  Progress p("synth " + out_dir.string(), options.n_frames(), progress);
  SynthFrame frame;
  while (sim.next(frame)) {
    if (video) video->write(frame.image);
    truth.add_frame(frame.truth);
    for (std::size_t i = 0; i < frame.truth.instances.size(); ++i) {
      const Instance& inst = frame.truth.instances[i];
      const int partner = frame.partner_ids[i];
      csv.stream() << fmt::format("{},{:.4f},{},{},{}\n", frame.index, frame.time_s,
                                  inst.id->value, inst.behavior,
                                  partner > 0 ? std::to_string(partner) : std::string());
    }
    p.advance();
  }
  if (!csv.stream()) throw_io("synth: writing " + quoted((out_dir / "truth_behavior.csv").string()) + " failed");
  // The slow, likeliest-to-fail step first; then the small files.
  if (video) video->close();
  truth.commit();
  csv.commit();
  write_file_atomically(out_dir / "synth_options.json", options_json(options));
  p.finish();
  log_debug("synth: wrote {} frames of {} mice to {}", options.n_frames(), options.n_mice,
            out_dir.string());
}

}  // namespace bt::synth
