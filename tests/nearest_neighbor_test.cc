// The blocked GEMM-form k-NN against brute force.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/nearest_neighbor.h"
#include "test_support.h"

namespace anomalens {
namespace {


TEST(NearestNeighborIndex, MatchesBruteForce) {
  std::mt19937 rng(7);
  // Bank sizes that do and do not fill the 4-row panels and the 2-panel block;
  // query counts that do and do not fill the 4-query block.
  for (const auto [bank_rows, queries, dim] : {std::tuple{1, 1, 4}, {5, 3, 8}, {37, 21, 128}, {256, 64, 128}}) {
    const std::vector<float> bank = testing::RandomRows(bank_rows, dim, rng);
    const std::vector<float> q = testing::RandomRows(queries, dim, rng);
    const NearestNeighborIndex index(bank.data(), bank_rows, dim);
    const std::vector<float> got = index.MinDistances(q.data(), queries);
    const std::vector<float> want = BruteForceMinDistances(bank.data(), bank_rows, q.data(), queries, dim);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-3f * (1 + want[i])) << "query " << i;
  }
}

TEST(NearestNeighborIndex, QueryInBankHasZeroDistance) {
  std::mt19937 rng(8);
  const std::vector<float> bank = testing::RandomRows(10, 16, rng);
  const NearestNeighborIndex index(bank.data(), 10, 16);
  const std::vector<float> got = index.MinDistances(bank.data(), 10);
  // |q|^2 + |b|^2 - 2 q.b cancels to rounding error, not exactly zero.
  for (float d : got) EXPECT_LT(d, 2e-3f);
}

}  // namespace
}  // namespace anomalens
