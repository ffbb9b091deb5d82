#include "behavtrack/track/colour_repair.h"

#include <algorithm>
#include <cmath>

#include "behavtrack/track/association.h"

namespace bt::track {
namespace {

// Two stream ids closer than the contact distance over frames [first, last].
struct Contact {
  int a = 0, b = 0;  // stream ids, 0-based
  int first = 0, last = 0;
};

std::vector<Contact> find_contacts(const std::vector<FrameInstances>& frames, int n_ids, double contact_px, int join) {
  std::vector<Contact> contacts;
  std::vector<int> open(static_cast<std::size_t>(n_ids) * n_ids, -1);  // per pair: its latest contact
  std::vector<double> cx(n_ids), cy(n_ids);
  std::vector<char> present(n_ids);
  for (int t = 0; t < static_cast<int>(frames.size()); ++t) {
    std::fill(present.begin(), present.end(), 0);
    for (const Instance& i : frames[t].instances) {
      if (!i.id || i.id->value < 1 || i.id->value > n_ids) continue;
      const int k = static_cast<int>(i.id->value) - 1;
      present[k] = 1, cx[k] = (i.box.x1 + i.box.x2) / 2, cy[k] = (i.box.y1 + i.box.y2) / 2;
    }
    for (int a = 0; a < n_ids; ++a)
      for (int b = a + 1; b < n_ids; ++b) {
        if (!present[a] || !present[b] || !(std::hypot(cx[a] - cx[b], cy[a] - cy[b]) < contact_px)) continue;
        int& index = open[static_cast<std::size_t>(a) * n_ids + b];
        if (index >= 0 && t - contacts[index].last <= join + 1) {
          contacts[index].last = t;
          continue;
        }
        index = static_cast<int>(contacts.size());
        contacts.push_back({a, b, t, t});
      }
  }
  std::sort(contacts.begin(), contacts.end(), [](const Contact& x, const Contact& y) { return x.first < y.first; });
  return contacts;
}

class ColourRepair {
 public:
  ColourRepair(std::vector<std::vector<int>>& label, const FrameHistograms& clean, double fps,
               const IdentityResolverOptions& o)
      : label_(label), clean_(clean), o_(o), n_ids_(static_cast<int>(label.size())),
        n_frames_(label.empty() ? 0 : static_cast<int>(label[0].size())),
        after_(std::max(0, static_cast<int>(std::lround(o.repair_window_s * fps)))),
        min_seen_(std::max(1, static_cast<int>(std::lround(o.repair_min_s * fps)))),
        min_model_(std::max(1, static_cast<int>(std::lround(o.appearance_min_s * fps)))),
        model_(n_ids_) {}

  // Contacts in order of their first frame; the models hold every frame before it.
  int run(const std::vector<Contact>& contacts) {
    int swaps = 0, modelled = 0;
    for (const Contact& c : contacts) {
      for (; modelled < c.first && modelled < n_frames_; ++modelled) add_to_models(modelled);
      const int p = label_[c.a][c.first], q = label_[c.b][c.first];
      if (p == q || model_[p].n < min_model_ || model_[q].n < min_model_) continue;
      const Appearance mp = model_[p].mean(), mq = model_[q].mean();
      if (!(appearance_distance(mp, mq) > o_.appearance_alike)) continue;  // one coat: colour cannot tell
      swaps += undo_exchanges(p, q, mp, mq, c.first, std::min(n_frames_ - 1, c.last + after_));
    }
    return swaps;
  }

 private:
  void add_to_models(int t) {
    const std::vector<Appearance> h = histograms(t);
    for (int k = 0; k < n_ids_; ++k)
      if (!h[k].empty()) model_[label_[k][t]].add(h[k]);
  }

  std::vector<Appearance> histograms(int t) const {
    std::vector<Appearance> h = static_cast<std::size_t>(t) < clean_.size() ? clean_.frame(static_cast<std::size_t>(t))
                                                                             : std::vector<Appearance>{};
    h.resize(static_cast<std::size_t>(n_ids_));
    return h;
  }

  // Over frames [first, last]: where at least min_seen_ frames with both identities'
  // colours in a row (frames without them skipped) say p and q are exchanged, exchanges
  // them, from halfway between the last frame that said otherwise and the first of the run
  // to halfway between its last and the next that says otherwise; to the video's end when
  // none does by `last` (the exchange outlasts the contact). Returns the number of runs.
  int undo_exchanges(int p, int q, const Appearance& mp, const Appearance& mq, int first, int last) {
    const std::vector<double> evidence = exchange_evidence(p, q, mp, mq, first, last);
    std::vector<int> seen;  // frames with evidence
    for (int t = first; t <= last; ++t)
      if (!std::isnan(evidence[t - first])) seen.push_back(t);
    const int n = static_cast<int>(seen.size());
    int runs = 0;
    for (int i = 0; i < n;) {
      int j = i;
      while (j < n && evidence[seen[j] - first] > o_.repair_margin) ++j;
      if (j - i >= min_seen_) {
        const int from = i > 0 ? (seen[i - 1] + seen[i]) / 2 + 1 : seen[i];
        const int to = j < n ? (seen[j - 1] + seen[j]) / 2 : n_frames_ - 1;
        exchange(p, q, from, to);
        ++runs;
      }
      i = j + 1;
    }
    return runs;
  }

  // Per frame, with both identities' clean histograms h_p, h_q (NaN otherwise):
  // d(mp, h_p) + d(mq, h_q) - d(mp, h_q) - d(mq, h_p), Hellinger distances. Positive: each
  // looks like the other's coat.
  std::vector<double> exchange_evidence(int p, int q, const Appearance& mp, const Appearance& mq, int first,
                                        int last) const {
    std::vector<double> e(static_cast<std::size_t>(last - first + 1), std::nan(""));
    for (int t = first; t <= last; ++t) {
      const std::vector<Appearance> h = histograms(t);
      const Appearance *hp = nullptr, *hq = nullptr;
      for (int k = 0; k < n_ids_; ++k) {
        if (h[k].empty()) continue;
        if (label_[k][t] == p) hp = &h[k];
        if (label_[k][t] == q) hq = &h[k];
      }
      if (hp && hq)
        e[t - first] = appearance_distance(mp, *hp) + appearance_distance(mq, *hq) - appearance_distance(mp, *hq) -
                       appearance_distance(mq, *hp);
    }
    return e;
  }

  // Identities p and q trade places over frames [from, to].
  void exchange(int p, int q, int from, int to) {
    for (std::vector<int>& row : label_)
      for (int t = from; t <= to; ++t) {
        if (row[t] == p) row[t] = q;
        else if (row[t] == q) row[t] = p;
      }
  }

  std::vector<std::vector<int>>& label_;
  const FrameHistograms& clean_;
  const IdentityResolverOptions& o_;
  int n_ids_, n_frames_;
  int after_, min_seen_, min_model_;  // frames
  std::vector<HistogramSum> model_;         // per identity
};

}  // namespace

int repair_swaps_by_colour(std::vector<std::vector<int>>& label, const std::vector<FrameInstances>& frames,
                           const FrameHistograms& clean, double body_px, double fps,
                           const IdentityResolverOptions& options) {
  if (label.empty() || !(options.repair_margin > 0)) return 0;
  const int join = static_cast<int>(std::lround(options.join_s * fps));
  const std::vector<Contact> contacts =
      find_contacts(frames, static_cast<int>(label.size()), options.contact_bodies * body_px, join);
  return ColourRepair(label, clean, fps, options).run(contacts);
}

}  // namespace bt::track
