// Ultralytics YOLO pose folders: images/<split>/<name>, labels/<split>/<stem>.txt and
// data.yaml (kpt_shape, flip_idx, names). One line per animal: `class xc yc w h` then
// `x y v` per keypoint, all normalised to [0, 1] by the image size, 6 decimals. A missing
// keypoint is written `0.000000 0.000000 0`, so every line has 5 + 3K values.
#include <fmt/format.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/project/labels_internal.h"

namespace bt::project::labels {
namespace fs = std::filesystem;

namespace {

const char* const kImageExtensions[] = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"};

// kpt_shape of data.yaml, or {-1, 3} when there is no yaml.
std::pair<int, int> read_kpt_shape(const fs::path& dir) {
  for (const char* name : {"data.yaml", "dataset.yaml"}) {
    const fs::path yaml = dir / name;
    if (!fs::exists(yaml)) continue;
    std::ifstream in(yaml);
    std::string line;
    const std::regex re(R"(^\s*kpt_shape\s*:\s*\[\s*(\d+)\s*,\s*(\d+)\s*\])");
    std::smatch m;
    while (std::getline(in, line))
      if (std::regex_search(line, m, re)) {
        const std::string where = "yolo import: " + file_subject(yaml) + " kpt_shape";
        return {static_cast<int>(parse_integer(m[1].str(), where)), static_cast<int>(parse_integer(m[2].str(), where))};
      }
    throw_invalid("yolo import: " + file_subject(yaml) + ": no kpt_shape: [K, 3] line; is this a pose data set?");
  }
  return {-1, 3};
}

std::string fixed6(double v) { return fmt::format("{:.6f}", v); }

// The image beside a label file: the same relative path under images/, any image extension.
fs::path image_for_label(const fs::path& txt, const fs::path& labels_dir, const fs::path& images_dir) {
  const fs::path rel = txt.lexically_relative(labels_dir);
  for (const char* ext : kImageExtensions) {
    fs::path candidate = images_dir / rel;
    candidate.replace_extension(ext);
    if (fs::is_regular_file(candidate)) return candidate;
  }
  throw_not_found("yolo import: " + file_subject(txt) + ": no image for it under " + file_subject(images_dir));
}

// The frame's name: its path under images/ without the split folder (train/val/test), so a
// frame keeps its name across splits.
std::string frame_name(const fs::path& image, const fs::path& images_dir) {
  fs::path name_path = image.lexically_relative(images_dir);
  const std::string first = name_path.begin()->string();
  if (std::distance(name_path.begin(), name_path.end()) > 1 && (first == "train" || first == "val" || first == "test"))
    name_path = name_path.lexically_relative(first);
  return name_path.generic_string();
}

// One label line's tokens (already counted) to an instance in pixels; `where` names the
// file and line for errors.
Instance parse_yolo_line(const std::vector<std::string>& tok, const std::string& where, cv::Size size,
                         const Skeleton& skeleton, int dims) {
  parse_integer(tok[0], "yolo import: " + where + " class");
  auto value = [&](std::size_t i, const std::string& field) {
    return parse_number(tok[i], "yolo import: " + where + " " + field);
  };
  Instance in;
  in.box = Box::from_cxcywh(value(1, "xc") * size.width, value(2, "yc") * size.height, value(3, "w") * size.width,
                            value(4, "h") * size.height);
  for (int k = 0; k < skeleton.size(); ++k) {
    const std::size_t base = 5 + static_cast<std::size_t>(k) * dims;
    const std::string kp = "keypoint " + std::to_string(k + 1) + " (" + skeleton.keypoints[k] + ")";
    const double x = value(base, kp + " x"), y = value(base + 1, kp + " y");
    int v = 2;
    if (dims == 3) {
      const long long vi = parse_integer(tok[base + 2], "yolo import: " + where + " " + kp + " v");
      if (vi < 0 || vi > 2) throw_invalid("yolo import: " + where + " " + kp + " v: must be 0, 1 or 2, got " + tok[base + 2]);
      v = static_cast<int>(vi);
    } else if (x == 0 && y == 0) {
      v = 0;
    }
    in.keypoints.push_back(v == 0 ? Keypoint{} : Keypoint{x * size.width, y * size.height, static_cast<Visibility>(v)});
  }
  if (!in.box.valid()) throw_invalid("yolo import: " + where + ": box w and h must be > 0");
  return in;
}

}  // namespace

ImportBatch parse_yolo(const Project& p, const ImportOptions& o) {
  const fs::path root = o.path;
  const fs::path labels_dir = root / "labels", images_dir = root / "images";
  if (!fs::is_directory(labels_dir) || !fs::is_directory(images_dir))
    throw_invalid("yolo import: " + file_subject(root) + ": expected the folders images/ and labels/");
  const auto [n_kp, dims] = read_kpt_shape(root);
  const int k_count = p.skeleton().size();
  if (n_kp >= 0 && n_kp != k_count)
    throw_invalid("yolo import: " + file_subject(root / "data.yaml") + ": skeleton mismatch: kpt_shape has " +
                  std::to_string(n_kp) + " keypoints, the project's skeleton " + std::to_string(k_count));
  if (dims != 2 && dims != 3)
    throw_invalid("yolo import: " + file_subject(root / "data.yaml") + ": kpt_shape: second value must be 2 or 3, got " +
                  std::to_string(dims));
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(labels_dir))
    if (e.is_regular_file() && e.path().extension() == ".txt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  const std::size_t n_values = 5 + static_cast<std::size_t>(k_count) * dims;
  ImportBatch batch;
  for (const fs::path& txt : files) {
    ImportedFrame f;
    f.image_source = image_for_label(txt, labels_dir, images_dir);
    f.name = frame_name(f.image_source, images_dir);
    const cv::Size size = image_size(f.image_source);
    std::ifstream in(txt);
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string where = file_subject(txt) + " line " + std::to_string(line_no);
      std::vector<std::string> tok;
      std::istringstream ss(line);
      for (std::string t; ss >> t;) tok.push_back(t);
      if (tok.size() != n_values)
        throw_invalid("yolo import: " + where + ": expected " + std::to_string(n_values) + " values (class, box, " +
                      std::to_string(k_count) + " keypoints x " + std::to_string(dims) + "), got " +
                      std::to_string(tok.size()));
      f.instances.push_back(imported(parse_yolo_line(tok, where, size, p.skeleton(), dims), o));
    }
    batch.frames.push_back(std::move(f));
  }
  return batch;
}

