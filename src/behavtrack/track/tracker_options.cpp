#include "behavtrack/track/tracker_options.h"

#include <cmath>
#include <algorithm>

#include "behavtrack/core/error.h"

namespace bt::track {
namespace {

void require(bool ok, const char* field, double value, const char* rule) {
  if (!ok) throw_invalid(std::string("tracker options: ") + field + " = " + number_text(value) + ": " + rule);
}

void fraction(const char* field, double v) { require(v >= 0 && v <= 1, field, v, "must be in [0, 1]"); }
void non_negative(const char* field, double v) { require(v >= 0 && std::isfinite(v), field, v, "must be >= 0"); }
void positive(const char* field, double v) { require(v > 0 && std::isfinite(v), field, v, "must be > 0"); }

int frames_at_least_one(double seconds, double fps) {
  return std::max(1, static_cast<int>(std::lround(seconds * fps)));
}

}  // namespace

CostKind cost_kind_from_string(const std::string& name) {
  if (name == "mixed") return CostKind::kMixed;
  if (name == "behavtrack") return CostKind::kBehavTrack;
  throw_invalid("cost '" + name + "': unknown; use mixed or behavtrack");
}

const char* to_string(CostKind kind) { return kind == CostKind::kMixed ? "mixed" : "behavtrack"; }

void TrackerOptions::validate() const {
  require(animals >= 0 && animals <= 10000, "animals", animals, "must be 0 (unknown) or a positive count");
  weights.validate();
  behavtrack.validate();
  kalman.validate();
  offline.validate();
  require(match_cost_max > 0 && match_cost_max <= 1, "match_cost_max", match_cost_max, "must be in (0, 1]");
  fraction("appearance_weight", appearance_weight);
  fraction("switch_margin", switch_margin);
  non_negative("hold_s", hold_s);
  non_negative("coast_s", coast_s);
  fraction("score_high", score_high);
  fraction("score_low", score_low);
  require(score_low <= score_high, "score_low", score_low, "must be <= score_high");
  fraction("low_iou_min", low_iou_min);
  fraction("score_new", score_new);
  non_negative("confirm_s", confirm_s);
  non_negative("reid_speed_bodies_s", reid_speed_bodies_s);
  fraction("reid_appearance_weight", reid_appearance_weight);
  positive("max_lost_s", max_lost_s);
  require(max_gap_s >= 0 && max_gap_s <= 60, "max_gap_s", max_gap_s, "must be in [0, 60]");
  require(smooth_s >= 0 && smooth_s <= 10, "smooth_s", smooth_s, "must be in [0, 10]");
  non_negative("flip_min_speed_bodies_s", flip_min_speed_bodies_s);
  positive("flip_after_s", flip_after_s);
  positive("flip_trust_detector_s", flip_trust_detector_s);
  non_negative("max_turn_deg_s", max_turn_deg_s);
}

TrackerOptions TrackerOptions::iou_only() {
  TrackerOptions o;
  o.weights = {1.0, 0.0, 0.0, o.weights.oks_kappa};
  o.match_cost_max = 0.9;  // IoU > 0.1
  o.motion_model = false;
  o.two_stage = false;
  o.switch_margin = 0;
  o.reid = false;
  o.confirm_s = 0;
  o.max_gap_s = 0;
  o.smooth_s = 0;
  o.flip_correction = false;
  o.offline_identities = false;
  o.max_lost_s = 1.0;
  return o;
}

bool TrackerOptions::uses_appearance() const {
  return appearance_weight > 0 || (reid && reid_appearance_weight > 0) ||
         (offline_identities && animals > 0 && offline.appearance_weight > 0);
}

TrackerOptions TrackerOptions::behavtrack_style(int animals) {
  TrackerOptions o;
  o.animals = animals;
  o.cost = CostKind::kBehavTrack;
  o.motion_model = false;
  o.two_stage = false;
  o.switch_margin = 0;
  o.reid = true;
  o.reid_speed_bodies_s = 1e6;  // any vanished id may take any new detection
  o.reid_appearance_weight = 0;
  o.confirm_s = 0;
  o.max_gap_s = 0;
  o.smooth_s = 0;
  o.flip_correction = false;
  o.offline_identities = false;
  return o;
}

TrackerFrames to_frames(const TrackerOptions& o, double fps) {
  if (!(fps > 0) || !std::isfinite(fps)) throw_invalid("tracker: fps = " + number_text(fps) + ": must be > 0; pass the frame rate");
  TrackerFrames f;
  f.confirm = frames_at_least_one(o.confirm_s, fps);
  f.coast = frames_at_least_one(o.coast_s, fps);
  f.max_lost = frames_at_least_one(o.max_lost_s, fps);
  f.max_gap = static_cast<int>(std::lround(o.max_gap_s * fps));
  f.smooth_half = static_cast<int>(std::lround(o.smooth_s * fps / 2));
  f.flip_after = frames_at_least_one(o.flip_after_s, fps);
  f.flip_trust_detector = frames_at_least_one(o.flip_trust_detector_s, fps);
  return f;
}

}  // namespace bt::track
