#include "behavtrack/track/colour_repair.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "behavtrack/track/association.h"

namespace bt::track {
namespace {

// Per frame index and stream id (flat, t * n_ids + k): whether a tracker could have
// exchanged that mouse with another there: it was undetected (missing, or interpolated
// with score 0) or closer than contact_px to another mouse.
std::vector<char> exchange_chances(const std::vector<FrameInstances>& frames, int n_ids, double contact_px) {
  std::vector<char> chance(frames.size() * static_cast<std::size_t>(n_ids), 1);
  std::vector<double> cx(n_ids), cy(n_ids);
  std::vector<char> present(n_ids);
  for (std::size_t t = 0; t < frames.size(); ++t) {
    std::fill(present.begin(), present.end(), 0);
    for (const Instance& i : frames[t].instances) {
      if (!i.id || i.id->value < 1 || i.id->value > n_ids) continue;
      const int k = static_cast<int>(i.id->value) - 1;
      present[k] = 1, cx[k] = (i.box.x1 + i.box.x2) / 2, cy[k] = (i.box.y1 + i.box.y2) / 2;
      chance[t * n_ids + k] = !(i.score > 0);
    }
    for (int a = 0; a < n_ids; ++a)
      for (int b = a + 1; b < n_ids; ++b)
        if (present[a] && present[b] && std::hypot(cx[a] - cx[b], cy[a] - cy[b]) < contact_px)
          chance[t * n_ids + a] = chance[t * n_ids + b] = 1;
  }
  return chance;
}

// Frames join the identities' coats this long after they are judged, so that the frames of
// an exchange found within it do not first blend the two coats.
constexpr double kModelLagS = 1.0;

class ColourRepair {
 public:
  ColourRepair(std::vector<std::vector<int>>& label, const FrameHistograms& clean, std::vector<char> chance,
               double fps, const IdentityResolverOptions& o)
      : label_(label), clean_(clean), chance_(std::move(chance)), o_(o), n_ids_(static_cast<int>(label.size())),
        n_frames_(label.empty() ? 0 : static_cast<int>(label[0].size())),
        lag_(std::max(1, static_cast<int>(std::lround(kModelLagS * fps)))),
        min_seen_(std::max(1, static_cast<int>(std::lround(o.repair_min_s * fps)))),
        min_model_(std::max(1, static_cast<int>(std::lround(o.appearance_min_s * fps)))),
        model_(n_ids_), coat_(n_ids_), pair_(static_cast<std::size_t>(n_ids_) * n_ids_) {}

  // Frames in time order; each pair of identities judged on every frame.
  int run() {
    int swaps = 0;
    for (int t = 0; t < n_frames_; ++t) {
      const std::vector<Appearance> h = histograms(t);
      std::vector<int> stream_of = streams_of_identities(t);
      for (int p = 0; p < n_ids_; ++p)
        for (int q = p + 1; q < n_ids_; ++q)
          if (judge(p, q, t, h, stream_of)) ++swaps, stream_of = streams_of_identities(t);
      // A frame joins the coats kModelLagS after it was judged (an exchange found later that
      // reaches back over it rebuilds them).
      if (t - lag_ >= 0) {
        add_frame(t - lag_, model_);
        for (int id = 0; id < n_ids_; ++id) coat_[id] = model_[id].mean();
      }
      added_ = std::max(0, t - lag_ + 1);
    }
    return swaps;
  }

 private:
  // Per pair of identities: the evidence since the last frame that said "not exchanged".
  struct PairState {
    int last_contrary = -1;              // last frame with evidence against an exchange
    int run_first = -1, run_length = 0;  // the frames with evidence for one since
    int chance_first = -1, chance_last = -1;  // frames in (last_contrary, t] where one could happen
  };

