#include "behavtrack/synth/synth.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "behavtrack/core/error.h"
#include "behavtrack/synth/colony.h"
#include "behavtrack/synth/scene_renderer.h"

namespace bt::synth {
namespace {

std::string number(double v) {
  std::string s = std::to_string(v);
  // to_string prints 6 decimals; trim the zeros for messages ("0.5", not "0.500000").
  if (s.find('.') != std::string::npos) {
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

[[noreturn]] void bad_option(const std::string& field, const std::string& value,
                             const std::string& expected) {
  throw_invalid("synth options: " + field + ": expected " + expected + ", got " + value);
}

}  // namespace

void SynthOptions::validate() const {
  if (n_mice < 1 || n_mice > kMaxMice)
    bad_option("n_mice", std::to_string(n_mice), "1.." + std::to_string(kMaxMice));
  if (!(seconds > 0) || !(seconds <= kMaxSeconds))
    bad_option("seconds", number(seconds), "a duration in (0, " + number(kMaxSeconds) + "] s");
  if (!(fps > 0) || !(fps <= kMaxFps))
    bad_option("fps", number(fps), "a frame rate in (0, " + number(kMaxFps) + "]");
  for (const auto& [field, value] : {std::pair{"width", width}, std::pair{"height", height}}) {
    if (value < kMinSidePx || value > kMaxSidePx || value % 2 != 0)
      bad_option(field, std::to_string(value),
                 "an even number of pixels in " + std::to_string(kMinSidePx) + ".." +
                     std::to_string(kMaxSidePx));
  }
  // A mouse (~8.5 cm) must fit across the arena, whose longer side is 45 cm.
  if (std::max(width, height) > 3 * std::min(width, height))
    bad_option("width x height", std::to_string(width) + "x" + std::to_string(height),
               "a frame at most 3 times as long as it is wide");
  if (!(noise >= 0) || !(noise <= kMaxNoise))
    bad_option("noise", number(noise), "a scale in [0, " + number(kMaxNoise) + "]");
  if (n_frames() < 1)
    bad_option("seconds", number(seconds), "at least one frame at " + number(fps) + " fps");
}

std::int64_t SynthOptions::n_frames() const {
  return static_cast<std::int64_t>(std::llround(seconds * fps));
}

struct SynthVideo::Impl {
  SynthOptions options;
  SceneRenderer renderer;
  Colony colony;
  FrameIndex next_index = 0;
  std::vector<MouseTruth> truth;

  static SceneOptions scene_options(const SynthOptions& o) {
    SceneOptions s;
    s.width_px = o.width;
    s.height_px = o.height;
    s.bedding = o.arena == Arena::kBedding;
    s.noise = o.noise;
    s.fps = o.fps;
    s.seed = o.seed;
    s.draw = o.render;
    return s;
  }

  explicit Impl(const SynthOptions& o)
      : options(o),
        renderer(scene_options(o)),
        colony(o.n_mice, renderer.layout().width_cm(), renderer.layout().height_cm(), o.seed) {
    // Two simulated seconds before frame 0 let poses settle and tails trail, so the first
    // frame already looks like the middle of a recording.
    const int warm_up_steps = static_cast<int>(std::lround(kWarmUpS * o.fps));
    for (int i = 0; i < warm_up_steps; ++i) colony.step(1.0 / o.fps);
  }
  static constexpr double kWarmUpS = 2.0;
};

SynthVideo::SynthVideo(SynthOptions options) {
  options.validate();
  impl_ = std::make_unique<Impl>(options);
}

SynthVideo::~SynthVideo() = default;

const SynthOptions& SynthVideo::options() const { return impl_->options; }
const cv::Mat& SynthVideo::background() const { return impl_->renderer.background(); }
double SynthVideo::px_per_cm() const { return impl_->renderer.layout().px_per_cm; }

bool SynthVideo::next(SynthFrame& frame) {
  Impl& s = *impl_;
  if (s.next_index >= s.options.n_frames()) return false;
  const double dt = 1.0 / s.options.fps;
  if (s.next_index > 0) s.colony.step(dt);
  frame.index = s.next_index++;
  frame.time_s = static_cast<double>(frame.index) / s.options.fps;

  const std::vector<MouseState>& mice = s.colony.mice();
  s.renderer.rasterize(mice, frame.labels, s.truth);
  frame.truth.frame = frame.index;
  frame.truth.instances.resize(mice.size());
  frame.partner_ids.resize(mice.size());
  for (std::size_t i = 0; i < mice.size(); ++i) {
    Instance& inst = frame.truth.instances[i];
    inst.box = s.truth[i].box;
    inst.keypoints = s.truth[i].keypoints;
    inst.keypoint_scores.clear();
    inst.score = 1.0f;
    inst.id = TrackId(mice[i].id);
    inst.behavior = behavior_name(mice[i].behavior);
    frame.partner_ids[i] = mice[i].partner_id;
  }
  if (s.options.render)
    s.renderer.render(mice, frame.time_s, frame.image);
  else
    frame.image.release();
  return true;
}

std::vector<FrameInstances> simulate_truth(SynthOptions options) {
  options.render = false;
  SynthVideo sim(options);
  SynthFrame f;
  std::vector<FrameInstances> out;
  while (sim.next(f)) out.push_back(f.truth);
  return out;
}

}  // namespace bt::synth
