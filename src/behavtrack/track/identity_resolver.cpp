#include "behavtrack/track/identity_resolver.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>

#include "behavtrack/core/error.h"
#include "behavtrack/track/assignment.h"
#include "behavtrack/track/association.h"
#include "behavtrack/track/colour_repair.h"

namespace bt::track {

void IdentityResolverOptions::validate() const {
  auto positive = [](const char* name, double v) {
    if (!(v > 0 && std::isfinite(v))) throw_invalid(std::string("identity resolver: ") + name + " = " + number_text(v) + ": must be > 0");
  };
  auto non_negative = [](const char* name, double v) {
    if (!(v >= 0 && std::isfinite(v))) throw_invalid(std::string("identity resolver: ") + name + " = " + number_text(v) + ": must be >= 0");
  };
  positive("contact_bodies", contact_bodies);
  non_negative("uncertain_margin_s", uncertain_margin_s);
  non_negative("join_s", join_s);
  non_negative("motion_weight", motion_weight);
  positive("speed_bodies_s", speed_bodies_s);
  non_negative("size_weight", size_weight);
  non_negative("continuity_weight", continuity_weight);
  positive("near_s", near_s);
  positive("size_tolerance", size_tolerance);
  non_negative("keep_cost", keep_cost);
  non_negative("backward_bias", backward_bias);
  non_negative("appearance_weight", appearance_weight);
  non_negative("appearance_margin", appearance_margin);
  if (!(appearance_alike >= 0 && appearance_alike < 1))
    throw_invalid("identity resolver: appearance_alike = " + number_text(appearance_alike) + ": must be in [0, 1)");
  positive("appearance_min_s", appearance_min_s);
  if (!(contact_overlap >= 0 && contact_overlap <= 1))
    throw_invalid("identity resolver: contact_overlap = " + number_text(contact_overlap) + ": must be in [0, 1]");
  non_negative("repair_margin", repair_margin);
  positive("repair_min_s", repair_min_s);
  if (iterations < 1) throw_invalid("identity resolver: iterations = " + std::to_string(iterations) + ": must be >= 1");
}

namespace {

// One mouse (stream id) in one frame.
struct Cell {
  bool present = false, detected = false;  // detected: a real detection, not interpolated
  double cx = 0, cy = 0;
  double length_px = -1;  // nose to tail base, detected frames only
};

// A stretch of one stream id between two of its episodes, [first, last] frame indices.
struct Segment {
  int id = 0;
  int first = 0, last = -1;
  std::vector<double> lengths;  // detected body lengths
  double size_px = -1;          // 75th percentile of lengths (-1: too few)
  double first_length_px = -1, last_length_px = -1;  // median of the first / last detected lengths
  int back_first = 0, back_last = 0;  // backward run's id over the first / last detections (0: none)
  HistogramSum colour;          // its clean (one mouse per box) histograms
  int label = 0;                // identity it belongs to
};

struct Episode {
  std::vector<int> ids;             // stream ids involved
  std::vector<int> first, last;     // per id: its ambiguous frames
  std::vector<int> enter, leave;    // per id: segment indices around the episode
  int switch_frame = 0;             // new labels apply from here
};

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return -1;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

struct UnionFind {
  std::vector<int> parent;
  int make() {
    parent.push_back(static_cast<int>(parent.size()));
    return parent.back();
  }
  int find(int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  int unite(int a, int b) {
    a = find(a), b = find(b);
    if (a != b) parent[b] = a;
    return a;
  }
};

class Resolver {
 public:
  Resolver(const std::vector<FrameInstances>& frames, const std::vector<FrameInstances>* backward,
           const DetectionAppearances* appearances, int head, int tail, double fps, const IdentityResolverOptions& o)
      : o_(o), fps_(fps), frames_(frames), backward_(backward) {
    build_table(frames, head, tail);
    if (o_.appearance_weight > 0) appearances_ = appearances;
  }

