// Greedy k-centre coresets (single and two-stage) and the random projection
// they select on.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "core/scoring/coreset.h"
#include "core/scoring/nearest_neighbor.h"
#include "test_support.h"

namespace anomalens {
namespace {


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
  const std::vector<float> rows = testing::RandomRows(n, dim, rng);
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
  const std::vector<float> rows = testing::RandomRows(5, 4, rng);
  EXPECT_EQ(GreedyCoreset(rows.data(), 5, 4, 9).size(), 5u);
}

// A ParallelFor that splits [0, count) into uneven ranges and runs them last
// first, as an unlucky thread pool might: results must not depend on it.
ParallelFor ReversedUnevenRanges() {
  ParallelFor p;
  p.run = [](size_t count, const ParallelFor::Body& body) {
    std::vector<std::pair<size_t, size_t>> ranges;
    for (size_t begin = 0, step = 1; begin < count; begin += step, ++step)
      ranges.push_back({begin, std::min(count, begin + step)});
    for (auto r = ranges.rbegin(); r != ranges.rend(); ++r) body(r->first, r->second);
  };
  return p;
}

TEST(GreedyCoreset, ParallelBlocksPickTheSameRowsAsOnePass) {
  // Several blocks of rows, with exact duplicates so ties occur: the lowest
  // index must still win them.
  std::mt19937 rng(13);
  const int n = 9000, dim = 8;
  std::vector<float> rows = testing::RandomRows(n, dim, rng);
  for (int i = 6000; i < n; ++i) std::copy(&rows[(i - 6000) * dim], &rows[(i - 6000 + 1) * dim], &rows[i * dim]);
  const std::vector<size_t> one_pass = GreedyCoreset(rows.data(), n, dim, 200);
  EXPECT_EQ(GreedyCoreset(rows.data(), n, dim, 200, 0, ReversedUnevenRanges()), one_pass);
  for (size_t p : one_pass) EXPECT_LT(p, 6000u) << "a duplicate's first copy is picked";
}

TEST(TwoStageCoreset, ParallelSourcesPickTheSameRows) {
  std::mt19937 rng(14);
  std::vector<std::vector<float>> images;
  std::vector<CoresetSource> sources;
  for (int i = 0; i < 7; ++i) images.push_back(testing::RandomRows(500 + 300 * i, 16, rng));
  for (const auto& image : images) sources.push_back({image.data(), image.size() / 16});
  const std::vector<CoresetPick> one_pass = TwoStageCoreset(sources, 16, 600);
  const std::vector<CoresetPick> parallel = TwoStageCoreset(sources, 16, 600, 4, ReversedUnevenRanges());
  ASSERT_EQ(parallel.size(), one_pass.size());
  for (size_t k = 0; k < one_pass.size(); ++k) {
    EXPECT_EQ(parallel[k].source, one_pass[k].source);
    EXPECT_EQ(parallel[k].row, one_pass[k].row);
  }
}

TEST(RandomProjection, PreservesDistancesApproximately) {
  std::mt19937 rng(12);
  const int n = 200, dim = 128, out = 32;
  const std::vector<float> rows = testing::RandomRows(n, dim, rng);
  const std::vector<float> p = RandomProjection(rows.data(), n, dim, out, 42);
  EXPECT_EQ(p, RandomProjection(rows.data(), n, dim, out, 42)) << "deterministic";
  std::vector<double> ratios;
  for (int i = 0; i + 1 < n; i += 2) {
    double d = 0, dp = 0;
    for (int k = 0; k < dim; ++k) d += std::pow(rows[i * dim + k] - rows[(i + 1) * dim + k], 2);
    for (int k = 0; k < out; ++k) dp += std::pow(p[i * out + k] - p[(i + 1) * out + k], 2);
    ratios.push_back(std::sqrt(dp / d));
  }
  std::sort(ratios.begin(), ratios.end());
  // Johnson-Lindenstrauss at 32 dimensions: most ratios within about +-25%.
  EXPECT_NEAR(ratios[ratios.size() / 2], 1.0, 0.1);
  EXPECT_GT(ratios[ratios.size() / 20], 0.7);
  EXPECT_LT(ratios[ratios.size() * 19 / 20], 1.3);
}

TEST(TwoStageCoreset, PicksTargetRowsCoveringEveryCluster) {
  // Five sources (images), each holding points of some of eight clusters;
  // an 8-row coreset must take one point of each cluster.
  std::mt19937 rng(13);
  std::normal_distribution<float> noise(0.0f, 0.01f);
  const int dim = 16;
  std::vector<std::vector<float>> images(5);
  for (int s = 0; s < 5; ++s) {
    for (int i = 0; i < 60; ++i) {
      const int cluster = (s * 3 + i) % 8;
      for (int d = 0; d < dim; ++d) images[s].push_back((d == cluster ? 20.0f : 0.0f) + noise(rng));
    }
  }
  std::vector<CoresetSource> sources;
  for (const auto& rows : images) sources.push_back({rows.data(), rows.size() / dim});
  const std::vector<CoresetPick> picks = TwoStageCoreset(sources, dim, 8);
  ASSERT_EQ(picks.size(), 8u);
  std::set<int> clusters;
  std::set<std::pair<size_t, size_t>> unique;
  for (const CoresetPick& p : picks) {
    const float* row = &images[p.source][p.row * dim];
    clusters.insert(static_cast<int>(std::max_element(row, row + dim) - row));
    unique.insert({p.source, p.row});
  }
  EXPECT_EQ(clusters.size(), 8u);
  EXPECT_EQ(unique.size(), 8u);
}

TEST(TwoStageCoreset, KeepsEverythingWhenTargetCoversAll) {
  std::mt19937 rng(14);
  const std::vector<float> a = testing::RandomRows(10, 8, rng), b = testing::RandomRows(7, 8, rng);
  EXPECT_EQ(TwoStageCoreset({{a.data(), 10}, {b.data(), 7}}, 8, 100).size(), 17u);
}

}  // namespace
}  // namespace anomalens
