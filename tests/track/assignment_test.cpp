// The assignment solver on hand cases (square, rectangular, ties, impossible pairs, the
// cost limit) and against brute force on random matrices.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "behavtrack/track/assignment.h"

namespace bt::track {
namespace {

CostMatrix matrix(const std::vector<std::vector<double>>& rows) {
  CostMatrix c(static_cast<int>(rows.size()), static_cast<int>(rows[0].size()));
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t k = 0; k < rows[r].size(); ++k) c(static_cast<int>(r), static_cast<int>(k)) = rows[r][k];
  return c;
}

double total(const CostMatrix& c, const std::vector<int>& r2c) {
  double s = 0;
  for (int r = 0; r < c.rows(); ++r)
    if (r2c[r] >= 0) s += c(r, r2c[r]);
  return s;
}

TEST(Assignment, SquareHandCase) {
  // Optimum: r0-c1 (1) + r1-c0 (2) + r2-c2 (2) = 5; greedy r1-c1 (0) would give 0+3+3 = 6+.
  const CostMatrix c = matrix({{4, 1, 3}, {2, 0, 5}, {3, 2, 2}});
  EXPECT_EQ(solve_min_cost(c), (std::vector<int>{1, 0, 2}));
}

TEST(Assignment, MoreColumnsThanRows) {
  // Pairs: c0+c1 = 5, c1+c0 = 4 (best), c0+c2 = 7, ...
  const CostMatrix c = matrix({{1, 2, 3}, {2, 4, 6}});
  EXPECT_EQ(solve_min_cost(c), (std::vector<int>{1, 0}));
}

TEST(Assignment, MoreRowsThanColumnsLeavesOneRowOut) {
  // Best two rows: r0-c1 (2) + r1-c0 (2) = 4.
  const CostMatrix c = matrix({{1, 2}, {2, 4}, {3, 6}});
  EXPECT_EQ(solve_min_cost(c), (std::vector<int>{1, 0, -1}));
}

TEST(Assignment, TiesGiveAValidDeterministicOptimum) {
  const CostMatrix c(3, 3, 1.0);
  const std::vector<int> a = solve_min_cost(c);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int>{0, 1, 2}));
  EXPECT_DOUBLE_EQ(total(c, a), 3.0);
  EXPECT_EQ(solve_min_cost(c), a);
}

TEST(Assignment, ImpossiblePairsAreNeverReturned) {
  const CostMatrix c = matrix({{kImpossible, kImpossible}, {1, 2}});
  EXPECT_EQ(solve_min_cost(c), (std::vector<int>{-1, 0}));
}

TEST(Assignment, ImpossibleForcesTheOtherPermutation) {
  // r0 can only take c1, so r1 takes c0 although r1-c1 is cheaper.
  const CostMatrix c = matrix({{kImpossible, 5}, {3, 1}});
  EXPECT_EQ(solve_min_cost(c), (std::vector<int>{1, 0}));
}

TEST(Assignment, LimitKeepsOnlyPairsBelowIt) {
  const Assignment a = assign(matrix({{0.9, kImpossible}, {kImpossible, 0.2}}), 0.5);
  EXPECT_EQ(a.pairs, (std::vector<std::pair<int, int>>{{1, 1}}));
  EXPECT_EQ(a.unmatched_rows, (std::vector<int>{0}));
  EXPECT_EQ(a.unmatched_cols, (std::vector<int>{0}));
  EXPECT_TRUE(assign(matrix({{0.6}}), 0.5).pairs.empty());
  EXPECT_EQ(assign(matrix({{0.4}}), 0.5).pairs.size(), 1u);
}

TEST(Assignment, LimitPrefersTwoFairPairsToOneGoodPair) {
  // (0,0) alone: 0.1 + two unmatched sides at 0.5 = 1.1; (0,1) + (1,0): 0.6.
  const Assignment a = assign(matrix({{0.1, 0.3}, {0.3, kImpossible}}), 1.0);
  EXPECT_EQ(a.pairs, (std::vector<std::pair<int, int>>{{0, 1}, {1, 0}}));
}

TEST(Assignment, EmptyMatrices) {
  EXPECT_TRUE(solve_min_cost(CostMatrix(0, 3)).empty());
  EXPECT_EQ(solve_min_cost(CostMatrix(2, 0)), (std::vector<int>{-1, -1}));
  const Assignment a = assign(CostMatrix(0, 2), 1.0);
  EXPECT_EQ(a.unmatched_cols, (std::vector<int>{0, 1}));
}

TEST(Assignment, MatchesBruteForceOnRandomMatrices) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0, 10);
  for (int trial = 0; trial < 200; ++trial) {
    const int rows = 1 + trial % 5, cols = 1 + (trial / 5) % 6;
    CostMatrix c(rows, cols);
    for (int r = 0; r < rows; ++r)
      for (int k = 0; k < cols; ++k) c(r, k) = std::round(u(rng));  // integers: many ties
    // Brute force over column permutations (rows <= cols) or row permutations.
    double best = 1e18;
    const int n = std::max(rows, cols), m = std::min(rows, cols);
    std::vector<int> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    do {
      double s = 0;
      for (int i = 0; i < m; ++i) s += rows <= cols ? c(i, perm[i]) : c(perm[i], i);
      best = std::min(best, s);
    } while (std::next_permutation(perm.begin(), perm.end()));
    const std::vector<int> a = solve_min_cost(c);
    EXPECT_DOUBLE_EQ(total(c, a), best) << "trial " << trial;
    EXPECT_EQ(std::count_if(a.begin(), a.end(), [](int x) { return x >= 0; }), m);
  }
}

}  // namespace
}  // namespace bt::track