  // Returns label[id][frame index] (ids 0-based) and fills stats.
  std::vector<std::vector<int>> solve(IdentityResolverStats& stats) {
    find_episodes();
    build_segments();
    stats.episodes = static_cast<int>(episodes_.size());
    std::vector<std::vector<int>> permutations;
    for (int round = 0; round < o_.iterations; ++round) {
      estimate_sizes();
      permutations = label_segments();
    }
    stats.changed = 0;
    for (const auto& p : permutations)
      for (int i = 0; i < static_cast<int>(p.size()); ++i)
        if (p[i] != i) {
          ++stats.changed;
          break;
        }
    std::vector<std::vector<int>> label = frame_labels();
    if (appearances_) stats.repaired = repair_swaps_by_colour(label, frames_, clean_, body_px_, fps_, o_);
    return label;
  }

 private:
  void build_table(const std::vector<FrameInstances>& frames, int head, int tail) {
    n_frames_ = static_cast<int>(frames.size());
    for (const FrameInstances& f : frames)
      for (const Instance& i : f.instances) n_ids_ = std::max(n_ids_, i.id ? static_cast<int>(i.id->value) : 0);
    cells_.assign(static_cast<std::size_t>(n_frames_) * n_ids_, Cell{});
    std::vector<double> lengths;
    for (int t = 0; t < n_frames_; ++t)
      for (const Instance& i : frames[t].instances) {
        if (!i.id || i.id->value < 1) continue;
        Cell& c = cell(t, static_cast<int>(i.id->value) - 1);
        c.present = true;
        c.detected = i.score > 0;
        c.cx = (i.box.x1 + i.box.x2) / 2, c.cy = (i.box.y1 + i.box.y2) / 2;
        if (c.detected && head >= 0 && tail >= 0 && i.keypoints[head].present() && i.keypoints[tail].present()) {
          c.length_px = std::hypot(i.keypoints[head].x - i.keypoints[tail].x, i.keypoints[head].y - i.keypoints[tail].y);
          lengths.push_back(c.length_px);
        } else if (c.detected && lengths.size() < 16) {
          lengths.push_back(std::hypot(i.box.x2 - i.box.x1, i.box.y2 - i.box.y1) * 0.8);
        }
      }
    body_px_ = std::max(1.0, quantile(lengths, 0.75));
  }

  // Adds to each tracklet its mouse's clean histograms and, for the colour repair, keeps
  // them per frame (clean_: per frame index, one entry per stream id). A clean histogram is
  // that of the detection the tracked mouse came from (the best box overlap, IoU >= 0.5, in
  // the same frame), unless its histogram region (the box's central 80%, appearance.h)
  // overlaps another tracked mouse's box by more than contact_overlap of its area: such a
  // box holds two mice's pixels. With histograms that leave out the other detections'
  // boxes (others_masked), only a neighbour that was not detected (interpolated, score 0)
  // can have put its pixels there. One pass in frame order, reading the histograms a frame
  // at a time (frame_histograms.h); frames inside an episode belong to no tracklet.
  void sum_clean_histograms(const DetectionAppearances& a) {
    std::vector<int> index_of_frame;
    for (std::size_t j = 0; j < a.detections.size() && j < a.histograms.size(); ++j) {
      const FrameIndex f = a.detections[j].frame;
      if (f < 0) continue;
      if (index_of_frame.size() <= static_cast<std::size_t>(f)) index_of_frame.resize(static_cast<std::size_t>(f) + 1, -1);
      index_of_frame[static_cast<std::size_t>(f)] = static_cast<int>(j);
    }
    std::vector<std::vector<int>> tracklets_of(n_ids_);  // per id, in time order
    for (int k = 0; k < static_cast<int>(segments_.size()); ++k) tracklets_of[segments_[k].id].push_back(k);
    for (std::vector<int>& list : tracklets_of)
      std::sort(list.begin(), list.end(), [&](int x, int y) { return segments_[x].first < segments_[y].first; });
    std::vector<std::size_t> current(n_ids_, 0);  // per id: its tracklet ending at or after t
    for (int t = 0; t < n_frames_; ++t) {
      const std::vector<Appearance> kept = clean_histograms(a, index_of_frame, t);
      for (int id = 0; id < n_ids_; ++id)
        if (!kept[id].empty()) add_to_tracklet(t, kept[id], tracklets_of[id], current[id]);
      if (o_.repair_margin > 0) clean_.push_back(kept);
    }
  }

