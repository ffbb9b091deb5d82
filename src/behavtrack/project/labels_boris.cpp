// BORIS tabular event exports (CSV or TSV) to behaviour bouts of one video, and back.
// The header row holds at least Time, Subject, Behavior and Status (or "Behavior type")
// columns; rows before it (BORIS's observation preamble) are skipped. Status START/STOP
// pairs make a bout per subject and behaviour, POINT a one-frame bout. Times are media
// seconds: frame f (time f / fps after the start offset) belongs to [start, stop), so
//   start_frame = ceil((t_start - offset) * fps),  end_frame = ceil((t_stop - offset) * fps) - 1.
// A subject whose name ends in a number ("mouse 3") is track 3; other names get 1, 2, ...
// in order of appearance. Behaviour names match the project's exactly or after lower-casing
// and turning spaces/hyphens into underscores ("Self grooming" -> self_grooming).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <regex>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/project/labels_internal.h"

namespace bt::project::labels {
namespace fs = std::filesystem;

namespace {

std::string normalise(std::string s) {
  for (char& c : s) c = (c == ' ' || c == '-') ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

struct Open {
  double t = 0;
  int line = 0;
};

}  // namespace

ImportBatch parse_boris(const Project& p, const ImportOptions& o) {
  const fs::path file = o.path;
  const std::string subject = "boris import: " + file_subject(file);
  const VideoRecord video = target_video(p, o.video_id, "boris import");
  const double fps = o.fps > 0 ? o.fps : video.fps;
  if (!(fps > 0)) throw_invalid(subject + ": the frame rate is unknown; pass --fps");
  std::ifstream in(file);
  if (!in) throw_io(subject + ": cannot read");
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  // Find the header row.
  int header = -1;
  char sep = ',';
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < lines.size() && header < 0; ++i) {
    for (char s : {'\t', ','}) {
      const auto f = split_fields(lines[i], s);
      std::map<std::string, std::size_t> c;
      for (std::size_t j = 0; j < f.size(); ++j) c[f[j]] = j;
      if (c.count("Time") && c.count("Subject") && c.count("Behavior") && (c.count("Status") || c.count("Behavior type"))) {
        header = static_cast<int>(i);
        sep = s;
        col = c;
        break;
      }
    }
  }
  if (header < 0) throw_invalid(subject + ": no header row with Time, Subject, Behavior and Status columns; is this a BORIS tabular events export?");
  const std::size_t status_col = col.count("Status") ? col["Status"] : col["Behavior type"];
  const std::size_t n_cols = split_fields(lines[header], sep).size();
  std::map<std::string, std::string> behaviour_of;
  for (const auto& b : p.behaviors()) behaviour_of[normalise(b)] = b;
  std::map<std::string, int> track_of;
  std::map<std::pair<int, std::string>, Open> open;
  struct Raw {
    Bout bout;
    int line;
  };
  std::vector<Raw> raw;
  auto to_frame = [&](double t) { return (t - o.start_offset_s) * fps; };
  auto clamp = [&](FrameIndex f) { return std::clamp<FrameIndex>(f, 0, std::max<std::int64_t>(0, video.n_frames - 1)); };
  for (std::size_t i = header + 1; i < lines.size(); ++i) {
    const int line_no = static_cast<int>(i + 1);
    if (lines[i].find_first_not_of(" \t\r,") == std::string::npos) continue;
    const auto f = split_fields(lines[i], sep);
    const std::string where = subject + " line " + std::to_string(line_no);
    if (f.size() != n_cols)
      throw_invalid(where + ": expected " + std::to_string(n_cols) + " columns (as the header), got " + std::to_string(f.size()));
    const double t = parse_number(f[col["Time"]], where + " Time");
    const std::string& subj = f[col["Subject"]];
    auto b = behaviour_of.find(normalise(f[col["Behavior"]]));
    if (b == behaviour_of.end())
      throw_invalid(where + " Behavior: " + bt::quoted(f[col["Behavior"]]) + " is not one of the project's behaviours");
    auto tr = track_of.find(subj);
    if (tr == track_of.end()) {
      std::smatch m;
      int id = static_cast<int>(track_of.size()) + 1;
      if (std::regex_search(subj, m, std::regex(R"((\d+)\s*$)")) && std::stoi(m[1]) > 0) id = std::stoi(m[1]);
      tr = track_of.emplace(subj, id).first;
    }
    const int track = tr->second;
    const std::string status = upper(f[status_col]);
    const auto key = std::make_pair(track, b->second);
    if (status == "START") {
      if (open.count(key)) throw_invalid(where + ": START of " + bt::quoted(b->second) + " for " + bt::quoted(subj) + " while one is open since line " + std::to_string(open[key].line));
      open[key] = {t, line_no};
    } else if (status == "STOP") {
      const auto it = open.find(key);
      if (it == open.end()) throw_invalid(where + ": STOP of " + bt::quoted(b->second) + " for " + bt::quoted(subj) + " without a START");
      const FrameIndex s = clamp(static_cast<FrameIndex>(std::ceil(to_frame(it->second.t) - 1e-6)));
      const FrameIndex e = clamp(std::max(s, static_cast<FrameIndex>(std::ceil(to_frame(t) - 1e-6)) - 1));
      raw.push_back({{0, video.id, TrackId(track), b->second, s, e, 0}, it->second.line});
      open.erase(it);
    } else if (status == "POINT") {
      const FrameIndex fr = clamp(static_cast<FrameIndex>(std::llround(to_frame(t))));
      raw.push_back({{0, video.id, TrackId(track), b->second, fr, fr, 0}, line_no});
    } else {
      throw_invalid(where + " Status: expected START, STOP or POINT, got " + bt::quoted(f[status_col]));
    }
  }
  if (!open.empty())
    throw_invalid(subject + " line " + std::to_string(open.begin()->second.line) + ": START of " +
                  bt::quoted(open.begin()->first.second) + " has no STOP");
  std::sort(raw.begin(), raw.end(), [](const Raw& a, const Raw& b) {
    return a.bout.track.value != b.bout.track.value ? a.bout.track.value < b.bout.track.value
                                                    : a.bout.start_frame < b.bout.start_frame;
  });
  for (std::size_t i = 1; i < raw.size(); ++i)
    if (raw[i].bout.track == raw[i - 1].bout.track && raw[i].bout.start_frame <= raw[i - 1].bout.end_frame)
      throw_invalid(subject + " line " + std::to_string(raw[i].line) + ": " + bt::quoted(raw[i].bout.behavior) +
                    " overlaps " + bt::quoted(raw[i - 1].bout.behavior) + " (line " + std::to_string(raw[i - 1].line) +
                    ") for track " + std::to_string(raw[i].bout.track.value) +
                    "; behavtrack keeps one behaviour per animal and frame");
  ImportBatch batch;
  batch.bouts_video = video.id;
  // Imported labels are a person's work (manual, confirmed) unless the import says
  // otherwise, as for instances.
  for (Raw& r : raw) {
    r.bout.source = o.confirmed ? Source::kManual : Source::kPredicted;
    r.bout.confirmed = o.confirmed;
    batch.bouts.push_back(r.bout);
  }
  return batch;
}

std::int64_t write_boris(const Project& p, const ExportOptions& o, const fs::path& out, std::int64_t* skipped) {
  const VideoRecord video = target_video(p, o.video_id, "boris export");
  if (!(video.fps > 0)) throw_invalid("boris export: video " + std::to_string(video.id) + " has no frame rate");
  const char sep = o.path.extension() == ".csv" ? ',' : '\t';
  struct Event {
    double t;
    int order;
    std::string subject, behavior, status;
  };
  std::vector<Event> events;
  const std::vector<Bout> all = p.list_bouts(video.id);
  std::size_t unconfirmed = 0;
  const std::vector<Bout> bouts = o.include_unconfirmed ? all : confirmed_bouts(all, &unconfirmed);
  *skipped = static_cast<std::int64_t>(unconfirmed);
  for (const Bout& b : bouts) {
    const std::string subj = "mouse " + std::to_string(b.track.value);
    events.push_back({b.start_frame / video.fps, 1, subj, b.behavior, "START"});
    events.push_back({(b.end_frame + 1) / video.fps, 0, subj, b.behavior, "STOP"});
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.t != b.t ? a.t < b.t : a.order < b.order; });
  AtomicFile f(out);
  auto& s = f.stream();
  const std::string media = video.path.filename().string();
  s << "Observation id" << sep << "Media file name" << sep << "FPS" << sep << "Subject" << sep << "Behavior" << sep
    << "Behavior type" << sep << "Time" << sep << "Status\n";
  for (const Event& e : events)
    s << "behavtrack" << sep << media << sep << fmt::format("{}", video.fps) << sep << e.subject << sep << e.behavior
      << sep << "STATE" << sep << fmt::format("{}", e.t) << sep << e.status << '\n';
  f.commit();
  return static_cast<std::int64_t>(bouts.size());
}

}  // namespace bt::project::labels
