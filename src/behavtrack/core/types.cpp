#include "behavtrack/core/types.h"

#include <algorithm>
#include <limits>
#include <set>
#include <sstream>

#include "behavtrack/core/error.h"

namespace bt {

Box Box::clipped(double image_w, double image_h) const {
  return {std::clamp(x1, 0.0, image_w), std::clamp(y1, 0.0, image_h),
          std::clamp(x2, 0.0, image_w), std::clamp(y2, 0.0, image_h)};
}

Box Box::enlarged(double margin) const {
  const double dw = width() * margin / 2, dh = height() * margin / 2;
  return {x1 - dw, y1 - dh, x2 + dw, y2 + dh};
}

bool operator==(const Box& a, const Box& b) {
  return a.x1 == b.x1 && a.y1 == b.y1 && a.x2 == b.x2 && a.y2 == b.y2;
}

double iou(const Box& a, const Box& b) {
  const double iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const double ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (!(iw > 0 && ih > 0)) return 0.0;
  const double inter = iw * ih;
  const double uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

Visibility visibility_from_int(int v) {
  if (v < 0 || v > 2)
    throw_invalid("keypoint visibility " + std::to_string(v) + ": must be 0, 1 or 2");
  return static_cast<Visibility>(v);
}

bool operator==(const Keypoint& a, const Keypoint& b) {
  return a.x == b.x && a.y == b.y && a.v == b.v;
}

std::optional<Box> Instance::keypoint_box(double margin_px) const {
  double x1 = std::numeric_limits<double>::max(), y1 = x1;
  double x2 = std::numeric_limits<double>::lowest(), y2 = x2;
  bool any = false;
  for (const Keypoint& k : keypoints) {
    if (!k.present()) continue;
    any = true;
    x1 = std::min(x1, k.x), y1 = std::min(y1, k.y);
    x2 = std::max(x2, k.x), y2 = std::max(y2, k.y);
  }
  if (!any) return std::nullopt;
  return Box{x1 - margin_px, y1 - margin_px, x2 + margin_px, y2 + margin_px};
}

Skeleton Skeleton::default_mouse() {
  Skeleton s;
  s.keypoints = {"nose", "earL", "earR", "tailB"};
  s.flip = {0, 2, 1, 3};
  s.edges = {{0, 1}, {0, 2}, {1, 2}, {1, 3}, {2, 3}};
  return s;
}

namespace {
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}
}  // namespace

Skeleton Skeleton::from_names(const std::string& csv_names, const std::string& flip_pairs) {
  Skeleton s;
  s.keypoints = split(csv_names, ',');
  for (const std::string& name : s.keypoints)
    if (name.empty()) throw_invalid("keypoints " + quoted(csv_names) + ": empty name");
  s.flip.resize(s.keypoints.size());
  for (int i = 0; i < s.size(); ++i) s.flip[i] = i;
  for (const std::string& pair : split(flip_pairs, ',')) {
    if (pair.empty()) continue;
    const auto parts = split(pair, ':');
    if (parts.size() != 2)
      throw_invalid("flip pair " + quoted(pair) + ": expected LEFT:RIGHT");
    const int a = s.index_of(parts[0]), b = s.index_of(parts[1]);
    if (a < 0 || b < 0)
      throw_invalid("flip pair " + quoted(pair) + ": " + quoted(a < 0 ? parts[0] : parts[1]) +
                    " is not one of the keypoints " + quoted(csv_names));
    s.flip[a] = b;
    s.flip[b] = a;
  }
  // Edges: a chain through the keypoints in order, enough to draw any skeleton.
  for (int i = 0; i + 1 < s.size(); ++i) s.edges.emplace_back(i, i + 1);
  s.validate();
  return s;
}

int Skeleton::index_of(const std::string& name) const {
  const auto it = std::find(keypoints.begin(), keypoints.end(), name);
  return it == keypoints.end() ? -1 : static_cast<int>(it - keypoints.begin());
}

void Skeleton::validate() const {
  if (keypoints.empty()) throw_invalid("skeleton: no keypoints");
  std::set<std::string> seen;
  for (const std::string& name : keypoints)
    if (!seen.insert(name).second) throw_invalid("skeleton: duplicate keypoint " + quoted(name));
  if (flip.size() != keypoints.size())
    throw_invalid("skeleton: flip map has " + std::to_string(flip.size()) + " entries, expected " +
                  std::to_string(keypoints.size()));
  for (int i = 0; i < size(); ++i) {
    const int j = flip[i];
    if (j < 0 || j >= size() || flip[j] != i)
      throw_invalid("skeleton: flip map entry " + std::to_string(i) + " = " + std::to_string(j) +
                    " is not a left/right pairing");
  }
  for (const auto& [a, b] : edges)
    if (a < 0 || b < 0 || a >= size() || b >= size())
      throw_invalid("skeleton: edge (" + std::to_string(a) + ", " + std::to_string(b) +
                    ") refers to a keypoint that does not exist");
}

}  // namespace bt
