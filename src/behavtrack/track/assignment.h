// Optimal assignment (linear sum assignment) for tracking and metrics.
//
//   bt::track::CostMatrix c(2, 3);          // rows: tracks, cols: detections
//   c(0, 1) = 0.2; ...
//   std::vector<int> col = bt::track::solve_min_cost(c);      // every row of the smaller side
//   bt::track::Assignment a = bt::track::assign(c, 0.8);       // only pairs with cost < 0.8
//
// solve_min_cost is the Hungarian method with potentials (Kuhn 1955, Munkres 1957; the
// O(n^2 m) shortest-augmenting-path form, Jonker & Volgenant 1987): it minimises the sum of
// costs over an assignment of min(rows, cols) pairs, like scipy's linear_sum_assignment.
// assign() adds a cost limit the way ByteTrack's lapjv(extend_cost, cost_limit) does: each
// row and column may stay unmatched at half the limit, so a pair is only taken when it
// beats leaving both sides alone (ref: arXiv:2110.06864, its deploy code's linear_assignment).
// Costs must be finite except infinity, which marks an impossible pair.
// Ties are broken deterministically (lowest indices first).
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

namespace bt::track {

// Row-major dense matrix of assignment costs.
class CostMatrix {
 public:
  CostMatrix() = default;
  CostMatrix(int rows, int cols, double fill = 0.0)
      : rows_(rows), cols_(cols), data_(static_cast<std::size_t>(rows) * cols, fill) {}
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  double& operator()(int r, int c) { return data_[static_cast<std::size_t>(r) * cols_ + c]; }
  double operator()(int r, int c) const { return data_[static_cast<std::size_t>(r) * cols_ + c]; }

 private:
  int rows_ = 0, cols_ = 0;
  std::vector<double> data_;
};

inline constexpr double kImpossible = std::numeric_limits<double>::infinity();

// For each row, the column assigned to it, or -1. Exactly min(rows, cols) rows are
// assigned (when rows > cols, some rows get -1). Impossible pairs are avoided whenever an
// assignment of that size without them exists; rows left only with impossible pairs get -1.
std::vector<int> solve_min_cost(const CostMatrix& cost);

struct Assignment {
  std::vector<std::pair<int, int>> pairs;  // (row, col), rows increasing
  std::vector<int> unmatched_rows, unmatched_cols;
};

// Minimises sum(cost of matched pairs) + (unmatched rows + unmatched cols) * limit / 2, with
// only pairs of cost < limit allowed.
Assignment assign(const CostMatrix& cost, double limit);

}  // namespace bt::track