  // The clean histogram of each stream id in frame index t (empty where none).
  std::vector<Appearance> clean_histograms(const DetectionAppearances& a, const std::vector<int>& index_of_frame,
                                           int t) const {
    std::vector<Appearance> kept(static_cast<std::size_t>(n_ids_));
    const FrameInstances& out = frames_[t];
    const int j = out.frame >= 0 && static_cast<std::size_t>(out.frame) < index_of_frame.size()
                      ? index_of_frame[static_cast<std::size_t>(out.frame)] : -1;
    if (j < 0) return kept;
    const std::vector<Instance>& dets = a.detections[static_cast<std::size_t>(j)].instances;
    const std::vector<Appearance> hists = a.histograms.frame(static_cast<std::size_t>(j));
    if (hists.size() != dets.size()) return kept;
    for (const Instance& i : out.instances) {
      if (!i.id || i.id->value < 1 || !(i.score > 0) || overlaps_another(out, i, a.others_masked)) continue;
      double best = 0.5;
      for (std::size_t k = 0; k < dets.size(); ++k) {
        const double o = iou(i.box, dets[k].box);
        if (o >= best && !hists[k].empty()) best = o, kept[static_cast<std::size_t>(i.id->value - 1)] = hists[k];
      }
    }
    return kept;
  }

  // Adds h, seen at frame t, to the tracklet of `tracklets` (one id's, in time order) that
  // holds t; `current` is where the last frame's search ended.
  void add_to_tracklet(int t, const Appearance& h, const std::vector<int>& tracklets, std::size_t& current) {
    while (current < tracklets.size() && segments_[tracklets[current]].last < t) ++current;
    if (current == tracklets.size() || segments_[tracklets[current]].first > t) return;
    segments_[tracklets[current]].colour.add(h);
  }

  bool overlaps_another(const FrameInstances& f, const Instance& mine, bool detected_masked) const {
    const Box region = mine.box.enlarged(-0.2);
    const double area = std::max(1e-9, region.width() * region.height());
    for (const Instance& other : f.instances) {
      if (&other == &mine || (detected_masked && other.score > 0)) continue;
      const double w = std::min(region.x2, other.box.x2) - std::max(region.x1, other.box.x1);
      const double h = std::min(region.y2, other.box.y2) - std::max(region.y1, other.box.y1);
      if (w > 0 && h > 0 && w * h > o_.contact_overlap * area) return true;
    }
    return false;
  }

  Cell& cell(int t, int k) { return cells_[static_cast<std::size_t>(t) * n_ids_ + k]; }
  const Cell& cell(int t, int k) const { return cells_[static_cast<std::size_t>(t) * n_ids_ + k]; }

