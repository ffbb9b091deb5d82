// Behaviour bouts and the evaluation the paper (seeds/003) and the ethology tools report:
// accuracy, per-class precision/recall/F1, macro-F1, bout-level F1 and the confusion matrix
// (as a text table and a PNG picture).
//
//   auto bouts = bt::behavior::extract_bouts(TrackId(1), frames, classes);
//   bt::behavior::Evaluator ev(behaviors);
//   ev.add_frames(truth, predicted);              // aligned per-frame class indices, -1 = unlabelled
//   ev.add_bouts(true_bouts, predicted_bouts);    // one mouse of one video
//   bt::behavior::Evaluation e = ev.result();
//   std::cout << bt::behavior::format_evaluation(e);
//   bt::behavior::write_confusion_png("confusion.png", e);
//
// Frame metrics: confusion[t][p] counts frames with truth t predicted p (unlabelled frames are
// skipped); precision = tp / (tp + fp), recall = tp / (tp + fn), F1 their harmonic mean (0 when
// undefined); macro-F1 averages over classes that occur in the truth.
// Bout-level F1: a predicted bout matches a true bout of the same mouse and class when their
// temporal IoU (frames in common / frames in either) is >= 0.5, one-to-one, greedily by IoU;
// precision = matched / predicted bouts, recall = matched / true bouts; macro over classes with
// true bouts. True bouts are the runs of labelled frames (a gap or a class change ends a bout).
// Thread safety: an Evaluator belongs to one thread; the rest are pure functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::behavior {

struct Bout {
  TrackId id;
  int class_index = 0;
  FrameIndex start = 0, end = 0;  // inclusive
  FrameIndex length() const { return end - start + 1; }
};

// Runs of equal class over consecutive frames; `frames` increasing, `classes` aligned with it,
// class -1 (unlabelled) is never part of a bout.
std::vector<Bout> extract_bouts(TrackId id, const std::vector<FrameIndex>& frames, const std::vector<int>& classes);
double temporal_iou(const Bout& a, const Bout& b);

struct ClassMetrics {
  double precision = 0, recall = 0, f1 = 0;
  std::int64_t support = 0;  // true frames (or true bouts)
};

struct Evaluation {
  std::vector<std::string> behaviors;
  std::vector<std::int64_t> confusion;  // n x n, row = truth, column = prediction
  std::int64_t n_frames = 0;            // labelled frames scored
  double accuracy = 0, macro_f1 = 0, bout_macro_f1 = 0;
  std::vector<ClassMetrics> per_class, bout_per_class;
};

class Evaluator {
 public:
  explicit Evaluator(std::vector<std::string> behaviors);
  void add_frames(const std::vector<int>& truth, const std::vector<int>& predicted);
  void add_bouts(const std::vector<Bout>& truth, const std::vector<Bout>& predicted);
  Evaluation result() const;

 private:
  std::vector<std::string> behaviors_;
  std::vector<std::int64_t> confusion_;
  std::vector<std::int64_t> bout_true_, bout_pred_, bout_matched_;
};

// Precision/recall/F1 per class from a confusion matrix.
std::vector<ClassMetrics> metrics_from_confusion(const std::vector<std::int64_t>& confusion, int n_classes);
// Multi-line text: summary, per-class table, confusion matrix table.
std::string format_evaluation(const Evaluation& e);
// The `n` largest off-diagonal cells as lines "truth -> predicted: frames (share of truth)".
std::string format_top_confusions(const Evaluation& e, int n);
// The confusion matrix as a picture: rows normalised to 1 (colour), counts written in cells.
void write_confusion_png(const std::filesystem::path& path, const Evaluation& e, const std::string& title);

}  // namespace bt::behavior
