#include "behavtrack/track/assignment.h"

#include <algorithm>
#include <cmath>

#include "behavtrack/core/error.h"

namespace bt::track {
namespace {

// Hungarian method with row/column potentials u, v for an n x m matrix with n <= m
// (e-maxx formulation). Returns row -> column. Impossible entries carry `big`.
// Invariant: u[i] + v[j] <= a(i, j) for all i, j, with equality on matched pairs.
std::vector<int> hungarian_rows_le_cols(const CostMatrix& a, double big) {
  const int n = a.rows(), m = a.cols();
  const double inf = std::numeric_limits<double>::max();
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0), minv(m + 1);
  std::vector<int> p(m + 1, 0), way(m + 1, 0);  // p[j]: row (1-based) matched to column j
  std::vector<char> used(m + 1);
  auto at = [&](int i, int j) {
    const double c = a(i - 1, j - 1);
    return std::isinf(c) ? big : c;
  };
  for (int i = 1; i <= n; ++i) {
    // Grow an alternating tree from row i until a free column is reached
    // (Dijkstra on reduced costs a(i, j) - u[i] - v[j] >= 0).
    p[0] = i;
    int j0 = 0;
    std::fill(minv.begin(), minv.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      const int i0 = p[j0];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double reduced = at(i0, j) - u[i0] - v[j];
        if (reduced < minv[j]) minv[j] = reduced, way[j] = j0;
        if (minv[j] < delta) delta = minv[j], j1 = j;
      }
      // Shift potentials so the cheapest edge out of the tree becomes tight.
      for (int j = 0; j <= m; ++j) {
        if (used[j]) u[p[j]] += delta, v[j] -= delta;
        else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] != 0);
    // Augment along the path back to the root.
    do {
      const int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> row_to_col(n, -1);
  for (int j = 1; j <= m; ++j)
    if (p[j] != 0) row_to_col[p[j] - 1] = j - 1;
  return row_to_col;
}

CostMatrix transposed(const CostMatrix& c) {
  CostMatrix t(c.cols(), c.rows());
  for (int r = 0; r < c.rows(); ++r)
    for (int k = 0; k < c.cols(); ++k) t(k, r) = c(r, k);
  return t;
}

// A finite stand-in for impossible pairs, larger than any full assignment of finite costs,
// so the solver only uses one when nothing else completes the assignment.
double big_cost(const CostMatrix& c) {
  double max_abs = 0;
  for (int r = 0; r < c.rows(); ++r)
    for (int k = 0; k < c.cols(); ++k) {
      const double x = c(r, k);
      if (std::isnan(x) || x == -std::numeric_limits<double>::infinity())
        throw_internal("assignment: cost (" + std::to_string(r) + ", " + std::to_string(k) +
                       ") is not a number or -inf");
      if (!std::isinf(x)) max_abs = std::max(max_abs, std::abs(x));
    }
  return (max_abs + 1.0) * (std::min(c.rows(), c.cols()) + 1) * 4;
}

}  // namespace

std::vector<int> solve_min_cost(const CostMatrix& cost) {
  if (cost.rows() == 0 || cost.cols() == 0) return std::vector<int>(cost.rows(), -1);
  const double big = big_cost(cost);
  std::vector<int> row_to_col;
  if (cost.rows() <= cost.cols()) {
    row_to_col = hungarian_rows_le_cols(cost, big);
  } else {
    const std::vector<int> col_to_row = hungarian_rows_le_cols(transposed(cost), big);
    row_to_col.assign(cost.rows(), -1);
    for (int k = 0; k < cost.cols(); ++k)
      if (col_to_row[k] >= 0) row_to_col[col_to_row[k]] = k;
  }
  for (int r = 0; r < cost.rows(); ++r)
    if (row_to_col[r] >= 0 && std::isinf(cost(r, row_to_col[r]))) row_to_col[r] = -1;
  return row_to_col;
}

Assignment assign(const CostMatrix& cost, double limit) {
  const int n = cost.rows(), m = cost.cols();
  Assignment out;
  if (!(limit > 0) && !(limit <= 0)) throw_internal("assignment: cost limit is not a number");
  // Extended (n + m) square problem: [C | diag(limit/2)] over [diag(limit/2) | 0].
  // Row i may take its dummy column m + i, column j its dummy row n + j, each at limit/2.
  const int s = n + m;
  CostMatrix ext(s, s, kImpossible);
  for (int r = 0; r < n; ++r) {
    for (int k = 0; k < m; ++k) {
      const double c = cost(r, k);
      ext(r, k) = c < limit ? c : kImpossible;
    }
    ext(r, m + r) = limit / 2;
  }
  for (int k = 0; k < m; ++k) {
    ext(n + k, k) = limit / 2;
    for (int r = 0; r < n; ++r) ext(n + k, m + r) = 0.0;
  }
  const std::vector<int> row_to_col = solve_min_cost(ext);
  std::vector<char> col_used(m, 0);
  for (int r = 0; r < n; ++r) {
    const int k = row_to_col[r];
    if (k >= 0 && k < m) {
      out.pairs.emplace_back(r, k);
      col_used[k] = 1;
    } else {
      out.unmatched_rows.push_back(r);
    }
  }
  for (int k = 0; k < m; ++k)
    if (!col_used[k]) out.unmatched_cols.push_back(k);
  return out;
}

}  // namespace bt::track