  // ---- step 1: ambiguous contacts, grouped into episodes ------------------------------
  void find_episodes() {
    const int margin = static_cast<int>(std::lround(o_.uncertain_margin_s * fps_));
    const int join = static_cast<int>(std::lround(o_.join_s * fps_));
    // uncertain[t][k]: an undetected frame of k lies within `margin` of t.
    std::vector<char> uncertain(cells_.size(), 0);
    for (int k = 0; k < n_ids_; ++k)
      for (int t = 0; t < n_frames_; ++t)
        if (!cell(t, k).detected)
          for (int u = std::max(0, t - margin); u <= std::min(n_frames_ - 1, t + margin); ++u)
            uncertain[static_cast<std::size_t>(u) * n_ids_ + k] = 1;
    UnionFind uf;
    std::vector<int> open(n_ids_, -1), last_seen(n_ids_, -1);
    struct Mark {
      int node, id, t;
    };
    std::vector<Mark> marks;
    const double contact_px = o_.contact_bodies * body_px_;
    for (int t = 0; t < n_frames_; ++t)
      for (int a = 0; a < n_ids_; ++a)
        for (int b = a + 1; b < n_ids_; ++b) {
          const Cell &ca = cell(t, a), &cb = cell(t, b);
          if (!ca.present || !cb.present) continue;
          if (!(std::hypot(ca.cx - cb.cx, ca.cy - cb.cy) < contact_px)) continue;
          if (!uncertain[static_cast<std::size_t>(t) * n_ids_ + a] && !uncertain[static_cast<std::size_t>(t) * n_ids_ + b])
            continue;
          int node = -1;
          for (int k : {a, b})
            if (open[k] >= 0 && t - last_seen[k] <= join) node = node < 0 ? uf.find(open[k]) : uf.unite(node, open[k]);
          if (node < 0) node = uf.make();
          for (int k : {a, b}) {
            open[k] = node, last_seen[k] = t;
            marks.push_back({node, k, t});
          }
        }
    std::vector<int> index_of(uf.parent.size(), -1);
    for (const Mark& m : marks) {
      const int root = uf.find(m.node);
      if (index_of[root] < 0) index_of[root] = static_cast<int>(episodes_.size()), episodes_.emplace_back();
      Episode& e = episodes_[index_of[root]];
      const auto it = std::find(e.ids.begin(), e.ids.end(), m.id);
      if (it == e.ids.end()) {
        e.ids.push_back(m.id), e.first.push_back(m.t), e.last.push_back(m.t);
      } else {
        const auto j = it - e.ids.begin();
        e.first[j] = std::min(e.first[j], m.t), e.last[j] = std::max(e.last[j], m.t);
      }
    }
    while (merge_out_of_order()) {
    }
  }

  // Orders the episodes by switch frame; where that order differs from one mouse's order
  // of its own contacts, merges the two episodes (its labels must change in time order).
  // Returns whether it merged.
  bool merge_out_of_order() {
    for (Episode& e : episodes_)
      e.switch_frame = (*std::min_element(e.first.begin(), e.first.end()) + *std::max_element(e.last.begin(), e.last.end())) / 2;
    std::sort(episodes_.begin(), episodes_.end(), [](const Episode& a, const Episode& b) { return a.switch_frame < b.switch_frame; });
    std::vector<int> previous(n_ids_, -1);  // episode index of each id's last contact so far
    for (int i = 0; i < static_cast<int>(episodes_.size()); ++i)
      for (std::size_t j = 0; j < episodes_[i].ids.size(); ++j) {
        const int k = episodes_[i].ids[j], p = previous[k];
        if (p >= 0 && span_of(episodes_[p], k).second >= episodes_[i].first[j]) {
          merge(episodes_[p], episodes_[i]);
          episodes_.erase(episodes_.begin() + i);
          return true;
        }
        previous[k] = i;
      }
    return false;
  }

  static std::pair<int, int> span_of(const Episode& e, int id) {
    const auto j = std::find(e.ids.begin(), e.ids.end(), id) - e.ids.begin();
    return {e.first[j], e.last[j]};
  }

  static void merge(Episode& into, const Episode& from) {
    for (std::size_t j = 0; j < from.ids.size(); ++j) {
      const auto it = std::find(into.ids.begin(), into.ids.end(), from.ids[j]);
      if (it == into.ids.end()) {
        into.ids.push_back(from.ids[j]), into.first.push_back(from.first[j]), into.last.push_back(from.last[j]);
        continue;
      }
      const auto k = it - into.ids.begin();
      into.first[k] = std::min(into.first[k], from.first[j]), into.last[k] = std::max(into.last[k], from.last[j]);
    }
  }

