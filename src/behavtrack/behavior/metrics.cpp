#include "behavtrack/behavior/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"

namespace bt::behavior {

std::vector<Bout> extract_bouts(TrackId id, const std::vector<FrameIndex>& frames, const std::vector<int>& classes) {
  if (frames.size() != classes.size()) throw_internal("bouts: frames and classes differ in length");
  std::vector<Bout> bouts;
  for (std::size_t t = 0; t < frames.size(); ++t) {
    if (classes[t] < 0) continue;
    const bool extends = !bouts.empty() && t > 0 && bouts.back().class_index == classes[t] &&
                         bouts.back().end == frames[t] - 1 && classes[t - 1] == classes[t];
    if (extends) {
      bouts.back().end = frames[t];
    } else {
      bouts.push_back({id, classes[t], frames[t], frames[t]});
    }
  }
  return bouts;
}

double temporal_iou(const Bout& a, const Bout& b) {
  const FrameIndex inter = std::min(a.end, b.end) - std::max(a.start, b.start) + 1;
  if (inter <= 0) return 0;
  return static_cast<double>(inter) / static_cast<double>(a.length() + b.length() - inter);
}

Evaluator::Evaluator(std::vector<std::string> behaviors) : behaviors_(std::move(behaviors)) {
  const std::size_t k = behaviors_.size();
  confusion_.assign(k * k, 0);
  bout_true_.assign(k, 0);
  bout_pred_.assign(k, 0);
  bout_matched_.assign(k, 0);
}

void Evaluator::add_frames(const std::vector<int>& truth, const std::vector<int>& predicted) {
  if (truth.size() != predicted.size()) throw_internal("evaluator: truth and prediction differ in length");
  const std::size_t k = behaviors_.size();
  for (std::size_t t = 0; t < truth.size(); ++t) {
    if (truth[t] < 0 || predicted[t] < 0) continue;
    ++confusion_[static_cast<std::size_t>(truth[t]) * k + static_cast<std::size_t>(predicted[t])];
  }
}

void Evaluator::add_bouts(const std::vector<Bout>& truth, const std::vector<Bout>& predicted) {
  for (const auto& b : truth) ++bout_true_[static_cast<std::size_t>(b.class_index)];
  for (const auto& b : predicted) ++bout_pred_[static_cast<std::size_t>(b.class_index)];
  // Greedy one-to-one matching, best IoU first.
  struct Pair {
    double iou;
    std::size_t t, p;
  };
  std::vector<Pair> pairs;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    for (std::size_t j = 0; j < predicted.size(); ++j) {
      if (truth[i].class_index != predicted[j].class_index || truth[i].id != predicted[j].id) continue;
      if (predicted[j].start > truth[i].end || predicted[j].end < truth[i].start) continue;
      const double iou = temporal_iou(truth[i], predicted[j]);
      if (iou >= 0.5) pairs.push_back({iou, i, j});
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.iou > b.iou; });
  std::vector<bool> used_t(truth.size()), used_p(predicted.size());
  for (const auto& pr : pairs) {
    if (used_t[pr.t] || used_p[pr.p]) continue;
    used_t[pr.t] = used_p[pr.p] = true;
    ++bout_matched_[static_cast<std::size_t>(truth[pr.t].class_index)];
  }
}

namespace {
ClassMetrics prf(double tp, double n_pred, double n_true) {
  ClassMetrics m;
  m.precision = n_pred > 0 ? tp / n_pred : 0;
  m.recall = n_true > 0 ? tp / n_true : 0;
  m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
  m.support = static_cast<std::int64_t>(n_true);
  return m;
}
double macro(const std::vector<ClassMetrics>& m) {
  double sum = 0;
  int n = 0;
  for (const auto& c : m)
    if (c.support > 0) sum += c.f1, ++n;
  return n ? sum / n : 0;
}
}  // namespace

std::vector<ClassMetrics> metrics_from_confusion(const std::vector<std::int64_t>& confusion, int n_classes) {
  const std::size_t k = static_cast<std::size_t>(n_classes);
  std::vector<ClassMetrics> out(k);
  for (std::size_t c = 0; c < k; ++c) {
    double n_true = 0, n_pred = 0;
    for (std::size_t j = 0; j < k; ++j) n_true += static_cast<double>(confusion[c * k + j]);
    for (std::size_t i = 0; i < k; ++i) n_pred += static_cast<double>(confusion[i * k + c]);
    out[c] = prf(static_cast<double>(confusion[c * k + c]), n_pred, n_true);
  }
  return out;
}

Evaluation Evaluator::result() const {
  Evaluation e;
  const int k = static_cast<int>(behaviors_.size());
  e.behaviors = behaviors_;
  e.confusion = confusion_;
  std::int64_t correct = 0;
  for (int c = 0; c < k; ++c) correct += confusion_[static_cast<std::size_t>(c * k + c)];
  for (auto n : confusion_) e.n_frames += n;
  e.accuracy = e.n_frames ? static_cast<double>(correct) / static_cast<double>(e.n_frames) : 0;
  e.per_class = metrics_from_confusion(confusion_, k);
  e.macro_f1 = macro(e.per_class);
  for (int c = 0; c < k; ++c) {
    const auto i = static_cast<std::size_t>(c);
    e.bout_per_class.push_back(prf(static_cast<double>(bout_matched_[i]), static_cast<double>(bout_pred_[i]),
                                   static_cast<double>(bout_true_[i])));
  }
  e.bout_macro_f1 = macro(e.bout_per_class);
  return e;
}

