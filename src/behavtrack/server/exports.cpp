#include "behavtrack/server/exports.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <tuple>

namespace bt::server {

namespace {

// RFC 4180 quoting for fields that may hold commas or quotes (file names, behaviour names).
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

struct Event {
  double time_s;
  FrameIndex image_index;
  bool start;
  const Bout* bout;
};

}  // namespace

std::string boris_events_csv(const VideoRow& video, std::vector<Bout> bouts) {
  const double fps = video.fps > 0 ? video.fps : 1.0;
  std::vector<Event> events;
  for (const Bout& b : bouts) {
    events.push_back({b.start_frame / fps, b.start_frame, true, &b});
    events.push_back({(b.end_frame + 1) / fps, b.end_frame, false, &b});
  }
  // STOP before START at equal times so that back-to-back bouts never overlap.
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.time_s, a.start) < std::tie(b.time_s, b.start);
  });
  const std::string media = csv_field(std::filesystem::path(video.path).filename().string());
  const std::string observation = csv_field(std::filesystem::path(video.path).stem().string());
  std::string out =
      "Observation id,Media file,Total length,FPS,Subject,Behavior,Behavioral category,"
      "Comment,Status,Time,Image index\n";
  for (const Event& e : events)
    out += fmt::format("{},{},{:.3f},{},mouse {},{},,,{},{:.3f},{}\n", observation, media,
                       video.n_frames / fps, fps, e.bout->track_id, csv_field(e.bout->behavior),
                       e.start ? "START" : "STOP", e.time_s, e.image_index);
  return out;
}

std::string per_frame_labels_csv(const VideoRow& video, std::vector<Bout> bouts) {
  const double fps = video.fps > 0 ? video.fps : 1.0;
  struct Row {
    FrameIndex frame;
    int id;
    std::string behavior;
  };
  std::vector<Row> rows;
  for (const Bout& b : bouts)
    for (FrameIndex f = b.start_frame; f <= b.end_frame; ++f) rows.push_back({f, b.track_id, b.behavior});
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.frame, a.id, a.behavior) < std::tie(b.frame, b.id, b.behavior);
  });
  std::string out = "frame,time_s,id,behavior\n";
  for (const Row& r : rows)
    out += fmt::format("{},{:.6f},{},{}\n", r.frame, r.frame / fps, r.id, csv_field(r.behavior));
  return out;
}

}  // namespace bt::server
