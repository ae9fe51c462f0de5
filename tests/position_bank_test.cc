// The per-position nearest-neighbour bank (core/scoring/position_bank.h): what it
// keeps, how it scores, its held-out normalizers, and why it replaced the
// per-cell Gaussian for the dark-spot channel: normal features in clusters.
#include <gtest/gtest.h>

#include <random>

#include "core/scoring/position_bank.h"
#include "core/scoring/position_model.h"
#include "test_support.h"

namespace anomalens {
namespace {

std::vector<const PatchGrid*> Pointers(const std::vector<PatchGrid>& grids) {
  std::vector<const PatchGrid*> out;
  for (const PatchGrid& g : grids) out.push_back(&g);
  return out;
}

TEST(PositionBank, KeepsAtMostItsEntriesAndScoresTrainingVectorsAsNormal) {
  const std::vector<PatchGrid> grids = testing::AlignedGrids(30, 5, 4, 4, 0.5f, 11);
  const PositionBankFit small = FitPositionBank(Pointers(grids), {}, 5, 8);
  EXPECT_EQ(small.bank.entries, 8);
  EXPECT_EQ(small.bank.vectors.size(), small.bank.cells() * 8 * 4);
  const PositionBankFit all = FitPositionBank(Pointers(grids), {}, 5, 64);
  EXPECT_EQ(all.bank.entries, 30) << "no more vectors than images";
  ASSERT_EQ(all.normal_scores.size(), 30u);
  // Every training vector is in the full bank: distance 0, so score 0.
  for (const float s : PositionBankScores(all.bank, grids[4])) EXPECT_EQ(s, 0.0f);
  // Held-out normal scores are standardized: about half are above the mean.
  size_t positive = 0, total = 0;
  for (const auto& scores : all.normal_scores)
    for (float s : scores) positive += s > 0, ++total;
  EXPECT_GT(positive, total / 5);
  EXPECT_LT(positive, total * 4 / 5);
  // A cell moved far from every normal vector scores high, the rest do not.
  PatchGrid probe = grids[4];
  probe.data[(2 * 5 + 3) * 4 + 1] += 40.0f;
  const std::vector<float> s = PositionBankScores(all.bank, probe);
  EXPECT_GT(s[2 * 5 + 3], 10.0f);
  EXPECT_EQ(s[0], 0.0f);
}

TEST(PositionBank, FollowsClustersWhereAGaussianCoversTheGapBetweenThem) {
  // At every cell, normal vectors come from two tight clusters (+-5 on
  // feature 0), as photos of two kinds of part would; a probe halfway
  // between them is anomalous. The bank says so; a Gaussian, whose mean
  // sits in the gap, scores it as normal as any normal photo.
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 0.2f);
  std::vector<PatchGrid> grids(40);
  for (size_t i = 0; i < grids.size(); ++i) {
    PatchGrid& g = grids[i];
    g.width = 3, g.height = 2, g.dim = 4;
    g.data.resize(g.cells() * 4);
    for (size_t c = 0; c < g.cells(); ++c)
      for (int d = 0; d < 4; ++d) g.data[c * 4 + d] = noise(rng) + (d == 0 ? (i % 2 ? 5.0f : -5.0f) : 0.0f);
  }
  PatchGrid gap = grids[0];
  for (size_t c = 0; c < gap.cells(); ++c) gap.data[c * 4] = 0.0f;
  const PositionBankFit bank = FitPositionBank(Pointers(grids), {}, 5, 16);
  const PositionFit gaussian = FitPositionModel(Pointers(grids), {}, 5, 4, 4, 0);
  const std::vector<float> b = PositionBankScores(bank.bank, gap), g = PositionScores(gaussian.model, gap);
  for (size_t c = 0; c < gap.cells(); ++c) {
    EXPECT_GT(b[c], 10.0f) << "the bank: 5 from the nearest cluster";
    EXPECT_LT(g[c], 2.0f) << "the Gaussian: at its mean, as normal as a normal photo";
  }
}

TEST(PositionBank, AnomaliesAreScoredAgainstTheirFoldsBank) {
  const std::vector<PatchGrid> grids = testing::AlignedGrids(20, 4, 3, 4, 0.5f, 5);
  std::vector<PatchGrid> anomalies = {grids[0], grids[1]};
  for (PatchGrid& a : anomalies) a.data[5 * 4] += 30.0f;
  const PositionBankFit fit = FitPositionBank(Pointers(grids), Pointers(anomalies), 5, 64);
  ASSERT_EQ(fit.anomaly_scores.size(), 2u);
  for (const auto& scores : fit.anomaly_scores) EXPECT_GT(scores[5], 10.0f);
  // Anomaly 0 equals normal 0 elsewhere, and both are held out of fold 0's bank.
  for (size_t c = 0; c < 12; ++c)
    if (c != 5) EXPECT_EQ(fit.anomaly_scores[0][c], fit.normal_scores[0][c]);
}

TEST(PositionBank, TooFewImagesForFoldsCompareEachWithTheOthers) {
  const std::vector<PatchGrid> grids = testing::AlignedGrids(3, 4, 3, 4, 0.5f, 9);
  const PositionBankFit fit = FitPositionBank(Pointers(grids), {}, 5, 64);
  EXPECT_EQ(fit.bank.entries, 3);
  for (float sd : fit.bank.distance_sd) EXPECT_GT(sd, 0.0f);
  for (const auto& scores : fit.normal_scores)
    for (float s : scores) EXPECT_TRUE(std::isfinite(s));
}

}  // namespace
}  // namespace anomalens
