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

// The tabular header: its line, separator and column of each name.
struct BorisHeader {
  std::size_t line = 0;
  char sep = ',';
  std::map<std::string, std::size_t> column;
  std::size_t status_column = 0;  // Status, or an older export's "Behavior type"
  std::size_t n_columns = 0;
};

// The first line, tab- or comma-separated, naming Time, Subject, Behavior and Status.
BorisHeader find_header(const std::vector<std::string>& lines, const std::string& subject) {
  for (std::size_t i = 0; i < lines.size(); ++i)
    for (char sep : {'\t', ','}) {
      const auto fields = split_fields(lines[i], sep);
      BorisHeader h{i, sep, {}, 0, fields.size()};
      for (std::size_t j = 0; j < fields.size(); ++j) h.column[fields[j]] = j;
      const auto has = [&](const char* name) { return h.column.count(name) > 0; };
      if (!has("Time") || !has("Subject") || !has("Behavior") || !(has("Status") || has("Behavior type"))) continue;
      h.status_column = has("Status") ? h.column["Status"] : h.column["Behavior type"];
      return h;
    }
  throw_invalid(subject + ": no header row with Time, Subject, Behavior and Status columns; is this a BORIS tabular events export?");
}

// Subjects to track ids: a trailing number is the id ("mouse 3" -> 3), other names get
// 1, 2, ... in order of appearance.
class SubjectTracks {
 public:
  int track_of(const std::string& subject) {
    auto it = ids_.find(subject);
    if (it == ids_.end()) {
      static const std::regex kTrailingNumber(R"((\d+)\s*$)");
      std::smatch m;
      int id = static_cast<int>(ids_.size()) + 1;
      if (std::regex_search(subject, m, kTrailingNumber) && std::stoi(m[1]) > 0) id = std::stoi(m[1]);
      it = ids_.emplace(subject, id).first;
    }
    return it->second;
  }

 private:
  std::map<std::string, int> ids_;
};

// A bout with the line it started on, for messages.
struct LineBout {
  Bout bout;
  int line = 0;
};

// Pairs START and STOP events per track and behaviour into bouts of frames; POINT is a
// one-frame bout. Frames are clamped to the video.
class BoutPairing {
 public:
  BoutPairing(const VideoRecord& video, double fps, double start_offset_s)
      : video_(video), fps_(fps), offset_s_(start_offset_s) {}

  void add(double t, int track, const std::string& behaviour, const std::string& status, const std::string& subj,
           int line, const std::string& where) {
    const auto key = std::make_pair(track, behaviour);
    if (status == "START") {
      if (open_.count(key))
        throw_invalid(where + ": START of " + bt::quoted(behaviour) + " for " + bt::quoted(subj) +
                      " while one is open since line " + std::to_string(open_[key].line));
      open_[key] = {t, line};
    } else if (status == "STOP") {
      const auto it = open_.find(key);
      if (it == open_.end())
        throw_invalid(where + ": STOP of " + bt::quoted(behaviour) + " for " + bt::quoted(subj) + " without a START");
      const FrameIndex s = clamp(static_cast<FrameIndex>(std::ceil(to_frame(it->second.t) - 1e-6)));
      const FrameIndex e = clamp(std::max(s, static_cast<FrameIndex>(std::ceil(to_frame(t) - 1e-6)) - 1));
      bouts_.push_back({{0, video_.id, TrackId(track), behaviour, s, e, 0}, it->second.line});
      open_.erase(it);
    } else {  // POINT
      const FrameIndex f = clamp(static_cast<FrameIndex>(std::llround(to_frame(t))));
      bouts_.push_back({{0, video_.id, TrackId(track), behaviour, f, f, 0}, line});
    }
  }

  // The bouts by track and start; throws for a START never stopped or two bouts of one
  // track that overlap.
  std::vector<LineBout> finish(const std::string& subject) {
    if (!open_.empty())
      throw_invalid(subject + " line " + std::to_string(open_.begin()->second.line) + ": START of " +
                    bt::quoted(open_.begin()->first.second) + " has no STOP");
    std::sort(bouts_.begin(), bouts_.end(), [](const LineBout& a, const LineBout& b) {
      return a.bout.track.value != b.bout.track.value ? a.bout.track.value < b.bout.track.value
                                                      : a.bout.start_frame < b.bout.start_frame;
    });
    for (std::size_t i = 1; i < bouts_.size(); ++i) {
      const LineBout &a = bouts_[i - 1], &b = bouts_[i];
      if (b.bout.track == a.bout.track && b.bout.start_frame <= a.bout.end_frame)
        throw_invalid(subject + " line " + std::to_string(b.line) + ": " + bt::quoted(b.bout.behavior) + " overlaps " +
                      bt::quoted(a.bout.behavior) + " (line " + std::to_string(a.line) + ") for track " +
                      std::to_string(b.bout.track.value) + "; behavtrack keeps one behaviour per animal and frame");
    }
    return bouts_;
  }

 private:
  struct Open {
    double t = 0;
    int line = 0;
  };
  double to_frame(double t) const { return (t - offset_s_) * fps_; }
  FrameIndex clamp(FrameIndex f) const {
    return std::clamp<FrameIndex>(f, 0, std::max<std::int64_t>(0, video_.n_frames - 1));
  }

  const VideoRecord& video_;
  const double fps_, offset_s_;
  std::map<std::pair<int, std::string>, Open> open_;
  std::vector<LineBout> bouts_;
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
  BorisHeader h = find_header(lines, subject);
  std::map<std::string, std::string> behaviour_of;  // normalised name -> the project's
  for (const auto& b : p.behaviors()) behaviour_of[normalise(b)] = b;
  SubjectTracks tracks;
  BoutPairing pairing(video, fps, o.start_offset_s);
  for (std::size_t i = h.line + 1; i < lines.size(); ++i) {
    const int line_no = static_cast<int>(i + 1);
    if (lines[i].find_first_not_of(" \t\r,") == std::string::npos) continue;
    const auto f = split_fields(lines[i], h.sep);
    const std::string where = subject + " line " + std::to_string(line_no);
    if (f.size() != h.n_columns)
      throw_invalid(where + ": expected " + std::to_string(h.n_columns) + " columns (as the header), got " +
                    std::to_string(f.size()));
    const double t = parse_number(f[h.column["Time"]], where + " Time");
    const std::string& behaviour = f[h.column["Behavior"]];
    const auto b = behaviour_of.find(normalise(behaviour));
    if (b == behaviour_of.end())
      throw_invalid(where + " Behavior: " + bt::quoted(behaviour) + " is not one of the project's behaviours");
    const std::string status = upper(f[h.status_column]);
    if (status != "START" && status != "STOP" && status != "POINT")
      throw_invalid(where + " Status: expected START, STOP or POINT, got " + bt::quoted(f[h.status_column]));
    const std::string& subj = f[h.column["Subject"]];
    pairing.add(t, tracks.track_of(subj), b->second, status, subj, line_no, where);
  }
  ImportBatch batch;
  batch.bouts_video = video.id;
  // Imported labels are a person's work (manual, confirmed) unless the import says
  // otherwise, as for instances.
  for (LineBout& r : pairing.finish(subject)) {
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
