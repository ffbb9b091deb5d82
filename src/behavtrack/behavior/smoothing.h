// Temporal smoothing of per-frame class probabilities for one mouse, as MARS and JABS do
// after their frame classifiers: an HMM Viterbi pass, then an optional minimum bout length.
//
//   auto hmm = bt::behavior::TransitionModel::estimate(label_runs, n_classes);
//   std::vector<int> path = bt::behavior::viterbi(proba, n_frames, hmm);
//   bt::behavior::enforce_min_bout(path, 5);
//
// HMM (hybrid form, ref: Bourlard & Morgan 1994): hidden state = behaviour; emission score
// log p(c | x_t) from the classifier (trained class-balanced, so its posterior is already
// divided by a flat prior); transitions A[i][j] counted from the training labels with a
// pseudo-count. Viterbi: delta_t(j) = max_i delta_{t-1}(i) + log A[i][j] + log p_t(j).
// Thread safety: pure functions over values.
#pragma once

#include <vector>

namespace bt::behavior {

struct TransitionModel {
  int n_classes = 0;
  std::vector<double> log_a;  // n x n row-major, log P(next = j | now = i)

  // Counts transitions between consecutive labelled frames of each run (one run = one mouse's
  // class sequence, -1 = unlabelled, which breaks the run), plus `pseudo_count` per cell.
  static TransitionModel estimate(const std::vector<std::vector<int>>& runs, int n_classes,
                                  double pseudo_count = 1.0);
  // Every class keeps itself with `p_stay`, and moves to each other class evenly.
  static TransitionModel sticky(int n_classes, double p_stay);
  void validate() const;
};

// Most likely class sequence for `proba` (n_frames x n_classes, row-major).
std::vector<int> viterbi(const std::vector<float>& proba, std::size_t n_frames, const TransitionModel& model);
// The arg-max class of each frame, no smoothing.
std::vector<int> argmax_classes(const std::vector<float>& proba, std::size_t n_frames, int n_classes);
// Bouts shorter than `min_frames` take the class of the longer neighbouring bout (the
// previous one at equal length), shortest first, until none is left or one bout remains.
void enforce_min_bout(std::vector<int>& classes, int min_frames);

}  // namespace bt::behavior
