// One line chart for every active-learning curve (pose OKS AP, behaviour macro-F1): a metric
// in [0, 1] against labels, one coloured line per strategy with a legend, and optionally a
// dashed level the strategies must reach. Written atomically as a PNG.
// Thread safety: pure function.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bt::analysis {

struct CurveSeries {
  std::string name;                              // legend text (the strategy)
  std::vector<std::pair<double, double>> points;  // (labels, metric in [0, 1])
};

void write_learning_curve_png(const std::filesystem::path& path, const std::vector<CurveSeries>& series,
                              const std::string& x_label, const std::string& y_label,
                              std::optional<double> target = std::nullopt);

}  // namespace bt::analysis
