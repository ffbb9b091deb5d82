#include "behavtrack/track/tracker.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "behavtrack/core/error.h"
#include "behavtrack/track/assignment.h"
#include "behavtrack/track/association.h"

namespace bt::track {
namespace {

double distance(const Keypoint& a, const Keypoint& b) { return std::hypot(a.x - b.x, a.y - b.y); }

Instance* instance_with_id(FrameInstances& f, TrackId id) {
  for (Instance& i : f.instances)
    if (i.id == id) return &i;
  return nullptr;
}
const Instance* instance_with_id(const FrameInstances& f, TrackId id) {
  for (const Instance& i : f.instances)
    if (i.id == id) return &i;
  return nullptr;
}

Instance lerp(const Instance& a, const Instance& b, double t) {
  Instance out = a;
  auto mix = [t](double x, double y) { return x + (y - x) * t; };
  out.box = {mix(a.box.x1, b.box.x1), mix(a.box.y1, b.box.y1), mix(a.box.x2, b.box.x2), mix(a.box.y2, b.box.y2)};
  for (size_t k = 0; k < out.keypoints.size(); ++k) {
    const Keypoint &ka = a.keypoints[k], &kb = b.keypoints[k];
    if (ka.present() && kb.present()) out.keypoints[k] = {mix(ka.x, kb.x), mix(ka.y, kb.y), Visibility::kOccluded};
    else out.keypoints[k] = {0, 0, Visibility::kAbsent};
  }
  if (!out.keypoint_scores.empty()) std::fill(out.keypoint_scores.begin(), out.keypoint_scores.end(), 0.0f);
  out.score = 0.0f;
  out.behavior.clear();
  return out;
}

void check_appearance_lists(std::size_t n_frames, std::size_t n_lists) {
  if (n_lists != n_frames)
    throw_internal("tracker: " + std::to_string(n_lists) + " appearance lists for " + std::to_string(n_frames) +
                   " frames of detections");
}

bool crowded(const std::vector<Instance>& dets, size_t k) {
  for (size_t j = 0; j < dets.size(); ++j)
    if (j != k && iou(dets[j].box, dets[k].box) > 0.1) return true;
  return false;
}

}  // namespace

Tracker::Tracker(TrackerOptions options, Skeleton skeleton, double fps, int width_px, int height_px)
    : options_(std::move(options)), skeleton_(std::move(skeleton)), fps_(fps) {
  options_.validate();
  frames_ = to_frames(options_, fps);
  if (!(width_px > 0 && height_px > 0))
    throw_invalid("tracker: image size " + std::to_string(width_px) + "x" + std::to_string(height_px) +
                  ": must be positive");
  image_diag_px_ = std::hypot(width_px, height_px);
  if (options_.flip_correction) {
    head_ = skeleton_.index_of(options_.head);
    tail_ = skeleton_.index_of(options_.tail);
    if (head_ < 0 || tail_ < 0 || head_ == tail_) head_ = tail_ = -1;
  }
  lag_ = std::max({frames_.max_gap + 1, frames_.smooth_half, frames_.confirm,
                   head_ >= 0 ? std::max(frames_.flip_after, frames_.flip_trust_detector) : 1});
}

void Tracker::check_detections(const FrameInstances& d) const {
  for (size_t i = 0; i < d.instances.size(); ++i) {
    const Instance& inst = d.instances[i];
    if (static_cast<int>(inst.keypoints.size()) != skeleton_.size())
      throw_invalid("detections: frame " + std::to_string(d.frame) + " instance " + std::to_string(i) + " has " +
                    std::to_string(inst.keypoints.size()) + " keypoints; the skeleton has " +
                    std::to_string(skeleton_.size()));
    if (!inst.box.valid())
      throw_invalid("detections: frame " + std::to_string(d.frame) + " instance " + std::to_string(i) +
                    ": box has no area");
  }
}

std::vector<FrameInstances> Tracker::push(const FrameInstances& detections,
                                          const std::vector<Appearance>& appearances) {
  if (detections.frame <= current_)
    throw_invalid("tracker: frame " + std::to_string(detections.frame) + " pushed after frame " +
                  std::to_string(current_) + "; frames must increase");
  if (!appearances.empty() && appearances.size() != detections.instances.size())
    throw_internal("tracker: " + std::to_string(appearances.size()) + " appearances for " +
                   std::to_string(detections.instances.size()) + " detections");
  check_detections(detections);
  if (current_ < 0) next_emit_ = detections.frame, current_ = detections.frame - 1;
  for (FrameIndex f = current_ + 1; f < detections.frame; ++f) push_one({f, {}}, {});
  push_one(detections, appearances);
  std::vector<FrameInstances> out;
  emit_ready(current_ - lag_, out);
  return out;
}

std::vector<FrameInstances> Tracker::flush() {
  std::vector<FrameInstances> out;
  emit_ready(current_, out);
  window_.clear();
  return out;
}

void Tracker::push_one(const FrameInstances& detections, const std::vector<Appearance>& appearances) {
  current_ = detections.frame;
  window_.push_back({current_, {}});
  ++stats_.frames;
  stats_.detections_in += static_cast<std::int64_t>(detections.instances.size());

  // Step 1: every track predicts where its mouse is now.
  for (Track& t : tracks_) t.predict();

  // Step 2: association (association.h).
  AssociationInput in{tracks_, detections.instances, appearances, options_, image_diag_px_, fps_};
  const AssociationResult r = associate(in);

  // Step 3: matched tracks take their detection; the others coast.
  std::vector<char> matched(tracks_.size(), 0);
  for (const auto& [t, k] : r.matches) {
    matched[t] = 1;
    apply_match(tracks_[t], detections.instances[k], appearances.empty() ? nullptr : &appearances[k],
                crowded(detections.instances, k), current_);
  }
  for (size_t t = 0; t < tracks_.size(); ++t)
    if (!matched[t]) tracks_[t].mark_missed();

  // Step 4: new tracks; those that lasted get an id or claim a lost one; drop ended ones.
  start_tracks(r.new_track_candidates, detections, appearances);
  promote_ready_tracks();
  retire_tracks();
}

Instance Tracker::oriented(Track& track, const Instance& d, bool* turned) {
  *turned = false;
  if (head_ < 0) return d;
  const Instance& p = track.predicted();
  double keep = 0, swap = 0;
  int compared = 0;
  for (const auto& [a, b] : {std::pair{head_, tail_}, std::pair{tail_, head_}}) {
    if (!d.keypoints[a].present() || !p.keypoints[a].present() || !p.keypoints[b].present()) continue;
    keep += distance(d.keypoints[a], p.keypoints[a]);
    swap += distance(d.keypoints[a], p.keypoints[b]);
    ++compared;
  }
  if (compared == 0 || !(swap < keep)) return d;
  ++stats_.flips;
  *turned = true;
  return with_keypoints_swapped(d, {{head_, tail_}});
}

// A detector rarely flips a mouse several frames running (~2-3% of detections, mostly
// alone), but a track can inherit the wrong orientation: from a fast turn its prediction
// lagged, a flipped first detection, or another mouse at a swap. Turning each detection
// to the track's orientation then keeps the track wrong for as long as it lives. So a
// run of flip_trust_detector_s of contradicting detections hands the orientation back to
// the detector, unless the track's own motion (moving head-first) says the detector is
// the one that is wrong. Measured (bench/track, heavy damage, synth seeds 100..105):
// without this rule 9.4% of tracked instances came out nose-for-tail against 3.4% of the
// detections.
Instance Tracker::settle_orientation(Track& track, const Instance& detection, FrameIndex frame) {
  bool turned = false;
  Instance d = oriented(track, detection, &turned);
  if (!turned || heading_cosine(track) > 0.5) {  // the motion backs the track: the detector flipped
    track.contradicted_frames = 0;
    return d;
  }
  if (track.contradicted_frames++ == 0) track.contradicted_since = frame;
  if (track.contradicted_frames < frames_.flip_trust_detector) return d;
  track.swap_head_tail(head_, tail_);
  turn_recorded_frames(track, track.contradicted_since, frame);
  stats_.flips -= track.contradicted_frames;  // those turns are undone: nothing was fixed
  track.contradicted_frames = 0;
  return detection;
}

double Tracker::heading_cosine(const Track& track) const {
  constexpr double kUnknown = 0;
  if (!options_.motion_model) return kUnknown;
  const Keypoint &h = track.last().keypoints[head_], &t = track.last().keypoints[tail_];
  if (!h.present() || !t.present()) return kUnknown;
  const auto [vx, vy] = track.velocity_px_s();
  const double speed = std::hypot(vx, vy), ax = h.x - t.x, ay = h.y - t.y, axis = std::hypot(ax, ay);
  if (!(speed > options_.flip_min_speed_bodies_s * track.body_length_px()) || !(axis > 0)) return kUnknown;
  return (ax * vx + ay * vy) / (axis * speed);
}

// Exchanges head and tail in the track's frames [from, to) still held back (or, before it
// has an id, in the observations kept for its replay).
void Tracker::turn_recorded_frames(Track& track, FrameIndex from, FrameIndex to) {
  const std::vector<std::pair<int, int>> pair{{head_, tail_}};
  if (!track.id) {
    for (auto& [f, inst] : track.unconfirmed_history)
      if (f >= from && f < to) inst = with_keypoints_swapped(inst, pair);
    return;
  }
  for (FrameIndex f = from; f < to; ++f)
    if (FrameInstances* fr = buffered(f))
      if (Instance* inst = instance_with_id(*fr, *track.id)) *inst = with_keypoints_swapped(*inst, pair);
}

void Tracker::vote_on_direction(Track& track, FrameIndex frame) {
  if (head_ < 0 || !track.id) return;
  const double cosine = heading_cosine(track);
  if (cosine > 0.5) track.backward_frames = 0;
  if (!(cosine < -0.5)) return;
  if (++track.backward_frames < frames_.flip_after) return;
  // Moving tail-first for flip_after_s: the track's own orientation is the wrong one.
  // Fix it, and the frames of this run still held back.
  track.swap_head_tail(head_, tail_);
  turn_recorded_frames(track, frame - track.backward_frames + 1, frame + 1);
  track.backward_frames = 0;
  ++stats_.flips;
}

void Tracker::apply_match(Track& track, const Instance& detection, const Appearance* appearance,
                          bool is_crowded, FrameIndex frame) {
  const Instance d = settle_orientation(track, detection, frame);
  const Instance before = track.last();
  const FrameIndex before_frame = track.last_frame();
  track.update(d, frame);
  // Appearance is learnt only from boxes that hold one mouse.
  if (appearance && !is_crowded) track.update_appearance(*appearance, 0.1);
  if (!track.id) {
    track.unconfirmed_history.emplace_back(frame, d);
    return;
  }
  const FrameIndex gap = frame - before_frame - 1;
  if (gap >= 1 && gap <= frames_.max_gap) {
    for (FrameIndex f = before_frame + 1; f < frame; ++f)
      record(track, f, lerp(before, d, static_cast<double>(f - before_frame) / (frame - before_frame)));
    stats_.interpolated += gap;
  }
  record(track, frame, d);
  vote_on_direction(track, frame);
}

void Tracker::give_new_id(Track& track) {
  track.id = TrackId(next_id_++);
  ++confirmed_count_;
  stats_.identities = next_id_ - 1;
  replay_history(track, track.last(), -1);
}

// Writes an unconfirmed track's observations into the output under its (new) id, with
// the gap since `before` (at before_frame, -1 for none) interpolated when short enough.
void Tracker::replay_history(Track& track, const Instance& before, FrameIndex before_frame) {
  if (!track.unconfirmed_history.empty() && before_frame >= 0) {
    const auto& [first_frame, first] = track.unconfirmed_history.front();
    const FrameIndex gap = first_frame - before_frame - 1;
    if (gap >= 1 && gap <= frames_.max_gap) {
      for (FrameIndex f = before_frame + 1; f < first_frame; ++f)
        record(track, f, lerp(before, first, static_cast<double>(f - before_frame) / (first_frame - before_frame)));
      stats_.interpolated += gap;
    }
  }
  for (const auto& [f, inst] : track.unconfirmed_history) record(track, f, inst);
  track.unconfirmed_history.clear();
}

void Tracker::promote_ready_tracks() {
  std::vector<int> ready;
  for (int i = 0; i < static_cast<int>(tracks_.size()); ++i) {
    Track& t = tracks_[i];
    if (t.id || t.dropped || t.hits() < frames_.confirm || t.last_frame() != current_) continue;
    if (options_.animals == 0 || confirmed_count_ < options_.animals) give_new_id(t);
    else ready.push_back(i);
  }
  if (!ready.empty() && options_.reid) claim_lost_identities(ready);
}

// Every id is taken, so a lasting new track is one of the N mice reappearing: give it the
// lost identity it fits best (optimal assignment on reid_cost).
void Tracker::claim_lost_identities(const std::vector<int>& ready) {
  std::vector<int> lost;
  for (int i = 0; i < static_cast<int>(tracks_.size()); ++i)
    if (tracks_[i].id && tracks_[i].lost_frames() > 0) lost.push_back(i);
  if (lost.empty()) return;
  CostMatrix c(static_cast<int>(lost.size()), static_cast<int>(ready.size()));
  for (int r = 0; r < c.rows(); ++r)
    for (int k = 0; k < c.cols(); ++k) {
      const Track& found = tracks_[ready[k]];
      const auto& [first_frame, first] = found.unconfirmed_history.front();
      c(r, k) = reid_cost(tracks_[lost[r]], first, first_frame, found.appearance(), options_, fps_);
    }
  for (const auto& [r, k] : assign(c, 1.0).pairs) {
    Track& owner = tracks_[lost[r]];
    Track& found = tracks_[ready[k]];
    const Instance before = owner.last();
    const FrameIndex before_frame = owner.last_frame();
    owner.unconfirmed_history = std::move(found.unconfirmed_history);
    owner.adopt(found);
    replay_history(owner, before, before_frame);
    found.dropped = true;
  }
}

void Tracker::start_tracks(const std::vector<int>& candidates, const FrameInstances& detections,
                           const std::vector<Appearance>& appearances) {
  bool any_lost = false;
  for (const Track& t : tracks_) any_lost |= t.id && t.lost_frames() > 0;
  for (int k : candidates) {
    // With every id taken and nobody lost, a new detection is a false positive.
    if (options_.animals > 0 && confirmed_count_ >= options_.animals && !(any_lost && options_.reid)) return;
    const Instance& d = detections.instances[k];
    // A second box on a mouse that is already tracked is not a new mouse.
    const bool duplicate = std::any_of(tracks_.begin(), tracks_.end(), [&](const Track& t) {
      return t.last_frame() == current_ && iou(t.last().box, d.box) > 0.7;
    });
    if (duplicate) continue;
    Track t(options_, frames_, d, current_, fps_);
    if (!appearances.empty()) t.update_appearance(appearances[k], 1.0);
    t.unconfirmed_history.emplace_back(current_, d);
    tracks_.push_back(std::move(t));
  }
}

void Tracker::retire_tracks() {
  tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(),
                               [&](const Track& t) {
                                 if (t.dropped) return true;
                                 if (!t.id) return t.lost_frames() > 0;
                                 return options_.animals == 0 && t.lost_frames() > frames_.max_lost;
                               }),
                tracks_.end());
}