  // One frame's say on identities p and q. Once min_seen_ frames with both colours in a
  // row say they are exchanged, and a tracker had a chance to exchange them since the
  // last frame that said otherwise, they are exchanged from there to the video's end (a
  // later exchange back is found the same way). Returns whether it exchanged them.
  // `stream_of`: per identity, the stream id carrying it in frame t (-1: none).
  bool judge(int p, int q, int t, const std::vector<Appearance>& h, const std::vector<int>& stream_of) {
    PairState& s = pair_[static_cast<std::size_t>(p) * n_ids_ + q];
    const int kp = stream_of[p], kq = stream_of[q];
    if (kp < 0 || kq < 0) return false;
    if (chance(t, kp) || chance(t, kq)) {
      if (s.chance_first < 0) s.chance_first = t;
      s.chance_last = t;
    }
    const double e = evidence(p, q, h[kp], h[kq]);
    if (std::isnan(e)) return false;
    if (!(e > o_.repair_margin)) {
      s = PairState{t, -1, 0, -1, -1};
      return false;
    }
    if (s.run_length++ == 0) s.run_first = t;
    if (s.run_length < min_seen_ || s.chance_first < 0 || s.chance_first > s.run_first) return false;
    // Halfway between the evidence either side, within the frames that gave the chance.
    const int halfway = s.last_contrary >= 0 ? (s.last_contrary + s.run_first) / 2 + 1 : s.run_first;
    const int from = std::clamp(halfway, s.chance_first, std::min(s.chance_last + 1, s.run_first));
    exchange(p, q, from);
    rebuild_models(p, q);
    s = PairState{t, -1, 0, -1, -1};
    return true;
  }

  std::vector<int> streams_of_identities(int t) const {
    std::vector<int> stream_of(static_cast<std::size_t>(n_ids_), -1);
    for (int k = 0; k < n_ids_; ++k)
      if (label_[k][t] >= 0 && label_[k][t] < n_ids_) stream_of[label_[k][t]] = k;
    return stream_of;
  }

  // d(P, h_p) + d(Q, h_q) - d(P, h_q) - d(Q, h_p) with the coats P and Q (Hellinger
  // distances); NaN without both histograms, without coats learnt or for one coat.
  double evidence(int p, int q, const Appearance& hp, const Appearance& hq) const {
    if (hp.empty() || hq.empty() || model_[p].n < min_model_ || model_[q].n < min_model_) return std::nan("");
    const Appearance &mp = coat_[p], &mq = coat_[q];
    if (!(appearance_distance(mp, mq) > o_.appearance_alike)) return std::nan("");  // one coat: colour cannot tell
    return appearance_distance(mp, hp) + appearance_distance(mq, hq) - appearance_distance(mp, hq) -
           appearance_distance(mq, hp);
  }

  bool chance(int t, int k) const { return chance_[static_cast<std::size_t>(t) * n_ids_ + k]; }

  void add_frame(int t, std::vector<HistogramSum>& models) const {
    const std::vector<Appearance> h = histograms(t);
    for (int k = 0; k < n_ids_; ++k)
      if (!h[k].empty()) models[label_[k][t]].add(h[k]);
  }

  // After an exchange that reaches back into frames already in the models (rare: a few a
  // video, so summing again is cheaper than keeping per-frame sums to take out).
  void rebuild_models(int p, int q) {
    std::vector<HistogramSum> fresh(n_ids_);
    for (int t = 0; t < added_; ++t) add_frame(t, fresh);
    model_[p] = fresh[p], model_[q] = fresh[q];
    coat_[p] = model_[p].mean(), coat_[q] = model_[q].mean();
  }

  std::vector<Appearance> histograms(int t) const {
    std::vector<Appearance> h = static_cast<std::size_t>(t) < clean_.size() ? clean_.frame(static_cast<std::size_t>(t))
                                                                             : std::vector<Appearance>{};
    h.resize(static_cast<std::size_t>(n_ids_));
    return h;
  }

  // Identities p and q trade places from frame `from` to the video's end.
  void exchange(int p, int q, int from) {
    for (std::vector<int>& row : label_)
      for (int t = from; t < n_frames_; ++t) {
        if (row[t] == p) row[t] = q;
        else if (row[t] == q) row[t] = p;
      }
  }

  std::vector<std::vector<int>>& label_;
  const FrameHistograms& clean_;
  const std::vector<char> chance_;
  const IdentityResolverOptions& o_;
  int n_ids_, n_frames_;
  int lag_, min_seen_, min_model_;  // frames
  int added_ = 0;                   // frames [0, added_) are in the models
  std::vector<HistogramSum> model_;  // per identity: its clean histograms so far
  std::vector<Appearance> coat_;     // per identity: their mean
  std::vector<PairState> pair_;      // per pair p < q, at p * n_ids + q
};

}  // namespace

int repair_swaps_by_colour(std::vector<std::vector<int>>& label, const std::vector<FrameInstances>& frames,
                           const FrameHistograms& clean, double body_px, double fps,
                           const IdentityResolverOptions& options) {
  if (label.empty() || !(options.repair_margin > 0)) return 0;
  const int n_ids = static_cast<int>(label.size());
  return ColourRepair(label, clean, exchange_chances(frames, n_ids, options.contact_bodies * body_px), fps, options)
      .run();
}

}  // namespace bt::track