  // ---- tracklets: each id cut at its episodes -------------------------------------------
  void build_segments() {
    std::vector<int> current(n_ids_);
    for (int k = 0; k < n_ids_; ++k) current[k] = new_segment(k, 0);
    for (Episode& e : episodes_) {
      e.enter.resize(e.ids.size()), e.leave.resize(e.ids.size());
      for (std::size_t j = 0; j < e.ids.size(); ++j) {
        const int k = e.ids[j];
        segments_[current[k]].last = e.first[j] - 1;
        e.enter[j] = current[k];
        current[k] = e.leave[j] = new_segment(k, e.last[j] + 1);
      }
    }
    for (int k = 0; k < n_ids_; ++k) segments_[current[k]].last = n_frames_ - 1;
    for (Segment& s : segments_)
      for (int t = s.first; t <= s.last; ++t) {
        const Cell& c = cell(t, s.id);
        if (c.length_px > 0) s.lengths.push_back(c.length_px);
      }
    if (appearances_) sum_clean_histograms(*appearances_);
    const std::size_t enough = static_cast<std::size_t>(std::max(3.0, 0.5 * fps_));
    const int near = std::max(3, static_cast<int>(std::lround(o_.near_s * fps_)));
    for (Segment& s : segments_) {
      if (s.lengths.size() >= enough) s.size_px = quantile(s.lengths, 0.75);
      if (static_cast<int>(s.lengths.size()) >= 3) {
        const auto n = static_cast<std::ptrdiff_t>(std::min<std::size_t>(s.lengths.size(), static_cast<std::size_t>(near)));
        s.first_length_px = quantile({s.lengths.begin(), s.lengths.begin() + n}, 0.5);
        s.last_length_px = quantile({s.lengths.end() - n, s.lengths.end()}, 0.5);
      }
      s.back_first = backward_id(s, +1, near);
      s.back_last = backward_id(s, -1, near);
    }
  }

  // The id the backward run gives this segment's mouse over its first (+1) or last (-1)
  // `count` detected frames: the most frequent id of the backward instance it overlaps.
  int backward_id(const Segment& s, int direction, int count) const {
    if (!backward_ || backward_->size() != frames_.size() || s.last < s.first) return 0;
    std::vector<int> votes;
    for (int t = direction > 0 ? s.first : s.last; t >= s.first && t <= s.last && static_cast<int>(votes.size()) < count;
         t += direction) {
      if (!cell(t, s.id).detected) continue;
      const Instance* mine = nullptr;
      for (const Instance& i : frames_[t].instances)
        if (i.id && i.id->value - 1 == s.id) mine = &i;
      if (!mine) continue;
      double best = 0.5;
      int id = 0;
      for (const Instance& b : (*backward_)[t].instances)
        if (b.id && iou(mine->box, b.box) > best) best = iou(mine->box, b.box), id = b.id->value;
      if (id > 0) votes.push_back(id);
    }
    if (votes.empty()) return 0;
    std::sort(votes.begin(), votes.end());
    int best = votes[0], best_n = 0;
    for (std::size_t i = 0; i < votes.size();) {
      std::size_t j = i;
      while (j < votes.size() && votes[j] == votes[i]) ++j;
      if (static_cast<int>(j - i) > best_n) best_n = static_cast<int>(j - i), best = votes[i];
      i = j;
    }
    return best;
  }

  int new_segment(int id, int first) {
    Segment s;
    s.id = id, s.first = first, s.label = id;
    segments_.push_back(std::move(s));
    return static_cast<int>(segments_.size()) - 1;
  }

  // ---- step 3: identity sizes from the current labelling ------------------------------
  void estimate_sizes() {
    std::vector<std::vector<double>> pooled(n_ids_);
    for (const Segment& s : segments_) pooled[s.label].insert(pooled[s.label].end(), s.lengths.begin(), s.lengths.end());
    size_px_.assign(n_ids_, -1);
    for (int k = 0; k < n_ids_; ++k)
      if (pooled[k].size() >= static_cast<std::size_t>(fps_)) size_px_[k] = quantile(pooled[k], 0.75);
  }