void write_yolo(const Project& p, const std::vector<ExportFrame>& frames, const ExportOptions& o, const fs::path& out) {
  const Skeleton& sk = p.skeleton();
  std::set<std::string> splits;
  for (const ExportFrame& f : frames) {
    // Predict and reserve frames are not training data of that cycle; without splits
    // everything is train.
    std::string split = "train";
    if (f.split) {
      if (*f.split == Split::kPredict || *f.split == Split::kReserve) continue;
      split = to_string(*f.split);
    }
    splits.insert(split);
    const fs::path image_dst = out / "images" / split / f.file_name;
    copy_image(f.image, image_dst);
    fs::path label = out / "labels" / split / f.file_name;
    label.replace_extension(".txt");
    fs::create_directories(label.parent_path());
    AtomicFile file(label);
    const double w = f.width, h = f.height;
    for (const Annotation& a : f.instances) {
      const auto [cx, cy, bw, bh] = a.instance.box.to_cxcywh();
      file.stream() << "0 " << fixed6(cx / w) << ' ' << fixed6(cy / h) << ' ' << fixed6(bw / w) << ' ' << fixed6(bh / h);
      for (const Keypoint& k : a.instance.keypoints) {
        if (k.present())
          file.stream() << ' ' << fixed6(k.x / w) << ' ' << fixed6(k.y / h) << ' ' << to_int(k.v);
        else
          file.stream() << " 0.000000 0.000000 0";
      }
      file.stream() << '\n';
    }
    file.commit();
  }
  AtomicFile yaml(out / "data.yaml");
  auto& y = yaml.stream();
  y << "# Ultralytics YOLO pose data set written by behavtrack\n";
  y << "path: " << fs::absolute(o.path).string() << "\n";
  for (const char* s : {"train", "val", "test"})
    if (splits.count(s)) y << s << ": images/" << s << "\n";
  if (!splits.count("val") && splits.count("train")) y << "val: images/train\n";
  y << "kpt_shape: [" << sk.size() << ", 3]\n";
  y << "flip_idx: [";
  for (int i = 0; i < sk.size(); ++i) y << (i ? ", " : "") << (i < static_cast<int>(sk.flip.size()) ? sk.flip[i] : i);
  y << "]\nnames:\n  0: " << o.class_name << "\nkpt_names:\n  0: [";
  for (int i = 0; i < sk.size(); ++i) y << (i ? ", " : "") << sk.keypoints[i];
  y << "]\n";
  yaml.commit();
}

}  // namespace bt::project::labels
