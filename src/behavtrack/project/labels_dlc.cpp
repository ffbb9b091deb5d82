// DeepLabCut CSV: three header rows (scorer, bodyparts, coords), or four with
// `individuals` for multi-animal projects, then one row per image:
// `labeled-data/<video>/img0000.png, x, y, x, y, ...` (or the path split over three
// columns in DLC >= 2.3). An empty cell is a missing keypoint. DLC has no boxes and no
// visibility: boxes are derived from the keypoints (margin in ImportOptions) and marked
// derived; labelled keypoints get v = 2.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/project/labels_internal.h"

namespace bt::project::labels {
namespace fs = std::filesystem;

namespace {

fs::path dlc_csv(const fs::path& path) {
  if (!fs::is_directory(path)) return path;
  for (const auto& e : fs::directory_iterator(path))
    if (e.path().extension() == ".csv" && e.path().filename().string().rfind("CollectedData_", 0) == 0) return e.path();
  throw_not_found("dlc import: " + bt::quoted(path.string()) + ": no CollectedData_*.csv in this folder");
}

// What one data column holds: whose keypoint, which, and x or y.
struct Column {
  int individual = 0;          // in order of first appearance (0 for single-animal files)
  int keypoint = 0;            // skeleton index; -1: left out (ImportOptions::keypoint_map)
  bool is_x = true;
  std::string bodypart, individual_name;  // as the file names them, for messages
};

// The header rows read: where the image path ends and what each data column holds.
struct DlcLayout {
  std::size_t n_header = 3;  // header rows (4 with `individuals`)
  std::size_t n_index = 1;   // leading columns holding the image path (3 in DLC >= 2.3)
  std::size_t n_cols = 0;
  bool multi = false;
  int n_individuals = 1;
  std::vector<Column> columns;  // one per column from n_index on
};

std::string line_where(const fs::path& f, int line) { return file_subject(f) + " line " + std::to_string(line); }

// Row paths are relative to the DLC project root (two folders above the CSV); a CSV moved
// with its images finds them by the path's tail beside it.
fs::path resolve_dlc_image(const fs::path& dlc_root, const fs::path& csv_dir, const fs::path& rel,
                           const std::string& where) {
  if (fs::is_regular_file(dlc_root / rel)) return dlc_root / rel;
  std::vector<fs::path> parts(rel.begin(), rel.end());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    fs::path tail;
    for (std::size_t j = i; j < parts.size(); ++j) tail /= parts[j];
    if (fs::is_regular_file(csv_dir / tail)) return csv_dir / tail;
  }
  return find_image({dlc_root, csv_dir}, rel.generic_string(), where);
}

// The file's non-empty lines split into fields.
std::vector<std::vector<std::string>> read_rows(const fs::path& csv) {
  std::ifstream in(csv);
  if (!in) throw_io("dlc import: " + file_subject(csv) + ": cannot read");
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line != "\r") rows.push_back(split_fields(line, ','));
  return rows;
}

DlcLayout read_layout(const std::vector<std::vector<std::string>>& rows, const fs::path& csv, const Skeleton& sk,
                      const ImportOptions& o) {
  const std::string subject = "dlc import: " + file_subject(csv);
  if (rows.size() < 3 || rows[0].empty() || rows[0][0] != "scorer")
    throw_invalid(subject + " line 1: expected the DeepLabCut header row starting with 'scorer'");
  DlcLayout l;
  l.multi = rows[1][0] == "individuals";
  l.n_header = l.multi ? 4 : 3;
  if (rows.size() < l.n_header || rows[l.n_header - 2][0] != "bodyparts" || rows[l.n_header - 1][0] != "coords")
    throw_invalid(subject + ": expected header rows scorer, " + std::string(l.multi ? "individuals, " : "") +
                  "bodyparts, coords");
  const std::vector<std::string>& coords = rows[l.n_header - 1];
  while (l.n_index < coords.size() && coords[l.n_index].empty()) ++l.n_index;
  l.n_cols = coords.size();
  for (std::size_t h = 0; h < l.n_header; ++h)
    if (rows[h].size() != l.n_cols)
      throw_invalid(line_where(csv, static_cast<int>(h + 1)) + ": expected " + std::to_string(l.n_cols) +
                    " columns (as the coords row), got " + std::to_string(rows[h].size()));
  const std::vector<std::string>& bodyparts = rows[l.n_header - 2];
  std::vector<std::string> names;  // the file's bodyparts, each once, in column order
  for (std::size_t c = l.n_index; c < l.n_cols; ++c)
    if (std::find(names.begin(), names.end(), bodyparts[c]) == names.end()) names.push_back(bodyparts[c]);
  const std::vector<int> to_project = project_keypoint_indices(sk, names, o, subject);
  std::map<std::string, int> individuals;
  for (std::size_t c = l.n_index; c < l.n_cols; ++c) {
    const bool expect_x = (c - l.n_index) % 2 == 0;
    if (coords[c] != (expect_x ? "x" : "y"))
      throw_invalid(line_where(csv, static_cast<int>(l.n_header)) + " column " + std::to_string(c + 1) +
                    ": expected coords '" + std::string(expect_x ? "x" : "y") + "', got " + bt::quoted(coords[c]));
    Column col;
    col.keypoint = to_project[static_cast<std::size_t>(std::find(names.begin(), names.end(), bodyparts[c]) - names.begin())];
    col.is_x = expect_x;
    col.bodypart = bodyparts[c];
    if (l.multi) {
      col.individual_name = rows[1][c];
      col.individual = individuals.emplace(col.individual_name, static_cast<int>(individuals.size())).first->second;
    }
    l.columns.push_back(std::move(col));
  }
  l.n_individuals = l.multi ? static_cast<int>(individuals.size()) : 1;
  return l;
}

