#include "behavtrack/track/detections_io.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "behavtrack/core/error.h"

namespace bt::track {
namespace fs = std::filesystem;
namespace {

bool parse_double(const std::string& token, double& out) {
  char* end = nullptr;
  out = std::strtod(token.c_str(), &end);
  return end != token.c_str() && *end == '\0' && std::isfinite(out);
}

// The last run of digits in a file stem: "cage1_frame_000123" -> 123.
bool frame_number(const std::string& stem, long long& out) {
  const auto last = stem.find_last_of("0123456789");
  if (last == std::string::npos) return false;
  auto first = last;
  while (first > 0 && std::isdigit(static_cast<unsigned char>(stem[first - 1]))) --first;
  out = std::stoll(stem.substr(first, last - first + 1));
  return true;
}

std::string fmt_num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

void YoloReadOptions::validate() const {
  if (width_px <= 0 || height_px <= 0)
    throw_invalid("YOLO labels: image size " + std::to_string(width_px) + "x" + std::to_string(height_px) +
                  " unknown; pass --width and --height (pixels) or --video");
  if (frame_base < 0) throw_invalid("YOLO labels: frame_base = " + std::to_string(frame_base) + ": must be >= 0");
  skeleton.validate();
}

Instance parse_yolo_pose_line(const std::string& line, const YoloReadOptions& o, const std::string& where) {
  std::istringstream ss(line);
  std::vector<double> v;
  std::string token;
  while (ss >> token) {
    double x = 0;
    if (!parse_double(token, x)) throw_invalid(where + ": '" + token + "' is not a number");
    v.push_back(x);
  }
  const int k = o.skeleton.size();
  const size_t n = v.size();
  int per_kp = 0;
  bool has_conf = false;
  if (n == 5u + 3 * k) per_kp = 3;
  else if (n == 6u + 3 * k) per_kp = 3, has_conf = true;
  else if (n == 5u + 2 * k) per_kp = 2;
  else if (n == 6u + 2 * k) per_kp = 2, has_conf = true;
  else
    throw_invalid(where + ": " + std::to_string(n) + " values; expected 5 + 3 x " + std::to_string(k) + " = " +
                  std::to_string(5 + 3 * k) + " (class xc yc w h, then x y v per keypoint of " +
                  std::to_string(k) + ")");
  const double W = o.width_px, H = o.height_px;
  Instance inst;
  inst.box = Box::from_cxcywh(v[1] * W, v[2] * H, v[3] * W, v[4] * H);
  if (!inst.box.valid()) throw_invalid(where + ": box width and height must be > 0");
  for (int i = 0; i < k; ++i) {
    const double x = v[5 + per_kp * i], y = v[6 + per_kp * i];
    Visibility vis = Visibility::kVisible;
    if (per_kp == 3) {
      const double raw = v[7 + per_kp * i];
      // Predictions write a keypoint confidence where labels write 0/1/2.
      if (raw == 0 || raw == 1 || raw == 2) vis = visibility_from_int(static_cast<int>(raw));
      else if (raw > 0 && raw < 1) vis = raw >= 0.5 ? Visibility::kVisible : Visibility::kOccluded;
      else throw_invalid(where + ": keypoint " + std::to_string(i) + " visibility " + std::to_string(raw) + ": must be 0, 1, 2 or a confidence in (0, 1)");
    }
    if (x == 0 && y == 0) vis = Visibility::kAbsent;  // the convention for a missing keypoint
    inst.keypoints.push_back({x * W, y * H, vis});
  }
  inst.score = has_conf ? static_cast<float>(v.back()) : 1.0f;
  return inst;
}

std::vector<FrameInstances> read_yolo_pose_folder(const fs::path& folder, const YoloReadOptions& o) {
  o.validate();
  if (!fs::is_directory(folder)) throw_not_found("YOLO labels " + quoted(folder.string()) + ": no such folder");
  std::map<FrameIndex, FrameInstances> frames;
  std::map<FrameIndex, fs::path> seen;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".txt") continue;
    long long number = 0;
    if (!frame_number(entry.path().stem().string(), number))
      throw_invalid("YOLO labels " + quoted(entry.path().string()) + ": no frame number in the file name");
    const FrameIndex frame = number - o.frame_base;
    if (frame < 0)
      throw_invalid("YOLO labels " + quoted(entry.path().string()) + ": frame " + std::to_string(number) +
                    " is below the first frame number " + std::to_string(o.frame_base));
    if (seen.count(frame))
      throw_invalid("YOLO labels " + quoted(entry.path().string()) + ": frame " + std::to_string(frame) +
                    " also comes from " + quoted(seen[frame].string()));
    seen[frame] = entry.path();
    std::ifstream in(entry.path());
    if (!in) throw_io("YOLO labels " + quoted(entry.path().string()) + ": cannot read");
    FrameInstances& f = frames[frame];
    f.frame = frame;
    std::string line;
    for (int line_no = 1; std::getline(in, line); ++line_no) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      f.instances.push_back(
          parse_yolo_pose_line(line, o, "YOLO labels " + quoted(entry.path().string()) + " line " + std::to_string(line_no)));
    }
  }
  if (seen.empty()) throw_invalid("YOLO labels " + quoted(folder.string()) + ": no .txt label files");
  std::vector<FrameInstances> out;
  out.reserve(frames.size());
  for (auto& [f, fi] : frames) out.push_back(std::move(fi));
  return out;
}

std::string tracks_csv_header(const Skeleton& s) {
  std::string h = "frame,time_s,id,x1,y1,x2,y2,score";
  for (const std::string& k : s.keypoints) h += "," + k + "_x," + k + "_y," + k + "_v," + k + "_score";
  return h + "\n";
}

TracksCsvWriter::TracksCsvWriter(const fs::path& path, const InstancesHeader& header)
    : file_(path), header_(header) {
  file_.stream() << tracks_csv_header(header_.skeleton);
}

void TracksCsvWriter::add_frame(const FrameInstances& frame) {
  std::ostream& out = file_.stream();
  const double t = header_.fps > 0 ? frame.frame / header_.fps : 0.0;
  for (const Instance& inst : frame.instances) {
    out << frame.frame << ',' << fmt_num(t) << ',';
    if (inst.id) out << inst.id->value;
    out << ',' << fmt_num(inst.box.x1) << ',' << fmt_num(inst.box.y1) << ',' << fmt_num(inst.box.x2) << ','
        << fmt_num(inst.box.y2) << ',' << fmt_num(inst.score);
    for (size_t k = 0; k < inst.keypoints.size(); ++k) {
      const Keypoint& kp = inst.keypoints[k];
      if (kp.present()) out << ',' << fmt_num(kp.x) << ',' << fmt_num(kp.y) << ',' << to_int(kp.v) << ',';
      else out << ",,,0,";
      if (k < inst.keypoint_scores.size()) out << fmt_num(inst.keypoint_scores[k]);
    }
    out << '\n';
  }
}

void TracksCsvWriter::commit() { file_.commit(); }

void write_tracks_csv(const fs::path& path, const InstancesFile& tracks) {
  TracksCsvWriter w(path, tracks.header);
  for (const FrameInstances& f : tracks.frames) w.add_frame(f);
  w.commit();
}

}  // namespace bt::track