void Tracker::record(const Track& track, FrameIndex frame, const Instance& instance) {
  FrameInstances* f = buffered(frame);
  if (!f || frame < next_emit_) return;  // already emitted
  Instance inst = instance;
  inst.id = track.id;
  if (Instance* existing = instance_with_id(*f, *track.id)) *existing = inst;
  else f->instances.push_back(std::move(inst));
}

FrameInstances* Tracker::buffered(FrameIndex frame) {
  if (window_.empty()) return nullptr;
  const FrameIndex offset = frame - window_.front().frame;
  if (offset < 0 || offset >= static_cast<FrameIndex>(window_.size())) return nullptr;
  return &window_[static_cast<size_t>(offset)];
}

void Tracker::emit_ready(FrameIndex up_to, std::vector<FrameInstances>& out) {
  for (; next_emit_ <= up_to; ++next_emit_) {
    const FrameInstances* f = buffered(next_emit_);
    if (!f) continue;
    out.push_back(smoothed(*f));
    std::sort(out.back().instances.begin(), out.back().instances.end(),
              [](const Instance& a, const Instance& b) { return a.id->value < b.id->value; });
    stats_.instances_out += static_cast<std::int64_t>(f->instances.size());
  }
  while (!window_.empty() && window_.front().frame < next_emit_ - frames_.smooth_half) window_.pop_front();
}

