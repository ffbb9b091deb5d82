// Multi-class gradient-boosted trees (XGBoost, Debian's libxgboost) over dense feature rows,
// behind a plain header: XGBoost stays in gbt_classifier.cpp.
//
//   bt::behavior::GbtOptions o;  o.n_rounds = 150;
//   bt::behavior::GbtClassifier clf = bt::behavior::GbtClassifier::train(X, y, w, n_features, n_classes, o);
//   std::vector<float> p = clf.predict_proba(X, n_rows);  // n_rows x n_classes, rows sum to 1
//   clf.save("model/pose.xgb");  auto again = GbtClassifier::load("model/pose.xgb");
//
// X is row-major float, NaN = missing. y holds class indices, w per-row weights (class
// weighting is the caller's choice: see class_balance_weights()).
// XGBoost's own errors are translated to bt::Error with XGBGetLastError()'s text.
// Thread safety: predict_proba may be called from several threads on one classifier;
// training uses `threads` OpenMP threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "behavtrack/core/progress.h"

namespace bt::behavior {

struct GbtOptions {
  int n_rounds = 150;          // boosting rounds (trees per class)
  int max_depth = 6;           // tree depth
  double learning_rate = 0.2;  // eta
  double subsample = 0.8;      // row fraction per tree, (0, 1]
  double colsample = 0.8;      // feature fraction per tree, (0, 1]
  int threads = 0;             // 0: bt::compute_threads()
  std::uint64_t seed = 1;

  void validate() const;  // throws bt::Error naming the field and value
};

// Per-row weights n / (k * count(class)), so that every present class weighs the same.
std::vector<float> class_balance_weights(const std::vector<int>& y, int n_classes);

class GbtClassifier {
 public:
  GbtClassifier();
  ~GbtClassifier();
  GbtClassifier(GbtClassifier&&) noexcept;
  GbtClassifier& operator=(GbtClassifier&&) noexcept;

  static GbtClassifier train(const std::vector<float>& x, const std::vector<int>& y,
                             const std::vector<float>& weights, int n_features, int n_classes,
                             const GbtOptions& options, const ProgressCallback& progress = {});
  static GbtClassifier load(const std::filesystem::path& path);
  void save(const std::filesystem::path& path) const;

  std::vector<float> predict_proba(const float* x, std::size_t n_rows) const;
  int n_features() const { return n_features_; }
  int n_classes() const { return n_classes_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int n_features_ = 0, n_classes_ = 0;
};

}  // namespace bt::behavior
