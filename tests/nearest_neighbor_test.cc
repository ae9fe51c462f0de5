// The blocked GEMM-form k-NN and the greedy coreset against brute force.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "core/coreset.h"
#include "core/nearest_neighbor.h"

namespace anomalens {
namespace {

std::vector<float> RandomRows(size_t rows, int dim, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(rows * dim);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(NearestNeighborIndex, MatchesBruteForce) {
  std::mt19937 rng(7);
  // Bank sizes that do and do not fill the 4-row panels and the 2-panel block;
  // query counts that do and do not fill the 4-query block.
  for (const auto [bank_rows, queries, dim] : {std::tuple{1, 1, 4}, {5, 3, 8}, {37, 21, 128}, {256, 64, 128}}) {
    const std::vector<float> bank = RandomRows(bank_rows, dim, rng);
    const std::vector<float> q = RandomRows(queries, dim, rng);
    const NearestNeighborIndex index(bank.data(), bank_rows, dim);
    const std::vector<float> got = index.MinDistances(q.data(), queries);
    const std::vector<float> want = BruteForceMinDistances(bank.data(), bank_rows, q.data(), queries, dim);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-3f * (1 + want[i])) << "query " << i;
  }
}

TEST(NearestNeighborIndex, QueryInBankHasZeroDistance) {
  std::mt19937 rng(8);
  const std::vector<float> bank = RandomRows(10, 16, rng);
  const NearestNeighborIndex index(bank.data(), 10, 16);
  const std::vector<float> got = index.MinDistances(bank.data(), 10);
  // |q|^2 + |b|^2 - 2 q.b cancels to rounding error, not exactly zero.
  for (float d : got) EXPECT_LT(d, 2e-3f);
}

TEST(GreedyCoreset, PicksFarthestPointsFirst) {
  // Four tight clusters: a coreset of 4 must take one point from each.
  std::mt19937 rng(9);
  std::normal_distribution<float> noise(0.0f, 0.01f);
  const float centres[4][4] = {{0, 0, 0, 0}, {10, 0, 0, 0}, {0, 10, 0, 0}, {0, 0, 10, 0}};
  std::vector<float> rows;
  for (int i = 0; i < 40; ++i)
    for (int d = 0; d < 4; ++d) rows.push_back(centres[i % 4][d] + noise(rng));
  const std::vector<size_t> picked = GreedyCoreset(rows.data(), 40, 4, 4);
  ASSERT_EQ(picked.size(), 4u);
  std::set<size_t> clusters;
  for (size_t p : picked) clusters.insert(p % 4);
  EXPECT_EQ(clusters.size(), 4u);
}

TEST(GreedyCoreset, CoverageRadiusMatchesBruteForceDefinition) {
  // Brute force: after greedy selection, the farthest any row is from the
  // coreset must not exceed the distance at which the last pick was made
  // (the 2-approximation invariant of greedy k-centre).
  std::mt19937 rng(10);
  const int n = 300, dim = 8, k = 30;
  const std::vector<float> rows = RandomRows(n, dim, rng);
  const std::vector<size_t> picked = GreedyCoreset(rows.data(), n, dim, k);
  ASSERT_EQ(picked.size(), static_cast<size_t>(k));
  std::vector<float> bank;
  for (size_t p : picked) bank.insert(bank.end(), &rows[p * dim], &rows[p * dim] + dim);
  const std::vector<float> d = BruteForceMinDistances(bank.data(), k, rows.data(), n, dim);
  const float radius = *std::max_element(d.begin(), d.end());
  // The last pick was the farthest row from the first k-1 picks.
  const std::vector<float> before = BruteForceMinDistances(bank.data(), k - 1, &rows[picked.back() * dim], 1, dim);
  EXPECT_LE(radius, before[0] + 1e-5f);
  EXPECT_EQ(std::set<size_t>(picked.begin(), picked.end()).size(), picked.size()) << "no row picked twice";
}

TEST(GreedyCoreset, TargetAtLeastCountKeepsAll) {
  std::mt19937 rng(11);
  const std::vector<float> rows = RandomRows(5, 4, rng);
  EXPECT_EQ(GreedyCoreset(rows.data(), 5, 4, 9).size(), 5u);
}

}  // namespace
}  // namespace anomalens
