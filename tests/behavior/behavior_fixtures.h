// Hand-made tracks for the behaviour tests: mice whose keypoints follow simple, known
// motions per behaviour, so that features can be checked by hand and a classifier has
// something learnable. Deterministic for a seed.
#pragma once

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "behavtrack/core/instances_json.h"

namespace bt::test {

// A mouse at centre (cx, cy), heading `theta` (radians, tail -> nose), body length `len` px:
// nose/tail on the axis, ears a quarter length behind the nose, box 50 x 30 about the centre.
inline Instance make_mouse(int id, double cx, double cy, double theta, double len) {
  Instance m;
  const double dx = std::cos(theta), dy = std::sin(theta);
  const double px = -dy, py = dx;
  m.id = TrackId(id);
  m.box = Box::from_cxcywh(cx, cy, 50, 30);
  m.keypoints = {{cx + dx * len / 2, cy + dy * len / 2, Visibility::kVisible},
                 {cx + dx * len / 4 + px * len * 0.12, cy + dy * len / 4 + py * len * 0.12, Visibility::kVisible},
                 {cx + dx * len / 4 - px * len * 0.12, cy + dy * len / 4 - py * len * 0.12, Visibility::kVisible},
                 {cx - dx * len / 2, cy - dy * len / 2, Visibility::kVisible}};
  return m;
}

inline InstancesFile empty_tracks(double fps = 30, int width = 640, int height = 480) {
  InstancesFile f;
  f.header.video = "fixture.mp4";
  f.header.fps = fps;
  f.header.width = width;
  f.header.height = height;
  return f;
}

// The four individual behaviours the fixture can simulate.
inline std::vector<std::string> fixture_behaviors() { return {"resting", "rearing", "running", "exploring"}; }

// `n_mice` mice for `n_frames` frames; each mouse switches behaviour every 30-90 frames:
// resting = still and long; rearing = still, body shortened to 55% and swaying; running =
// 8 px/frame straight, turning at walls; exploring = 1.5 px/frame with the head sweeping.
// Every instance carries its behaviour (like synth's truth.json).
inline InstancesFile behaving_mice(int n_mice, int n_frames, unsigned seed) {
  InstancesFile f = empty_tracks();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  struct State {
    double x, y, theta;
    int behavior, left;
  };
  std::vector<State> mice;
  for (int m = 0; m < n_mice; ++m)
    mice.push_back({100 + 440 * u(rng), 100 + 280 * u(rng), 6.28 * u(rng), static_cast<int>(4 * u(rng)), 0});
  const auto names = fixture_behaviors();
  for (int t = 0; t < n_frames; ++t) {
    FrameInstances fi;
    fi.frame = t;
    for (int m = 0; m < n_mice; ++m) {
      State& s = mice[static_cast<std::size_t>(m)];
      if (s.left-- <= 0) {
        s.behavior = static_cast<int>(4 * u(rng));
        s.left = 30 + static_cast<int>(60 * u(rng));
      }
      const double noise = 0.3 * (u(rng) - 0.5);
      double len = 40, head = 0, step = 0;
      switch (s.behavior) {
        case 0: break;
        case 1: len = 22 + 2 * std::sin(t * 0.4); break;
        case 2: step = 8; s.theta += 0.02; break;
        default: step = 1.5; head = 0.6 * std::sin(t * 0.25); s.theta += 0.03 * std::sin(t * 0.05); break;
      }
      s.x += step * std::cos(s.theta);
      s.y += step * std::sin(s.theta);
      if (s.x < 40 || s.x > 600 || s.y < 40 || s.y > 440) {
        s.theta += 3.14159;
        s.x = std::clamp(s.x, 40.0, 600.0);
        s.y = std::clamp(s.y, 40.0, 440.0);
      }
      Instance inst = make_mouse(m + 1, s.x + noise, s.y - noise, s.theta, len);
      // The head sweep moves the nose sideways about the ears.
      inst.keypoints[0].x += head * 8 * -std::sin(s.theta);
      inst.keypoints[0].y += head * 8 * std::cos(s.theta);
      inst.behavior = names[static_cast<std::size_t>(s.behavior)];
      fi.instances.push_back(inst);
    }
    f.frames.push_back(fi);
  }
  return f;
}

}  // namespace bt::test
