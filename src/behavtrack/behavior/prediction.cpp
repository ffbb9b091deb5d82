#include "behavtrack/behavior/prediction.h"

#include <fmt/format.h>

#include <algorithm>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"

namespace bt::behavior {

std::vector<Bout> prediction_bouts(const MousePrediction& mouse) {
  return extract_bouts(mouse.id, mouse.frames, mouse.classes);
}

namespace {
double seconds(FrameIndex frame, double fps) { return fps > 0 ? static_cast<double>(frame) / fps : 0.0; }
}  // namespace

void write_behavior_csv(const std::filesystem::path& path, const BehaviorPrediction& p) {
  const std::size_t k = p.behaviors.size();
  struct Row {
    FrameIndex frame;
    int id;
    const MousePrediction* mouse;
    std::size_t t;
  };
  std::vector<Row> rows;
  for (const auto& m : p.mice)
    for (std::size_t t = 0; t < m.frames.size(); ++t) rows.push_back({m.frames[t], m.id.value, &m, t});
  std::sort(rows.begin(), rows.end(),
            [](const Row& a, const Row& b) { return a.frame != b.frame ? a.frame < b.frame : a.id < b.id; });
  AtomicFile out(path);
  auto& s = out.stream();
  s << "frame,time_s,id,behavior,confidence";
  for (const auto& b : p.behaviors) s << ',' << b << "_p";
  s << '\n';
  for (const auto& r : rows) {
    const float* pr = r.mouse->proba.data() + r.t * k;
    const int c = r.mouse->classes[r.t];
    s << fmt::format("{},{:.4f},{},{},{:.4f}", r.frame, seconds(r.frame, p.fps), r.id, p.behaviors[static_cast<std::size_t>(c)],
                     pr[c]);
    for (std::size_t j = 0; j < k; ++j) s << fmt::format(",{:.4f}", pr[j]);
    s << '\n';
  }
  out.commit();
}

void write_bouts_csv(const std::filesystem::path& path, const BehaviorPrediction& p) {
  AtomicFile out(path);
  auto& s = out.stream();
  s << "id,behavior,start_frame,end_frame,start_s,duration_s\n";
  for (const auto& m : p.mice) {
    for (const auto& b : prediction_bouts(m)) {
      s << fmt::format("{},{},{},{},{:.4f},{:.4f}\n", b.id.value, p.behaviors[static_cast<std::size_t>(b.class_index)],
                       b.start, b.end, seconds(b.start, p.fps), static_cast<double>(b.length()) / (p.fps > 0 ? p.fps : 1));
    }
  }
  out.commit();
}

}  // namespace bt::behavior
