// Small value types shared by every subsystem: boxes, keypoints, instances, skeletons.
//
// Coordinates are pixels of the original video frame, origin at the top-left corner,
// x to the right, y down; a pixel's centre is at (i + 0.5, j + 0.5) in this convention
// only where a function says so, otherwise a coordinate is just a position in pixels.
// Doubles are used so that imported labels (DLC CSV, COCO) round-trip exactly.
// Thread safety: plain values.
//
//   bt::Box b = bt::Box::from_cxcywh(100, 80, 40, 20);   // x1=80 y1=70 x2=120 y2=90
//   double overlap = bt::iou(b, other);
//   bt::Skeleton s = bt::Skeleton::default_mouse();     // nose, earL, earR, tailB
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bt {

// 0-based index of a frame in presentation (decode) order.
using FrameIndex = std::int64_t;

// Identity of a tracked animal (1..N for N animals). A distinct type so that an id is
// never mixed up with an index.
struct TrackId {
  int value = 0;
  constexpr explicit TrackId(int v = 0) : value(v) {}
  friend constexpr bool operator==(TrackId a, TrackId b) { return a.value == b.value; }
  friend constexpr bool operator!=(TrackId a, TrackId b) { return a.value != b.value; }
  friend constexpr bool operator<(TrackId a, TrackId b) { return a.value < b.value; }
};

// Axis-aligned box in pixels, corners (x1, y1) top-left and (x2, y2) bottom-right.
struct Box {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;

  static Box from_xyxy(double x1, double y1, double x2, double y2) { return {x1, y1, x2, y2}; }
  static Box from_cxcywh(double cx, double cy, double w, double h) {
    return {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
  }
  static Box from_xywh(double x, double y, double w, double h) { return {x, y, x + w, y + h}; }

  double width() const { return x2 - x1; }
  double height() const { return y2 - y1; }
  double cx() const { return (x1 + x2) / 2; }
  double cy() const { return (y1 + y2) / 2; }
  double area() const { return valid() ? width() * height() : 0.0; }
  // True when the box has positive width and height (NaN gives false).
  bool valid() const { return x2 > x1 && y2 > y1; }

  std::array<double, 4> to_xyxy() const { return {x1, y1, x2, y2}; }
  std::array<double, 4> to_cxcywh() const { return {cx(), cy(), width(), height()}; }
  std::array<double, 4> to_xywh() const { return {x1, y1, width(), height()}; }

  // The box clipped to the image [0, width] x [0, height].
  Box clipped(double image_w, double image_h) const;
  // The box grown by `margin` (a fraction of each side) about its centre.
  Box enlarged(double margin) const;
};

bool operator==(const Box& a, const Box& b);
// Intersection over union; 0 when either box is empty.
double iou(const Box& a, const Box& b);

enum class Visibility : std::uint8_t {
  kAbsent = 0,    // not labelled / not predicted
  kOccluded = 1,  // present but covered or unsure
  kVisible = 2,
};
// Parses the integer 0/1/2 of the file formats; throws bt::Error for other values.
Visibility visibility_from_int(int v);
inline int to_int(Visibility v) { return static_cast<int>(v); }

struct Keypoint {
  double x = 0, y = 0;
  Visibility v = Visibility::kAbsent;
  bool present() const { return v != Visibility::kAbsent; }
};
bool operator==(const Keypoint& a, const Keypoint& b);

// One animal in one frame: a box, its keypoints (in skeleton order) and scores.
struct Instance {
  Box box;
  std::vector<Keypoint> keypoints;
  std::vector<float> keypoint_scores;  // empty when the source has none (manual labels)
  float score = 1.0f;                  // detection confidence; 1 for manual labels
  std::optional<TrackId> id;           // absent for untracked detections
  std::string behavior;                // per-frame behaviour label; empty when unknown

  // The tightest box around the present keypoints, grown by `margin_px` on each side.
  // Returns nullopt when no keypoint is present.
  std::optional<Box> keypoint_box(double margin_px) const;
};

// Keypoint names, left/right flip map and drawing edges.
struct Skeleton {
  std::vector<std::string> keypoints;
  std::vector<int> flip;                  // flip[i]: index of i's mirror keypoint
  std::vector<std::pair<int, int>> edges; // for drawing only

  // nose, earL, earR, tailB with flip [0, 2, 1, 3].
  static Skeleton default_mouse();
  // Parses "nose,earL,earR,tailB" and "earL:earR,..." (pairs that mirror each other).
  static Skeleton from_names(const std::string& csv_names, const std::string& flip_pairs);

  int size() const { return static_cast<int>(keypoints.size()); }
  // Index of the keypoint called `name`, or -1.
  int index_of(const std::string& name) const;
  // Throws bt::Error naming the problem (duplicate names, a flip map that is not an
  // involution, an edge out of range).
  void validate() const;
  bool same_keypoints(const Skeleton& other) const { return keypoints == other.keypoints; }
};

// The instances of one frame.
struct FrameInstances {
  FrameIndex frame = 0;
  std::vector<Instance> instances;
};

}  // namespace bt

template <>
struct std::hash<bt::TrackId> {
  std::size_t operator()(bt::TrackId id) const noexcept { return std::hash<int>()(id.value); }
};

namespace bt {
// The default ethogram (shared/DESIGN.md, seed 000): five individual behaviours, then
// three social ones between two mice.
inline std::vector<std::string> default_behaviors() {
  return {"resting",  "rearing",  "running",      "self_grooming",
          "exploring", "fighting", "allogrooming", "close_investigation"};
}
}  // namespace bt