FrameInstances Tracker::smoothed(const FrameInstances& frame) const {
  FrameInstances out = frame;
  const int h = frames_.smooth_half;
  if (h == 0) return out;
  // Centred triangular window over the same identity: weight h + 1 - |offset|. Offsets
  // are taken in pairs (-o, +o) and only when both frames hold the mouse, so the window
  // stays symmetric at the ends of a track and linear motion is not biased.
  for (Instance& inst : out.instances) {
    const size_t n = inst.keypoints.size();
    std::vector<double> sx(n, 0), sy(n, 0), sw(n, 0);
    double bx1 = 0, by1 = 0, bx2 = 0, by2 = 0, bw = 0;
    auto same_mouse = [&](int o) -> const Instance* {
      const FrameInstances* f = const_cast<Tracker*>(this)->buffered(frame.frame + o);
      return f ? instance_with_id(*f, *inst.id) : nullptr;
    };
    for (int o = 0; o <= h; ++o) {
      const Instance* pair[2] = {same_mouse(-o), same_mouse(o)};
      if (!pair[0] || !pair[1]) continue;
      const double w = h + 1 - o;
      for (int side = 0; side < (o == 0 ? 1 : 2); ++side) {  // the centre counts once
        const Instance* other = pair[side];
        bx1 += w * other->box.x1, by1 += w * other->box.y1, bx2 += w * other->box.x2, by2 += w * other->box.y2;
        bw += w;
        for (size_t k = 0; k < n; ++k) {
          if (!inst.keypoints[k].present() || !other->keypoints[k].present()) continue;
          sx[k] += w * other->keypoints[k].x, sy[k] += w * other->keypoints[k].y, sw[k] += w;
        }
      }
    }
    inst.box = {bx1 / bw, by1 / bw, bx2 / bw, by2 / bw};
    for (size_t k = 0; k < n; ++k)
      if (sw[k] > 0) inst.keypoints[k].x = sx[k] / sw[k], inst.keypoints[k].y = sy[k] / sw[k];
  }
  return out;
}

