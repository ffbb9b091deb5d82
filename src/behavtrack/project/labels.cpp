#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <cmath>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/project/frame_images.h"
#include "behavtrack/project/labels_internal.h"

namespace bt::project {
namespace fs = std::filesystem;
using namespace labels;

const char* to_string(LabelFormat f) {
  switch (f) {
    case LabelFormat::kBehavtrack: return "behavtrack";
    case LabelFormat::kBehavtrackAnnotation: return "behavtrack-annotation";
    case LabelFormat::kYolo: return "yolo";
    case LabelFormat::kCoco: return "coco";
    case LabelFormat::kDlc: return "dlc";
    case LabelFormat::kNpy: return "npy";
    case LabelFormat::kBoris: return "boris";
  }
  return "?";
}

LabelFormat label_format_from_string(const std::string& s) {
  for (LabelFormat f : {LabelFormat::kBehavtrack, LabelFormat::kBehavtrackAnnotation, LabelFormat::kYolo,
                        LabelFormat::kCoco, LabelFormat::kDlc, LabelFormat::kNpy, LabelFormat::kBoris})
    if (s == to_string(f)) return f;
  throw_invalid("format " + bt::quoted(s) + ": expected behavtrack, behavtrack-annotation, yolo, coco, dlc, npy or boris");
}

void ImportOptions::validate() const {
  if (path.empty()) throw_invalid("import options: path: required");
  // A derived box around a single keypoint needs a positive margin to have an area.
  if (!(derived_box_margin_px > 0)) throw_invalid("import options: derived_box_margin_px " +
                                                  std::to_string(derived_box_margin_px) + ": must be > 0");
  if (!(fps >= 0) || !std::isfinite(fps)) throw_invalid("import options: fps " + std::to_string(fps) + ": must be >= 0");
  if (!std::isfinite(start_offset_s)) throw_invalid("import options: start_offset_s: must be a finite number");
  const bool names_keypoints = format == LabelFormat::kDlc || format == LabelFormat::kCoco ||
                               format == LabelFormat::kBehavtrack || format == LabelFormat::kBehavtrackAnnotation;
  if (!keypoint_map.empty() && !names_keypoints)
    throw_invalid(std::string("--keypoint-map: only dlc, coco, behavtrack and behavtrack-annotation files name their "
                              "keypoints; a ") + to_string(format) + " import takes them in the project's order");
}

std::map<std::string, std::string> parse_keypoint_map(const std::string& text) {
  std::map<std::string, std::string> out;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t end = std::min(text.find(',', begin), text.size());
    const std::string entry = text.substr(begin, end - begin);
    begin = end + 1;
    if (entry.empty()) continue;
    const std::size_t eq = entry.find('=');
    const std::string where = "--keypoint-map entry " + bt::quoted(entry);
    if (eq == std::string::npos) throw_invalid(where + ": expected FILE_NAME=PROJECT_NAME (or FILE_NAME= to leave it out)");
    if (eq == 0) throw_invalid(where + ": the file's keypoint name is empty");
    if (!out.emplace(entry.substr(0, eq), entry.substr(eq + 1)).second)
      throw_invalid(where + ": " + bt::quoted(entry.substr(0, eq)) + " is mapped twice");
  }
  return out;
}

void ExportOptions::validate() const {
  if (path.empty()) throw_invalid("export options: path: required");
  if (scorer.empty() || scorer.find(',') != std::string::npos)
    throw_invalid("export options: scorer " + bt::quoted(scorer) + ": must be a non-empty name without commas");
  if (class_name.empty()) throw_invalid("export options: class_name: required");
}

namespace labels {

double parse_number(std::string_view text, const std::string& where) {
  std::string_view t = text;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\r')) t.remove_suffix(1);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size())
    throw_invalid(where + ": expected a number, got " + bt::quoted(std::string(text)));
  if (!std::isfinite(v)) throw_invalid(where + ": expected a finite number, got " + bt::quoted(std::string(text)));
  return v;
}

long long parse_integer(std::string_view text, const std::string& where) {
  const double v = parse_number(text, where);
  if (v != std::floor(v) || std::fabs(v) > 9e15) throw_invalid(where + ": expected an integer, got " + bt::quoted(std::string(text)));
  return static_cast<long long>(v);
}

std::vector<std::string> split_fields(const std::string& raw, char sep) {
  std::string line = raw;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> out;
  std::string cur;
  bool quoted_field = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted_field) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted_field = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted_field = true;
    } else if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string file_subject(const fs::path& file) { return bt::quoted(file.string()); }

fs::path find_image(const std::vector<fs::path>& dirs, const std::string& name, const std::string& where) {
  std::string tried;
  for (const fs::path& d : dirs) {
    const fs::path p = d / name;
    if (fs::is_regular_file(p)) return p;
    tried += (tried.empty() ? "" : ", ") + bt::quoted(p.string());
  }
  throw_not_found(where + ": image " + bt::quoted(name) + " not found (looked for " + tried + ")");
}