std::string format_evaluation(const Evaluation& e) {
  const std::size_t k = e.behaviors.size();
  std::size_t wname = 10;
  for (const auto& b : e.behaviors) wname = std::max(wname, b.size());
  std::string s = fmt::format("frames scored {}  accuracy {:.4f}  macro-F1 {:.4f}  bout macro-F1 {:.4f}\n\n",
                              e.n_frames, e.accuracy, e.macro_f1, e.bout_macro_f1);
  s += fmt::format("{:<{}}  {:>9} {:>9} {:>9} {:>9}  {:>8} {:>7}\n", "behaviour", wname, "precision", "recall", "F1",
                   "frames", "bout F1", "bouts");
  for (std::size_t c = 0; c < k; ++c) {
    const auto& m = e.per_class[c];
    const auto& b = e.bout_per_class[c];
    s += fmt::format("{:<{}}  {:>9.4f} {:>9.4f} {:>9.4f} {:>9}  {:>8.4f} {:>7}\n", e.behaviors[c], wname, m.precision,
                     m.recall, m.f1, m.support, b.f1, b.support);
  }
  s += "\nconfusion matrix (rows: truth, columns: prediction, frames)\n";
  s += fmt::format("{:<{}}", "", wname);
  for (std::size_t c = 0; c < k; ++c) s += fmt::format(" {:>7.7}", e.behaviors[c]);
  s += "\n";
  for (std::size_t r = 0; r < k; ++r) {
    s += fmt::format("{:<{}}", e.behaviors[r], wname);
    for (std::size_t c = 0; c < k; ++c) s += fmt::format(" {:>7}", e.confusion[r * k + c]);
    s += "\n";
  }
  return s;
}

std::string format_top_confusions(const Evaluation& e, int n) {
  const std::size_t k = e.behaviors.size();
  struct Cell {
    std::int64_t count;
    std::size_t t, p;
  };
  std::vector<Cell> cells;
  for (std::size_t t = 0; t < k; ++t)
    for (std::size_t p = 0; p < k; ++p)
      if (t != p && e.confusion[t * k + p] > 0) cells.push_back({e.confusion[t * k + p], t, p});
  std::sort(cells.begin(), cells.end(), [](const Cell& a, const Cell& b) { return a.count > b.count; });
  std::string s;
  for (std::size_t i = 0; i < cells.size() && static_cast<int>(i) < n; ++i) {
    const auto& c = cells[i];
    const double share = e.per_class[c.t].support ? static_cast<double>(c.count) / static_cast<double>(e.per_class[c.t].support) : 0;
    s += fmt::format("  {} -> {}: {} ({:.1f}% of {})\n", e.behaviors[c.t], e.behaviors[c.p], c.count, 100 * share, e.behaviors[c.t]);
  }
  return s.empty() ? "  (none)\n" : s;
}

void write_confusion_png(const std::filesystem::path& path, const Evaluation& e, const std::string& title) {
  const int k = static_cast<int>(e.behaviors.size());
  const int cell = 64, left = 190, top = 70, bottom = 150;
  cv::Mat img(top + k * cell + bottom, left + k * cell + 20, CV_8UC3, cv::Scalar(255, 255, 255));
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  cv::putText(img, title, {10, 25}, font, 0.6, {0, 0, 0}, 1, cv::LINE_AA);
  cv::putText(img, "rows: truth, columns: prediction, colour: row fraction", {10, 50}, font, 0.45, {60, 60, 60}, 1,
              cv::LINE_AA);
  for (int r = 0; r < k; ++r) {
    std::int64_t row = 0;
    for (int c = 0; c < k; ++c) row += e.confusion[static_cast<std::size_t>(r * k + c)];
    cv::putText(img, e.behaviors[static_cast<std::size_t>(r)], {10, top + r * cell + cell / 2 + 5}, font, 0.5,
                {0, 0, 0}, 1, cv::LINE_AA);
    for (int c = 0; c < k; ++c) {
      const std::int64_t n = e.confusion[static_cast<std::size_t>(r * k + c)];
      const double f = row ? static_cast<double>(n) / static_cast<double>(row) : 0;
      // White (0) to dark blue (1), BGR.
      const cv::Scalar colour(255 - 105 * f, 255 - 215 * f, 255 - 235 * f);
      const cv::Rect box(left + c * cell, top + r * cell, cell, cell);
      cv::rectangle(img, box, colour, cv::FILLED);
      cv::rectangle(img, box, {200, 200, 200}, 1);
      cv::putText(img, std::to_string(n), {box.x + 4, box.y + cell / 2 + 5}, font, 0.4,
                  f > 0.5 ? cv::Scalar(255, 255, 255) : cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    }
  }
  for (int c = 0; c < k; ++c) {
    // Column labels written vertically: draw on a strip and rotate it.
    cv::Mat strip(cell, bottom - 10, CV_8UC3, cv::Scalar(255, 255, 255));
    cv::putText(strip, e.behaviors[static_cast<std::size_t>(c)], {4, cell / 2 + 5}, font, 0.5, {0, 0, 0}, 1, cv::LINE_AA);
    cv::Mat rotated;
    cv::rotate(strip, rotated, cv::ROTATE_90_CLOCKWISE);
    rotated.copyTo(img(cv::Rect(left + c * cell, top + k * cell + 5, rotated.cols, rotated.rows)));
  }
  std::vector<unsigned char> png;
  if (!cv::imencode(".png", img, png)) throw_io(quoted(path.string()) + ": PNG encoding failed");
  write_file_atomically(path, std::string(png.begin(), png.end()));
}

}  // namespace bt::behavior