// One image row: the frame and its animals (boxes derived from the keypoints).
ImportedFrame read_frame(const std::vector<std::string>& row, int line_no, const DlcLayout& l, const fs::path& csv,
                         const Skeleton& sk, const ImportOptions& o) {
  if (row.size() != l.n_cols)
    throw_invalid(line_where(csv, line_no) + ": expected " + std::to_string(l.n_cols) + " columns, got " +
                  std::to_string(row.size()));
  std::string rel;
  for (std::size_t c = 0; c < l.n_index; ++c) rel += (c ? "/" : "") + row[c];
  const fs::path rel_path(rel);
  const fs::path csv_dir = fs::absolute(csv).parent_path();
  ImportedFrame f;
  // The frame is named by its path under labeled-data/ ("m4s1/img0000.png").
  fs::path name = rel_path;
  if (name.begin() != name.end() && *name.begin() == "labeled-data") name = name.lexically_relative("labeled-data");
  if (!name.has_parent_path()) name = csv_dir.filename() / name;
  f.name = name.generic_string();
  f.image_source = resolve_dlc_image(csv_dir.parent_path().parent_path(), csv_dir, rel_path, line_where(csv, line_no));
  std::vector<Instance> inst(l.n_individuals);
  for (auto& i : inst) i.keypoints.assign(sk.size(), Keypoint{});
  for (std::size_t c = l.n_index; c < l.n_cols; c += 2) {
    const Column& col = l.columns[c - l.n_index];
    const std::string &xs = row[c], &ys = row[c + 1];
    if (col.keypoint < 0 || (xs.empty() && ys.empty())) continue;
    const std::string where = line_where(csv, line_no) + " bodypart " + bt::quoted(col.bodypart) +
                              (l.multi ? " of " + bt::quoted(col.individual_name) : "");
    if (xs.empty() || ys.empty()) throw_invalid(where + ": x and y must both be given or both be empty");
    Keypoint& kp = inst[col.individual].keypoints[col.keypoint];
    kp.x = parse_number(xs, where + " x");
    kp.y = parse_number(ys, where + " y");
    kp.v = Visibility::kVisible;
  }
  for (int i = 0; i < l.n_individuals; ++i) {
    auto box = inst[i].keypoint_box(o.derived_box_margin_px);
    if (!box) continue;
    inst[i].box = *box;
    if (l.multi) inst[i].id = TrackId(i + 1);
    f.instances.push_back(imported(inst[i], o, true));
  }
  return f;
}

}  // namespace

ImportBatch parse_dlc(const Project& p, const ImportOptions& o) {
  const fs::path csv = dlc_csv(o.path);
  const std::vector<std::vector<std::string>> rows = read_rows(csv);
  const DlcLayout layout = read_layout(rows, csv, p.skeleton(), o);
  ImportBatch batch;
  for (std::size_t r = layout.n_header; r < rows.size(); ++r)
    batch.frames.push_back(read_frame(rows[r], static_cast<int>(r + 1), layout, csv, p.skeleton(), o));
  return batch;
}

void write_dlc(const Project& p, const std::vector<ExportFrame>& frames, const ExportOptions& o, const fs::path& out) {
  const Skeleton& sk = p.skeleton();
  int n_individuals = p.expected_animals();
  for (const auto& f : frames) n_individuals = std::max<int>(n_individuals, static_cast<int>(f.instances.size()));
  const bool multi = p.expected_animals() > 1;
  fs::create_directories(out);
  AtomicFile file(out / ("CollectedData_" + o.scorer + ".csv"));
  std::ostream& s = file.stream();
  const int n_values = (multi ? n_individuals : 1) * sk.size() * 2;
  s << "scorer";
  for (int i = 0; i < n_values; ++i) s << ',' << o.scorer;
  if (multi) {
    s << "\nindividuals";
    for (int m = 0; m < n_individuals; ++m)
      for (int k = 0; k < sk.size() * 2; ++k) s << ",mouse" << m + 1;
  }
  s << "\nbodyparts";
  for (int m = 0; m < (multi ? n_individuals : 1); ++m)
    for (const auto& name : sk.keypoints) s << ',' << name << ',' << name;
  s << "\ncoords";
  for (int i = 0; i < n_values / 2; ++i) s << ",x,y";
  s << '\n';
  const std::string folder = o.path.filename().string();
  for (const ExportFrame& f : frames) {
    if (!multi && f.instances.size() > 1)
      throw_invalid("dlc export: frame " + bt::quoted(f.frame.name) + " holds " + std::to_string(f.instances.size()) +
                    " animals but the project expects 1 (single-animal DLC)");
    copy_image(f.image, out / f.file_name);
    s << "labeled-data/" << folder << '/' << f.file_name;
    // Individuals by track id when every instance has a distinct one, else in order.
    std::vector<const Instance*> slot(multi ? n_individuals : 1, nullptr);
    std::vector<const Instance*> rest;
    for (const Annotation& a : f.instances) {
      const auto& in = a.instance;
      if (multi && in.id && in.id->value >= 1 && in.id->value <= n_individuals && !slot[in.id->value - 1])
        slot[in.id->value - 1] = &in;
      else
        rest.push_back(&in);
    }
    for (auto& sl : slot)
      if (!sl && !rest.empty()) {
        sl = rest.front();
        rest.erase(rest.begin());
      }
    for (const Instance* in : slot)
      for (int k = 0; k < sk.size(); ++k) {
        if (in && in->keypoints[k].present())
          s << fmt::format(",{},{}", in->keypoints[k].x, in->keypoints[k].y);
        else
          s << ",,";
      }
    s << '\n';
  }
  file.commit();
}

}  // namespace bt::project::labels