std::string names_of(const Skeleton& s) {
  std::string out;
  for (const auto& n : s.keypoints) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::vector<int> project_keypoint_indices(const Skeleton& skeleton, const std::vector<std::string>& file_names,
                                          const ImportOptions& o, const std::string& subject) {
  const std::string project_names = names_of(skeleton);
  for (const auto& [from, to] : o.keypoint_map) {
    if (std::find(file_names.begin(), file_names.end(), from) == file_names.end())
      throw_invalid(subject + ": --keypoint-map names " + bt::quoted(from) + ", which is not a keypoint of the file");
    if (!to.empty() && skeleton.index_of(to) < 0)
      throw_invalid(subject + ": --keypoint-map " + from + "=" + to + ": " + bt::quoted(to) +
                    " is not one of the project's keypoints (" + project_names + ")");
  }
  std::vector<int> index(file_names.size(), -1);
  std::map<int, std::string> taken;  // project index -> the file's name that took it
  for (std::size_t k = 0; k < file_names.size(); ++k) {
    const auto mapped = o.keypoint_map.find(file_names[k]);
    const std::string name = mapped == o.keypoint_map.end() ? file_names[k] : mapped->second;
    if (name.empty()) continue;
    index[k] = skeleton.index_of(name);
    if (index[k] < 0)
      throw_invalid(subject + ": skeleton mismatch: keypoint " + bt::quoted(file_names[k]) +
                    " is not one of the project's keypoints (" + project_names + "); rename it with --keypoint-map " +
                    file_names[k] + "=NAME or leave it out with --keypoint-map " + file_names[k] + "=");
    const auto [at, fresh] = taken.emplace(index[k], file_names[k]);
    if (!fresh && at->second != file_names[k])
      throw_invalid(subject + ": keypoints " + bt::quoted(at->second) + " and " + bt::quoted(file_names[k]) +
                    " would both be the project's " + bt::quoted(name));
  }
  return index;
}

Annotation imported(const Instance& in, const ImportOptions& o, bool box_derived) {
  Annotation a;
  a.instance = in;
  a.source = o.confirmed ? Source::kManual : Source::kPredicted;
  a.confirmed = o.confirmed;
  a.box_derived = box_derived;
  return a;
}

void copy_image(const fs::path& src, const fs::path& dst) {
  std::error_code ec;
  fs::create_directories(dst.parent_path(), ec);
  fs::copy_file(src, dst, fs::copy_options::overwrite_existing, ec);
  if (ec) throw_io("image " + bt::quoted(src.string()) + ": cannot copy to " + bt::quoted(dst.string()) + ": " + ec.message());
}

namespace {

// Width and height from a PNG's IHDR or a JPEG's SOF marker, without decoding pixels.
std::optional<cv::Size> header_size(const fs::path& image) {
  std::ifstream in(image, std::ios::binary);
  unsigned char h[24] = {0};
  if (!in.read(reinterpret_cast<char*>(h), sizeof h)) return std::nullopt;
  auto be16 = [](const unsigned char* p) { return (p[0] << 8) | p[1]; };
  auto be32 = [](const unsigned char* p) { return static_cast<int>((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]); };
  if (std::memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0 && std::memcmp(h + 12, "IHDR", 4) == 0)
    return cv::Size(be32(h + 16), be32(h + 20));
  if (h[0] != 0xFF || h[1] != 0xD8) return std::nullopt;
  in.seekg(2);
  unsigned char m[9];
  while (in.read(reinterpret_cast<char*>(m), 4)) {
    if (m[0] != 0xFF) return std::nullopt;
    const int marker = m[1], length = be16(m + 2);
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (!in.read(reinterpret_cast<char*>(m), 5)) return std::nullopt;
      return cv::Size(be16(m + 3), be16(m + 1));
    }
    in.seekg(length - 2, std::ios::cur);
  }
  return std::nullopt;
}

}  // namespace

cv::Size image_size(const fs::path& image) {
  if (auto s = header_size(image); s && s->width > 0 && s->height > 0) return *s;
  const cv::Mat m = cv::imread(image.string(), cv::IMREAD_UNCHANGED);
  if (m.empty()) throw_io("image " + bt::quoted(image.string()) + ": cannot read");
  return m.size();
}

VideoRecord target_video(const Project& p, std::optional<VideoId> id, const std::string& format) {
  if (id) return p.get_video(*id);
  const auto videos = p.list_videos();
  if (videos.size() == 1) return videos[0];
  throw_invalid(format + ": which video? the project has " + std::to_string(videos.size()) +
                " videos; pass --video ID (see `behavtrack video list`)");
}

}  // namespace labels