  // ---- step 2: each episode's permutation, in time order -------------------------------
  std::vector<std::vector<int>> label_segments() {
    std::vector<std::vector<int>> permutations;
    start_appearance_models();
    for (const Episode& e : episodes_) {
      const int n = static_cast<int>(e.ids.size());
      for (int r = 0; r < n; ++r) add_to_appearance_model(segments_[e.enter[r]]);
      CostMatrix c(n, n), look(n, n);
      for (int r = 0; r < n; ++r)
        for (int col = 0; col < n; ++col) {
          const Segment &in = segments_[e.enter[r]], &out = segments_[e.leave[col]];
          look(r, col) = appearance_cost(out, in.label);
          c(r, col) = motion_cost(in, out) + continuity_cost(in, out) + size_cost(out, in.label) + look(r, col) +
                      (r == col ? 0 : o_.keep_cost);
        }
      const std::vector<int> from = choose_permutation(e, c, look);
      for (int col = 0; col < n; ++col) segments_[e.leave[col]].label = segments_[e.enter[from[col]]].label;
      permutations.push_back(from);
    }
    return permutations;
  }

  // The candidates: the forward run's continuation; without a backward run, every
  // permutation (optimal assignment); with one, its own continuation and, with the colour
  // cue, the permutation colour prefers (colour_permutation) when it beats the forward
  // run's colour cost by appearance_margin: a contact both runs continued the same wrong
  // way. The cheapest candidate on the whole cost wins (the forward one on a tie), the
  // backward run's with backward_bias taken off its cost.
  std::vector<int> choose_permutation(const Episode& e, const CostMatrix& c, const CostMatrix& look) const {
    const int n = static_cast<int>(e.ids.size());
    std::vector<int> forward(n);
    std::iota(forward.begin(), forward.end(), 0);
    std::vector<std::vector<int>> candidates = {forward};
    std::size_t backward_index = 0;  // 0: none
    if (backward_) {
      std::vector<int> other = backward_continuation(e);
      if (!other.empty()) backward_index = candidates.size(), candidates.push_back(std::move(other));
    }
    if (!backward_) {
      std::vector<int> best(n);
      for (const auto& [r, col] : assign(c, kImpossible).pairs) best[col] = r;
      candidates.push_back(std::move(best));
    } else if (appearances_) {
      std::vector<int> by_colour = colour_permutation(look);
      if (total(look, forward) - total(look, by_colour) >= o_.appearance_margin) candidates.push_back(std::move(by_colour));
    }
    std::size_t pick = 0;
    auto score = [&](std::size_t k) { return total(c, candidates[k]) - (k == backward_index ? o_.backward_bias : 0.0); };
    for (std::size_t k = 1; k < candidates.size(); ++k)
      if (score(k) < score(pick)) pick = k;
    return candidates[pick];
  }

  // The permutation colour alone prefers, moving a mouse off the forward run's choice only
  // for a gain of half the margin: two mice of one coat stay as the forward run put them
  // (motion alone re-decides contacts worse than the trackers do, identity_resolver.h).
  std::vector<int> colour_permutation(const CostMatrix& look) const {
    const int n = look.rows();
    CostMatrix c(n, n);
    for (int r = 0; r < n; ++r)
      for (int col = 0; col < n; ++col) c(r, col) = look(r, col) + (r == col ? 0 : o_.appearance_margin / 2);
    std::vector<int> from(n);
    for (const auto& [r, col] : assign(c, kImpossible).pairs) from[col] = r;
    return from;
  }

  static double total(const CostMatrix& c, const std::vector<int>& from) {
    double sum = 0;
    for (int col = 0; col < static_cast<int>(from.size()); ++col) sum += c(from[col], col);
    return sum;
  }

