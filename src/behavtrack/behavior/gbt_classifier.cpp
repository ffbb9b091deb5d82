#include "behavtrack/behavior/gbt_classifier.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <fstream>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/runtime.h"

namespace bt::behavior {
namespace {

// Every XGBoost call goes through here: a non-zero status becomes bt::Error.
void check(int status, const std::string& what) {
  if (status != 0) throw_internal("xgboost: " + what + ": " + first_line(XGBGetLastError()));
}

struct DMatrix {
  DMatrixHandle h = nullptr;
  DMatrix(const float* x, std::size_t rows, int cols) {
    check(XGDMatrixCreateFromMat(x, rows, static_cast<bst_ulong>(cols), std::nanf(""), &h), "create matrix");
  }
  ~DMatrix() { XGDMatrixFree(h); }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
};

}  // namespace

struct GbtClassifier::Impl {
  BoosterHandle booster = nullptr;
  ~Impl() {
    if (booster) XGBoosterFree(booster);
  }
  void set(const char* key, const std::string& value) {
    check(XGBoosterSetParam(booster, key, value.c_str()), std::string("set ") + key + "=" + value);
  }
};

void GbtOptions::validate() const {
  if (n_rounds < 1 || n_rounds > 100000) throw_invalid("gbt: n_rounds " + std::to_string(n_rounds) + " must be in 1..100000");
  if (max_depth < 1 || max_depth > 20) throw_invalid("gbt: max_depth " + std::to_string(max_depth) + " must be in 1..20");
  if (!(learning_rate > 0) || !(learning_rate <= 1))
    throw_invalid("gbt: learning_rate " + std::to_string(learning_rate) + " must be in (0, 1]");
  if (!(subsample > 0) || !(subsample <= 1)) throw_invalid("gbt: subsample " + std::to_string(subsample) + " must be in (0, 1]");
  if (!(colsample > 0) || !(colsample <= 1)) throw_invalid("gbt: colsample " + std::to_string(colsample) + " must be in (0, 1]");
  if (threads < 0) throw_invalid("gbt: threads " + std::to_string(threads) + " must be >= 0");
}

std::vector<float> class_balance_weights(const std::vector<int>& y, int n_classes) {
  std::vector<double> count(static_cast<std::size_t>(n_classes), 0);
  for (int c : y) count.at(static_cast<std::size_t>(c)) += 1;
  int present = 0;
  for (double c : count) present += c > 0;
  std::vector<float> w(y.size());
  for (std::size_t i = 0; i < y.size(); ++i)
    w[i] = static_cast<float>(static_cast<double>(y.size()) / (present * count[static_cast<std::size_t>(y[i])]));
  return w;
}

GbtClassifier::GbtClassifier() : impl_(std::make_unique<Impl>()) {}
GbtClassifier::~GbtClassifier() = default;
GbtClassifier::GbtClassifier(GbtClassifier&&) noexcept = default;
GbtClassifier& GbtClassifier::operator=(GbtClassifier&&) noexcept = default;

GbtClassifier GbtClassifier::train(const std::vector<float>& x, const std::vector<int>& y,
                                   const std::vector<float>& weights, int n_features, int n_classes,
                                   const GbtOptions& options, const ProgressCallback& progress) {
  options.validate();
  if (n_features < 1 || n_classes < 2) throw_invalid("gbt: need >= 1 feature and >= 2 classes");
  if (y.empty()) throw_invalid("gbt: no labelled rows to train on");
  if (x.size() != y.size() * static_cast<std::size_t>(n_features) || weights.size() != y.size())
    throw_internal("gbt: feature, label and weight sizes disagree");
  DMatrix d(x.data(), y.size(), n_features);
  std::vector<float> labels(y.begin(), y.end());
  check(XGDMatrixSetFloatInfo(d.h, "label", labels.data(), labels.size()), "set labels");
  check(XGDMatrixSetFloatInfo(d.h, "weight", weights.data(), weights.size()), "set weights");
  GbtClassifier clf;
  clf.n_features_ = n_features;
  clf.n_classes_ = n_classes;
  check(XGBoosterCreate(&d.h, 1, &clf.impl_->booster), "create booster");
  auto& b = *clf.impl_;
  b.set("objective", "multi:softprob");
  b.set("num_class", std::to_string(n_classes));
  b.set("tree_method", "hist");
  b.set("max_depth", std::to_string(options.max_depth));
  b.set("eta", std::to_string(options.learning_rate));
  b.set("subsample", std::to_string(options.subsample));
  b.set("colsample_bytree", std::to_string(options.colsample));
  b.set("nthread", std::to_string(options.threads > 0 ? options.threads : compute_threads()));
  b.set("seed", std::to_string(options.seed));
  b.set("verbosity", "0");
  Progress rounds("train boosted trees", options.n_rounds, progress);
  for (int i = 0; i < options.n_rounds; ++i) {
    check(XGBoosterUpdateOneIter(b.booster, i, d.h), "training round");
    rounds.advance();
  }
  rounds.finish();
  return clf;
}

std::vector<float> GbtClassifier::predict_proba(const float* x, std::size_t n_rows) const {
  if (n_rows == 0) return {};
  DMatrix d(x, n_rows, n_features_);
  bst_ulong len = 0;
  const float* out = nullptr;
  check(XGBoosterPredict(impl_->booster, d.h, 0, 0, 0, &len, &out), "predict");
  if (len != n_rows * static_cast<std::size_t>(n_classes_))
    throw_internal("xgboost: predicted " + std::to_string(len) + " values for " + std::to_string(n_rows) + " rows");
  return std::vector<float>(out, out + len);
}

void GbtClassifier::save(const std::filesystem::path& path) const {
  bst_ulong len = 0;
  const char* buf = nullptr;
  check(XGBoosterSaveModelToBuffer(impl_->booster, R"({"format": "json"})", &len, &buf), "save model");
  write_file_atomically(path, std::string(buf, len));
}

GbtClassifier GbtClassifier::load(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  GbtClassifier clf;
  check(XGBoosterCreate(nullptr, 0, &clf.impl_->booster), "create booster");
  if (XGBoosterLoadModelFromBuffer(clf.impl_->booster, bytes.data(), bytes.size()) != 0)
    throw_invalid(quoted(path.string()) + ": damaged or not an XGBoost model (" + first_line(XGBGetLastError()) + ")");
  bst_ulong n = 0;
  check(XGBoosterGetNumFeature(clf.impl_->booster, &n), "read feature count");
  clf.n_features_ = static_cast<int>(n);
  // num_class is kept in the model's learner parameters.
  const char* cfg = nullptr;
  bst_ulong cfg_len = 0;
  check(XGBoosterSaveJsonConfig(clf.impl_->booster, &cfg_len, &cfg), "read config");
  const std::string config(cfg, cfg_len);
  const auto at = config.find("\"num_class\":\"");
  if (at == std::string::npos) throw_invalid(quoted(path.string()) + ": XGBoost model without num_class");
  clf.n_classes_ = std::stoi(config.substr(at + 13));
  return clf;
}

}  // namespace bt::behavior