namespace {

fs::path temp_sibling_path(const fs::path& target) {
  return target.parent_path() / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()));
}

// Copies imported images into media/frames/imported/, returning the files it created so a
// failed import can take them away again.
std::vector<fs::path> copy_images(Project& p, ImportBatch& batch, Progress& bar) {
  std::vector<fs::path> created;
  for (ImportedFrame& f : batch.frames) {
    if (f.image_source.empty()) continue;
    const fs::path dst = p.resolve("media/frames/imported/" + f.name);
    const bool existed = fs::exists(dst);
    const fs::path tmp = temp_sibling_path(dst);
    copy_image(f.image_source, tmp);
    std::error_code ec;
    fs::rename(tmp, dst, ec);
    if (ec) throw_io("image " + bt::quoted(dst.string()) + ": cannot move into place: " + ec.message());
    if (!existed) created.push_back(dst);
    bar.advance();
  }
  return created;
}

// An imported image keeps its name under media/frames/imported/: a name that is absolute
// or climbs out with ".." would be written outside the project. And it must be an image
// (by its signature), not any file a label row names.
void check_image_name(const ImportedFrame& f, const ImportOptions& o) {
  const std::string subject = std::string(to_string(o.format)) + " import: image " + bt::quoted(f.name);
  const fs::path name(f.name);
  bool climbs = f.name.empty() || name.has_root_path() || name.has_root_name();
  for (const fs::path& part : name) climbs = climbs || part == "..";
  if (climbs) throw_invalid(subject + ": the name leaves the project's image folder (absolute or '..')");
  if (!f.image_source.empty() && !cv::haveImageReader(f.image_source.string()))
    throw_invalid(subject + ": " + bt::quoted(f.image_source.string()) + " is not an image OpenCV can read");
}

ImportSummary write_batch(Project& p, const ImportBatch& batch, const ImportOptions& o) {
  ImportSummary s;
  p.transaction([&] {
    std::vector<NewFrame> rows;
    for (const ImportedFrame& f : batch.frames) {
      NewFrame n;
      n.video_id = f.video_id;
      n.frame_index = f.frame_index;
      n.stratum = f.stratum;
      if (f.video_id) {
        const VideoRecord v = p.get_video(*f.video_id);
        n.image_path = frame_image_path(v, f.frame_index);
        n.name = frame_image_name(v, f.frame_index);
      } else {
        n.image_path = "media/frames/imported/" + f.name;
        n.name = f.name;
      }
      if (auto existing = p.find_frame(n.video_id, n.frame_index, n.name)) {
        n.stratum = f.stratum >= 0 ? f.stratum : existing->stratum;
        n.feature = existing->feature;
      }
      rows.push_back(std::move(n));
    }
    const std::vector<FrameId> ids = p.add_frames(rows);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (!batch.frames[i].has_labels) continue;
      const FrameAnnotations current = p.get_frame(ids[i]);
      p.put_frame(ids[i], batch.frames[i].instances, current.version, o.author);
      s.instances += static_cast<std::int64_t>(batch.frames[i].instances.size());
    }
    s.frames = static_cast<std::int64_t>(ids.size());
    if (batch.bouts_video) {
      p.replace_bouts(*batch.bouts_video, batch.bouts);
      s.bouts = static_cast<std::int64_t>(batch.bouts.size());
    }
  });
  return s;
}

}  // namespace

ImportSummary import_labels(Project& p, const ImportOptions& o, const ProgressCallback& progress) {
  o.validate();
  if (!fs::exists(o.path)) throw_not_found(to_string(o.format) + std::string(" import: ") + bt::quoted(o.path.string()) + ": no such file or folder");
  ImportBatch batch;
  switch (o.format) {
    case LabelFormat::kBehavtrack: batch = parse_behavtrack(p, o); break;
    case LabelFormat::kBehavtrackAnnotation: batch = parse_annotation(p, o); break;
    case LabelFormat::kYolo: batch = parse_yolo(p, o); break;
    case LabelFormat::kCoco: batch = parse_coco(p, o); break;
    case LabelFormat::kDlc: batch = parse_dlc(p, o); break;
    case LabelFormat::kNpy: batch = parse_npy(p, o); break;
    case LabelFormat::kBoris: batch = parse_boris(p, o); break;
  }
  std::set<std::string> names;
  for (const ImportedFrame& f : batch.frames) {
    if (f.video_id) continue;
    check_image_name(f, o);
    if (!names.insert(f.name).second)
      throw_invalid(std::string(to_string(o.format)) + " import: two images named " + bt::quoted(f.name));
  }
  // Video frames are decoded and cached first (outside the transaction: the cache is
  // idempotent), images copied, then everything is written in one transaction.
  std::vector<std::pair<VideoId, FrameIndex>> video_frames;
  for (const ImportedFrame& f : batch.frames)
    if (f.video_id) video_frames.emplace_back(*f.video_id, f.frame_index);
  cache_frame_images(p, video_frames, progress);
  Progress bar("import images", static_cast<std::int64_t>(names.size()), progress);
  std::vector<fs::path> created;
  try {
    created = copy_images(p, batch, bar);
    bar.finish();
    ImportSummary s = write_batch(p, batch, o);
    s.images = static_cast<std::int64_t>(names.size());
    return s;
  } catch (...) {
    std::error_code ec;
    for (const fs::path& f : created) fs::remove(f, ec);
    throw;
  }
}