  // The backward run's continuation of this episode (leaving tracklet -> entering one,
  // read off its ids on the tracklets' ends); empty when its ids do not pair them up.
  std::vector<int> backward_continuation(const Episode& e) const {
    const int n = static_cast<int>(e.ids.size());
    std::vector<int> other(n, -1);
    for (int col = 0; col < n; ++col) {
      const int b = segments_[e.leave[col]].back_first;
      for (int r = 0; r < n && b > 0; ++r)
        if (segments_[e.enter[r]].back_last == b) other[col] = r;
    }
    std::vector<char> used(n, 0);
    for (int r : other) {
      if (r < 0 || used[r]) return {};
      used[r] = 1;
    }
    return other;
  }

  // ---- the colour cue: each identity's mean histogram over its tracklets so far -------
  // Built in time order within a round, from the tracklets that enter each episode (their
  // labels are final by then): the ids are defined at the video's start, so the model of
  // an identity comes from its past. A model over the whole video would be a blend of two
  // coats after a wrong exchange, and one made early in the video would favour the wrong
  // labels for most of it.
  void start_appearance_models() {
    model_.assign(n_ids_, {});
    in_model_.assign(segments_.size(), 0);
  }

  void add_to_appearance_model(const Segment& s) {
    const auto index = static_cast<std::size_t>(&s - segments_.data());
    if (!appearances_ || in_model_[index] || s.colour.n == 0) return;
    in_model_[index] = 1;
    model_[s.label].add(s.colour);
  }

  // appearance_weight x (tracklet's share of appearance_min_s of clean frames, at most 1)
  // x how far the Hellinger distance between its mean histogram and the identity's model
  // exceeds appearance_alike (closer counts as the same coat: two mice of one coat differ
  // by noise, and the noise must not decide between them).
  double appearance_cost(const Segment& s, int label) const {
    const double min_frames = std::max(1.0, o_.appearance_min_s * fps_);
    if (!appearances_) return 0;
    const HistogramSum& model = model_[label];
    if (s.colour.n < 3 || model.n < min_frames || model.sum.size() != s.colour.sum.size()) return 0;
    const double w = std::min(1.0, s.colour.n / min_frames);
    const double d = appearance_distance(s.colour.mean(), model.mean());
    return o_.appearance_weight * w * std::max(0.0, d - o_.appearance_alike);
  }

  // Where the entering tracklet's mouse was last seen and where the leaving one is first
  // seen, each extrapolated towards the other by half the gap (at most 0.2 s).
  double motion_cost(const Segment& in, const Segment& out) const {
    const int window = std::max(1, static_cast<int>(std::lround(fps_)));
    const End a = end_of(in, -1, window), b = end_of(out, +1, window);
    if (!a.found || !b.found) return 0;
    const double gap = std::max(1, b.t - a.t);
    const double h = std::min(gap / 2, 0.2 * fps_);
    const double dx = (a.x + a.vx * h) - (b.x - b.vx * h), dy = (a.y + a.vy * h) - (b.y - b.vy * h);
    const double scale = body_px_ * (0.25 + o_.speed_bodies_s * gap / fps_);
    return o_.motion_weight * std::min(std::hypot(dx, dy) / scale, 3.0);
  }

  // Body length just before and just after the episode: the posture changes little over
  // a short contact, so a mouse's length carries across it.
  double continuity_cost(const Segment& in, const Segment& out) const {
    if (in.last_length_px < 0 || out.first_length_px < 0) return 0;
    const double z = std::abs(in.last_length_px - out.first_length_px) / (o_.size_tolerance * body_px_);
    return o_.continuity_weight * std::min(z, 3.0);
  }

  double size_cost(const Segment& s, int label) const {
    if (s.size_px < 0 || size_px_[label] < 0) return 0;
    const double w = std::min(1.0, static_cast<double>(s.lengths.size()) / (2 * fps_));
    const double z = std::abs(s.size_px - size_px_[label]) / (o_.size_tolerance * size_px_[label]);
    return o_.size_weight * w * std::min(z, 3.0);
  }

