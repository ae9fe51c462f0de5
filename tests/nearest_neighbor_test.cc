// The blocked GEMM-form k-NN against brute force.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/scoring/nearest_neighbor.h"
#include "test_support.h"

namespace anomalens {
namespace {


TEST(NearestNeighborIndex, MatchesBruteForce) {
  std::mt19937 rng(7);
  // Bank sizes that do and do not fill the 4-row panels and the 2-panel block
  // (and, at 1001 rows, span several 64-panel chunks); query counts that do and
  // do not fill the 4-query block.
  for (const auto [bank_rows, queries, dim] : {std::tuple{1, 1, 4}, {5, 3, 8}, {37, 21, 128}, {256, 64, 128}, {1001, 50, 128}}) {
    const std::vector<float> bank = testing::RandomRows(bank_rows, dim, rng);
    const std::vector<float> q = testing::RandomRows(queries, dim, rng);
    const NearestNeighborIndex index(bank.data(), bank_rows, dim);
    const std::vector<float> got = index.MinDistances(q.data(), queries);
    const std::vector<float> want = BruteForceMinDistances(bank.data(), bank_rows, q.data(), queries, dim);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-3f * (1 + want[i])) << "query " << i;
  }
}

// A thread-pool hook splits the query blocks however it likes; every
// distance must come out bit for bit as without one.
TEST(NearestNeighborIndex, ParallelHookGivesIdenticalResults) {
  std::mt19937 rng(9);
  const int dim = 128;
  const std::vector<float> bank = testing::RandomRows(700, dim, rng);
  const std::vector<float> q = testing::RandomRows(61, dim, rng);
  const NearestNeighborIndex index(bank.data(), 700, dim);
  const std::vector<float> serial = index.MinDistances(q.data(), 61);
  size_t calls = 0;
  ParallelFor parallel;
  // Runs ranges of 1 and 2 blocks, last range first, as threads might finish.
  parallel.run = [&calls](size_t count, const ParallelFor::Body& body) {
    std::vector<std::pair<size_t, size_t>> ranges;
    for (size_t b = 0; b < count;) {
      const size_t end = std::min(count, b + 1 + ranges.size() % 2);
      ranges.push_back({b, end});
      b = end;
    }
    for (auto it = ranges.rbegin(); it != ranges.rend(); ++it) body(it->first, it->second), ++calls;
  };
  const std::vector<float> split = index.MinDistances(q.data(), 61, parallel);
  EXPECT_GT(calls, 1u);
  EXPECT_EQ(split, serial);
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