namespace {

int image_width_height(const fs::path& image, int& height) {
  const cv::Size s = image_size(image);
  height = s.height;
  return s.width;
}

std::vector<ExportFrame> collect_frames(Project& p, const ExportOptions& o, bool need_size) {
  const std::optional<int> cycle = o.cycle ? o.cycle : p.latest_cycle();
  std::map<FrameId, Split> split_of;
  if (cycle)
    for (const auto& [id, s] : p.split_of(*cycle)) split_of[id] = s;
  if (o.split && !cycle) throw_invalid("export --split " + std::string(to_string(*o.split)) + ": the project has no splits yet; run `behavtrack frames split`");
  FrameQuery q;
  q.limit = 0;
  q.video_id = o.video_id;
  std::vector<ExportFrame> out;
  std::vector<std::pair<VideoId, FrameIndex>> to_cache;
  for (const FrameRecord& f : p.list_frames(q).frames) {
    ExportFrame e;
    const auto it = split_of.find(f.id);
    if (it != split_of.end()) e.split = it->second;
    if (o.split && e.split != o.split) continue;
    for (const Annotation& a : p.get_frame(f.id).instances)
      if (a.confirmed || o.include_unconfirmed) e.instances.push_back(a);
    if (e.instances.empty()) continue;
    e.frame = f;
    e.image = p.resolve(f.image_path);
    e.file_name = f.name;
    if (f.video_id) to_cache.emplace_back(*f.video_id, f.frame_index);
    out.push_back(std::move(e));
  }
  cache_frame_images(p, to_cache, {});
  std::set<std::string> names;
  for (ExportFrame& e : out) {
    if (!names.insert(e.file_name).second)
      throw_invalid("export: two frames are named " + bt::quoted(e.file_name) + "; export one video at a time with --video");
    if (need_size) e.width = image_width_height(e.image, e.height);
  }
  return out;
}

}  // namespace

ExportSummary export_labels(Project& p, const ExportOptions& o, const ProgressCallback& progress) {
  o.validate();
  if (fs::exists(o.path)) throw_invalid(std::string(to_string(o.format)) + " export: " + bt::quoted(o.path.string()) + " already exists; choose a new path");
  std::error_code ec;
  if (o.path.has_parent_path()) fs::create_directories(o.path.parent_path(), ec);
  const fs::path tmp = temp_sibling_path(fs::absolute(o.path));
  fs::remove_all(tmp, ec);
  ExportSummary s;
  try {
    if (o.format == LabelFormat::kBoris) {
      s.bouts = write_boris(p, o, tmp, &s.bouts_unconfirmed_skipped);
    } else {
      const bool need_size = o.format == LabelFormat::kYolo || o.format == LabelFormat::kCoco ||
                             o.format == LabelFormat::kBehavtrack;
      // annotation.json carries the confirmed flag (mAnnotated), so it holds predictions too.
      ExportOptions chosen = o;
      if (o.format == LabelFormat::kBehavtrackAnnotation) chosen.include_unconfirmed = true;
      const std::vector<ExportFrame> frames = collect_frames(p, chosen, need_size);
      Progress bar(std::string("export ") + to_string(o.format), 1, progress);
      switch (o.format) {
        case LabelFormat::kBehavtrack: write_behavtrack(p, frames, o, tmp); break;
        case LabelFormat::kBehavtrackAnnotation: write_annotation(p, frames, o, tmp); break;
        case LabelFormat::kYolo: write_yolo(p, frames, o, tmp); break;
        case LabelFormat::kCoco: write_coco(p, frames, o, tmp); break;
        case LabelFormat::kDlc: write_dlc(p, frames, o, tmp); break;
        case LabelFormat::kNpy: write_npy(p, frames, o, tmp); break;
        case LabelFormat::kBoris: break;
      }
      bar.advance();
      bar.finish();
      s.frames = static_cast<std::int64_t>(frames.size());
      for (const auto& f : frames) s.instances += static_cast<std::int64_t>(f.instances.size());
    }
    fs::rename(tmp, o.path, ec);
    if (ec) throw_io("export " + bt::quoted(o.path.string()) + ": cannot move into place: " + ec.message());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  return s;
}

}  // namespace bt::project