std::vector<FrameInstances> track_reversed(TrackerOptions options, const Skeleton& skeleton, double fps, int width_px,
                                           int height_px, const std::vector<FrameInstances>& detections,
                                           const FrameHistograms* appearances) {
  if (detections.empty()) return {};
  if (appearances) check_appearance_lists(detections.size(), appearances->size());
  options.flip_correction = false;
  Tracker tracker(options, skeleton, fps, width_px, height_px);
  // Frame f plays as last - f, so the reversed numbers increase.
  const FrameIndex last = detections.back().frame;
  std::vector<FrameInstances> out;
  for (std::size_t j = detections.size(); j-- > 0;) {
    FrameInstances f = detections[j];
    f.frame = last - f.frame;
    for (FrameInstances& done : tracker.push(f, appearances ? appearances->frame(j) : std::vector<Appearance>{}))
      out.push_back(std::move(done));
  }
  for (FrameInstances& done : tracker.flush()) out.push_back(std::move(done));
  std::reverse(out.begin(), out.end());
  for (FrameInstances& f : out) f.frame = last - f.frame;
  return out;
}

std::vector<FrameInstances> resolve_offline(std::vector<FrameInstances> forward, const TrackerOptions& options,
                                            const Skeleton& skeleton, double fps, int width_px, int height_px,
                                            const std::vector<FrameInstances>& detections,
                                            const FrameHistograms* appearances, IdentityResolverStats* stats) {
  const std::vector<FrameInstances> backward =
      track_reversed(options, skeleton, fps, width_px, height_px, detections, appearances);
  std::optional<DetectionAppearances> colours;
  if (appearances) colours.emplace(DetectionAppearances{detections, *appearances});
  return resolve_identities(std::move(forward), skeleton.index_of(options.head), skeleton.index_of(options.tail), fps,
                            options.offline, stats, &backward, colours ? &*colours : nullptr);
}

std::vector<FrameInstances> track_detections(const TrackerOptions& options, const Skeleton& skeleton, double fps,
                                             int width_px, int height_px, const std::vector<FrameInstances>& detections,
                                             const std::vector<std::vector<Appearance>>& appearances,
                                             IdentityResolverStats* stats) {
  if (!appearances.empty()) check_appearance_lists(detections.size(), appearances.size());
  Tracker tracker(options, skeleton, fps, width_px, height_px);
  std::vector<FrameInstances> out;
  for (std::size_t j = 0; j < detections.size(); ++j)
    for (FrameInstances& done : tracker.push(detections[j], appearances.empty() ? std::vector<Appearance>{} : appearances[j]))
      out.push_back(std::move(done));
  for (FrameInstances& done : tracker.flush()) out.push_back(std::move(done));
  if (!options.offline_identities || options.animals == 0) return out;
  const HeldHistograms held(appearances);
  return resolve_offline(std::move(out), options, skeleton, fps, width_px, height_px, detections,
                         appearances.empty() ? nullptr : &held, stats);
}

}  // namespace bt::track
