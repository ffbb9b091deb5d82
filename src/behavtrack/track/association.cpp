#include "behavtrack/track/association.h"

#include <algorithm>
#include <cmath>

#include "behavtrack/track/assignment.h"
#include "behavtrack/track/cost.h"

namespace bt::track {
namespace {

struct Pools {
  std::vector<int> tracks, detections;
};

// Runs one assignment stage over the given track and detection indices; records matches
// and removes the matched ones from both pools.
template <typename CostFn>
void run_stage(Pools& pool, std::vector<int>& track_ids, std::vector<int>& det_ids, double limit,
               CostFn cost, AssociationResult& out) {
  if (track_ids.empty() || det_ids.empty()) return;
  CostMatrix c(static_cast<int>(track_ids.size()), static_cast<int>(det_ids.size()));
  for (int r = 0; r < c.rows(); ++r)
    for (int k = 0; k < c.cols(); ++k) c(r, k) = cost(track_ids[r], det_ids[k]);
  const Assignment a = assign(c, limit);
  std::vector<int> matched_tracks, matched_dets;
  for (const auto& [r, k] : a.pairs) {
    out.matches.emplace_back(track_ids[r], det_ids[k]);
    matched_tracks.push_back(track_ids[r]);
    matched_dets.push_back(det_ids[k]);
  }
  auto remove = [](std::vector<int>& from, const std::vector<int>& gone) {
    from.erase(std::remove_if(from.begin(), from.end(),
                              [&](int x) { return std::find(gone.begin(), gone.end(), x) != gone.end(); }),
               from.end());
  };
  remove(pool.tracks, matched_tracks);
  remove(pool.detections, matched_dets);
  remove(track_ids, matched_tracks);
  remove(det_ids, matched_dets);
}

double cost_against(const AssociationInput& in, const Instance& expected, const Instance& d) {
  if (in.options.cost == CostKind::kBehavTrack)
    return 1.0 + behavtrack_cost(expected, d, in.image_diag_px, in.options.behavtrack);
  return mixed_cost(expected, d, in.options.weights);
}

// A lost mouse is either where its motion says or where it was last seen (it often just
// stopped under or beside another): the better of the two.
double motion_cost(const AssociationInput& in, const Track& t, const Instance& d) {
  const double predicted = cost_against(in, t.predicted(), d);
  if (t.lost_frames() == 0) return predicted;
  return std::min(predicted, cost_against(in, t.last(), d));
}

// Stage 1's cost with the colour cue mixed in when the video gives one (mixed cost only).
double stage1_cost(const AssociationInput& in, const Track& t, int k) {
  const double c = motion_cost(in, t, in.detections[k]);
  const double w = in.options.appearance_weight;
  if (in.options.cost != CostKind::kMixed || !(w > 0) || in.appearances.empty() || t.appearance().empty() ||
      in.appearances[k].empty())
    return c;
  return (1 - w) * c + w * appearance_distance(t.appearance(), in.appearances[k]);
}

double motion_limit(const TrackerOptions& o) {
  return o.cost == CostKind::kBehavTrack ? 1.0 + o.behavtrack.threshold : o.match_cost_max;
}

// Abstention in a crowd. When a confirmed track recently matched is left without a
// detection by stage 1 while a detection it could own almost as cheaply as its new owner
// went to a neighbour, the solver's choice of which mouse is missing is a coin toss: in a
// pile of mice spinning in place, taking it swaps the two ids for good. Neither gets the
// detection then; both hold their last box (the gap is interpolated) until a frame in
// which both are seen settles who is who.
void abstain_when_ambiguous(const AssociationInput& in, const std::vector<int>& unmatched_tracks,
                            AssociationResult& out) {
  const TrackerOptions& o = in.options;
  if (!(o.switch_margin > 0)) return;
  const int hold = std::max(1, static_cast<int>(std::lround(o.hold_s * in.fps)));
  std::vector<int> contenders;
  for (int u : unmatched_tracks)
    if (in.tracks[u].id && in.tracks[u].lost_frames() < hold) contenders.push_back(u);
  if (contenders.empty()) return;
  std::vector<std::pair<int, int>> kept;
  for (const auto& [t, k] : out.matches) {
    const double own = stage1_cost(in, in.tracks[t], k);
    const bool ambiguous = std::any_of(contenders.begin(), contenders.end(), [&](int u) {
      return stage1_cost(in, in.tracks[u], k) < own + o.switch_margin;
    });
    if (!ambiguous) kept.emplace_back(t, k);
  }
  out.matches = std::move(kept);
}

}  // namespace

double appearance_distance(const Appearance& a, const Appearance& b) {
  if (a.empty() || b.empty() || a.size() != b.size()) return 0.5;
  double bc = 0;
  for (size_t i = 0; i < a.size(); ++i) bc += std::sqrt(std::max(0.0f, a[i]) * std::max(0.0f, b[i]));
  return std::sqrt(std::max(0.0, 1.0 - bc));
}

double reid_cost(const Track& lost, const Instance& d, FrameIndex first_frame, const Appearance& appearance,
                 const TrackerOptions& o, double fps) {
  if (first_frame <= lost.last_frame()) return kImpossible;
  const double t_lost_s = static_cast<double>(first_frame - lost.last_frame()) / fps;
  const double radius = lost.body_length_px() * (1 + o.reid_speed_bodies_s * t_lost_s);
  const double from_last = std::hypot(d.box.cx() - lost.last().box.cx(), d.box.cy() - lost.last().box.cy());
  const double from_pred =
      std::hypot(d.box.cx() - lost.predicted().box.cx(), d.box.cy() - lost.predicted().box.cy());
  const double dist = std::min(from_last, from_pred) / radius;
  if (!(dist < 1)) return kImpossible;
  const double w = appearance.empty() || lost.appearance().empty() ? 0.0 : o.reid_appearance_weight;
  return (1 - w) * dist + w * appearance_distance(lost.appearance(), appearance);
}

AssociationResult associate(const AssociationInput& in) {
  const TrackerOptions& o = in.options;
  AssociationResult out;
  Pools pool;
  std::vector<int> confirmed, unconfirmed, high, low;
  for (int i = 0; i < static_cast<int>(in.tracks.size()); ++i) {
    pool.tracks.push_back(i);
    (in.tracks[i].id ? confirmed : unconfirmed).push_back(i);
  }
  for (int k = 0; k < static_cast<int>(in.detections.size()); ++k) {
    const double s = in.detections[k].score;
    if (s >= o.score_high) high.push_back(k);
    else if (o.two_stage && s >= o.score_low) low.push_back(k);
    else continue;
    pool.detections.push_back(k);
  }
  auto by_motion = [&](int t, int k) { return stage1_cost(in, in.tracks[t], k); };

  // Stage 1: high-score detections against every confirmed track.
  // The tracks and detections it leaves out of a match stay out of the later stages.
  run_stage(pool, confirmed, high, motion_limit(o), by_motion, out);
  abstain_when_ambiguous(in, confirmed, out);

  // Stage 2: low-score detections may only continue tracks that were active last frame.
  if (o.two_stage) {
    std::vector<int> active;
    for (int t : confirmed)
      if (in.tracks[t].lost_frames() == 0) active.push_back(t);
    run_stage(pool, active, low, 1.0 - o.low_iou_min,
              [&](int t, int k) { return 1.0 - iou(in.tracks[t].predicted().box, in.detections[k].box); }, out);
    confirmed.erase(std::remove_if(confirmed.begin(), confirmed.end(),
                                   [&](int t) { return std::find(pool.tracks.begin(), pool.tracks.end(), t) == pool.tracks.end(); }),
                    confirmed.end());
  }

  // Stage 3: tracks still waiting for confirmation.
  run_stage(pool, unconfirmed, high, motion_limit(o), by_motion, out);

  for (int k : high)
    if (in.detections[k].score >= o.score_new) out.new_track_candidates.push_back(k);
  std::stable_sort(out.new_track_candidates.begin(), out.new_track_candidates.end(),
                   [&](int a, int b) { return in.detections[a].score > in.detections[b].score; });
  return out;
}

}  // namespace bt::track