  struct End {
    bool found = false;
    int t = 0;
    double x = 0, y = 0, vx = 0, vy = 0;  // pixels, pixels per frame
  };
  // The detected end of a segment (direction -1: its last frames, +1: its first), with the
  // velocity over up to 5 frames pointing out of the segment.
  End end_of(const Segment& s, int direction, int window) const {
    End e;
    const int start = direction < 0 ? s.last : s.first, stop = direction < 0 ? std::max(s.first, s.last - window)
                                                                          : std::min(s.last, s.first + window);
    for (int t = start; direction < 0 ? t >= stop : t <= stop; t += direction)
      if (cell(t, s.id).detected) {
        e.found = true, e.t = t;
        break;
      }
    if (!e.found) return e;
    const Cell& c = cell(e.t, s.id);
    e.x = c.cx, e.y = c.cy;
    for (int back = 5; back >= 2; --back) {
      const int u = e.t + direction * back;  // further inside the segment
      if (u < s.first || u > s.last || !cell(u, s.id).detected) continue;
      const Cell& p = cell(u, s.id);
      const double dt = e.t - u;  // forward time from p to c
      e.vx = (c.cx - p.cx) / dt, e.vy = (c.cy - p.cy) / dt;
      break;
    }
    return e;
  }

  // Label of every id in every frame from the segment labels.
  std::vector<std::vector<int>> frame_labels() const {
    std::vector<std::vector<int>> label(n_ids_, std::vector<int>(n_frames_));
    std::vector<int> current(n_ids_), from(n_ids_, 0);
    for (int k = 0; k < n_ids_; ++k) current[k] = k;
    auto fill = [&](int k, int until) {
      for (int t = from[k]; t < until; ++t) label[k][t] = segments_[current[k]].label;
      from[k] = until;
    };
    for (const Episode& e : episodes_)
      for (std::size_t j = 0; j < e.ids.size(); ++j) {
        fill(e.ids[j], e.switch_frame);
        current[e.ids[j]] = e.leave[j];
      }
    for (int k = 0; k < n_ids_; ++k) fill(k, n_frames_);
    return label;
  }

  IdentityResolverOptions o_;
  double fps_;
  const std::vector<FrameInstances>& frames_;
  const std::vector<FrameInstances>* backward_;
  int n_frames_ = 0, n_ids_ = 0;
  double body_px_ = 1;
  std::vector<Cell> cells_;
  std::vector<Episode> episodes_;
  std::vector<Segment> segments_;
  std::vector<double> size_px_;
  const DetectionAppearances* appearances_ = nullptr;  // null: the colour cue is off
  CompactHistograms clean_;  // per frame index, per stream id: its clean histogram (or empty); for the repair
  std::vector<HistogramSum> model_;             // per identity: its clean histograms so far
  std::vector<char> in_model_;                  // per segment: added this round
};

}  // namespace

std::vector<FrameInstances> resolve_identities(std::vector<FrameInstances> frames, int head, int tail, double fps,
                                               const IdentityResolverOptions& options, IdentityResolverStats* stats,
                                               const std::vector<FrameInstances>* backward,
                                               const DetectionAppearances* appearances) {
  options.validate();
  if (!(fps > 0 && std::isfinite(fps))) throw_invalid("identity resolver: fps = " + number_text(fps) + ": must be > 0");
  Resolver r(frames, backward, appearances, head, tail, fps, options);
  IdentityResolverStats local;
  const std::vector<std::vector<int>> label = r.solve(local);
  if (stats) *stats = local;
  for (std::size_t t = 0; t < frames.size(); ++t) {
    for (Instance& i : frames[t].instances)
      if (i.id && i.id->value >= 1) i.id = TrackId(label[static_cast<std::size_t>(i.id->value - 1)][t] + 1);
    std::sort(frames[t].instances.begin(), frames[t].instances.end(),
              [](const Instance& a, const Instance& b) { return a.id->value < b.id->value; });
  }
  return frames;
}

}  // namespace bt::track
