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

struct Column {
  int individual = 0;
  int keypoint = 0;  // skeleton index; -1: left out (ImportOptions::keypoint_map)
  bool is_x = true;
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

}  // namespace

ImportBatch parse_dlc(const Project& p, const ImportOptions& o) {
  const fs::path csv = dlc_csv(o.path);
  std::ifstream in(csv);
  if (!in) throw_io("dlc import: " + file_subject(csv) + ": cannot read");
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line != "\r") rows.push_back(split_fields(line, ','));
  const std::string subject = "dlc import: " + file_subject(csv);
  if (rows.size() < 3 || rows[0].empty() || rows[0][0] != "scorer")
    throw_invalid(subject + " line 1: expected the DeepLabCut header row starting with 'scorer'");
  const bool multi = rows[1][0] == "individuals";
  const std::size_t n_header = multi ? 4 : 3;
  if (rows.size() < n_header || rows[n_header - 2][0] != "bodyparts" || rows[n_header - 1][0] != "coords")
    throw_invalid(subject + ": expected header rows scorer, " + std::string(multi ? "individuals, " : "") +
                  "bodyparts, coords");
  const std::vector<std::string>& coords = rows[n_header - 1];
  std::size_t n_index = 1;
  while (n_index < coords.size() && coords[n_index].empty()) ++n_index;
  const std::size_t n_cols = coords.size();
  for (std::size_t h = 0; h < n_header; ++h)
    if (rows[h].size() != n_cols)
      throw_invalid(line_where(csv, static_cast<int>(h + 1)) + ": expected " + std::to_string(n_cols) +
                    " columns (as the coords row), got " + std::to_string(rows[h].size()));
  // Columns -> (individual, keypoint, x|y); a keypoint the map leaves out is -1.
  const Skeleton& sk = p.skeleton();
  const std::vector<std::string>& bodyparts = rows[n_header - 2];
  std::vector<std::string> names;  // the file's bodyparts, each once, in column order
  for (std::size_t c = n_index; c < n_cols; ++c)
    if (std::find(names.begin(), names.end(), bodyparts[c]) == names.end()) names.push_back(bodyparts[c]);
  const std::vector<int> to_project = project_keypoint_indices(sk, names, o, subject);
  std::vector<Column> columns;
  std::map<std::string, int> individuals;
  for (std::size_t c = n_index; c < n_cols; ++c) {
    const std::string where = line_where(csv, static_cast<int>(n_header)) + " column " + std::to_string(c + 1);
    const auto name_at = std::find(names.begin(), names.end(), bodyparts[c]) - names.begin();
    const int k = to_project[static_cast<std::size_t>(name_at)];
    const bool expect_x = (c - n_index) % 2 == 0;
    if (coords[c] != (expect_x ? "x" : "y"))
      throw_invalid(where + ": expected coords '" + std::string(expect_x ? "x" : "y") + "', got " + bt::quoted(coords[c]));
    int individual = 0;
    if (multi) individual = individuals.emplace(rows[1][c], static_cast<int>(individuals.size())).first->second;
    columns.push_back({individual, k, expect_x});
  }
  const int n_individuals = multi ? static_cast<int>(individuals.size()) : 1;
  // Individuals keep the order of their first column: rows[1] order.
  std::vector<int> order(n_individuals);
  {
    std::map<std::string, int> first;
    int next = 0;
    for (std::size_t c = n_index; c < n_cols && multi; ++c)
      if (first.emplace(rows[1][c], next).second) ++next;
    for (const auto& [name, idx] : individuals) order[idx] = first[name];
  }

  const fs::path csv_dir = fs::absolute(csv).parent_path();
  const fs::path dlc_root = csv_dir.parent_path().parent_path();
  ImportBatch batch;
  for (std::size_t r = n_header; r < rows.size(); ++r) {
    const int line_no = static_cast<int>(r + 1);
    const auto& row = rows[r];
    if (row.size() != n_cols)
      throw_invalid(line_where(csv, line_no) + ": expected " + std::to_string(n_cols) + " columns, got " +
                    std::to_string(row.size()));
    std::string rel;
    for (std::size_t c = 0; c < n_index; ++c) rel += (c ? "/" : "") + row[c];
    const fs::path rel_path(rel);
    ImportedFrame f;
    // The frame is named by its path under labeled-data/ ("m4s1/img0000.png").
    fs::path name = rel_path;
    if (name.begin() != name.end() && *name.begin() == "labeled-data") name = name.lexically_relative("labeled-data");
    if (!name.has_parent_path()) name = csv_dir.filename() / name;
    f.name = name.generic_string();
    f.image_source = resolve_dlc_image(dlc_root, csv_dir, rel_path, line_where(csv, line_no));
    std::vector<Instance> inst(n_individuals);
    for (auto& i : inst) i.keypoints.assign(sk.size(), Keypoint{});
    for (std::size_t c = n_index; c < n_cols; c += 2) {
      const Column& col = columns[c - n_index];
      if (col.keypoint < 0) continue;
      const std::string& xs = row[c];
      const std::string& ys = row[c + 1];
      const std::string where = line_where(csv, line_no) + " bodypart " + bt::quoted(sk.keypoints[col.keypoint]) +
                                (multi ? " of " + bt::quoted(rows[1][c]) : "");
      if (xs.empty() && ys.empty()) continue;
      if (xs.empty() || ys.empty()) throw_invalid(where + ": x and y must both be given or both be empty");
      Keypoint& kp = inst[order[col.individual]].keypoints[col.keypoint];
      kp.x = parse_number(xs, where + " x");
      kp.y = parse_number(ys, where + " y");
      kp.v = Visibility::kVisible;
    }
    for (int i = 0; i < n_individuals; ++i) {
      auto box = inst[i].keypoint_box(o.derived_box_margin_px);
      if (!box) continue;
      inst[i].box = *box;
      if (multi) inst[i].id = TrackId(i + 1);
      f.instances.push_back(imported(inst[i], o, true));
    }
    batch.frames.push_back(std::move(f));
  }
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
