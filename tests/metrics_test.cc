#include "core/lookout/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace anomalens {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<ScoredLabel> Scored(const std::vector<double>& scores, const std::vector<int>& labels) {
  std::vector<ScoredLabel> out;
  for (size_t i = 0; i < scores.size(); ++i) out.push_back({scores[i], labels[i] == 1});
  return out;
}

// --- ROC AUC ---------------------------------------------------------------

TEST(RocAucTest, SklearnDocumentationExample) {
  // sklearn: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75.
  EXPECT_DOUBLE_EQ(RocAuc(Scored({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1})), 0.75);
}

TEST(RocAucTest, PerfectSeparationIsOne) { EXPECT_DOUBLE_EQ(RocAuc(Scored({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1})), 1.0); }

TEST(RocAucTest, ReversedIsZero) { EXPECT_DOUBLE_EQ(RocAuc(Scored({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1})), 0.0); }

TEST(RocAucTest, TiesCountHalf) {
  // All tied: every pair counts 1/2.
  EXPECT_DOUBLE_EQ(RocAuc(Scored({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1})), 0.5);
  // Anomalies 0.9, 0.5; normals 0.9, 0.5, 0.1. Pairs (anomaly, normal):
  // (.9,.9)=1/2 (.9,.5)=1 (.9,.1)=1 (.5,.9)=0 (.5,.5)=1/2 (.5,.1)=1 -> 4/6.
  EXPECT_DOUBLE_EQ(RocAuc(Scored({0.9, 0.9, 0.5, 0.5, 0.1}, {1, 0, 1, 0, 0})), 4.0 / 6.0);
}

TEST(RocAucTest, UndefinedCasesAreNaN) {
  EXPECT_TRUE(std::isnan(RocAuc({})));
  EXPECT_TRUE(std::isnan(RocAuc(Scored({0.1, 0.9}, {0, 0}))));
  EXPECT_TRUE(std::isnan(RocAuc(Scored({0.1, 0.9}, {1, 1}))));
  EXPECT_TRUE(std::isnan(RocAuc(Scored({0.1, kNaN, 0.9}, {0, 1, 1}))));
}

TEST(RocAucTest, InfiniteScoresAreOrdinary) {
  EXPECT_DOUBLE_EQ(RocAuc(Scored({-kInf, kInf}, {0, 1})), 1.0);
  EXPECT_DOUBLE_EQ(RocAuc(Scored({kInf, kInf}, {0, 1})), 0.5);
}

// --- Average precision -----------------------------------------------------

TEST(AveragePrecisionTest, SklearnDocumentationExample) {
  // sklearn: average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
  // == 0.8333...: ranks 0.8 (P=1/1), 0.4, 0.35 (P=2/3) -> (1 + 2/3) / 2.
  EXPECT_DOUBLE_EQ(AveragePrecision(Scored({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1})), 5.0 / 6.0);
}

TEST(AveragePrecisionTest, PerfectAndReversed) {
  EXPECT_DOUBLE_EQ(AveragePrecision(Scored({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1})), 1.0);
  // Ranked n, n, a, a: (1/3 + 2/4) / 2 = 5/12.
  EXPECT_DOUBLE_EQ(AveragePrecision(Scored({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1})), 5.0 / 12.0);
}

TEST(AveragePrecisionTest, TiedScoresAreOneStep) {
  // All tied: one step at precision = prevalence.
  EXPECT_DOUBLE_EQ(AveragePrecision(Scored({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 0})), 0.25);
  // Steps {0.9: a, n} P=1/2 and {0.5: a, n} P=2/4: AP = (1/2 + 1/2) / 2.
  // Ranking the tied anomaly first would wrongly give (1 + 2/3) / 2.
  EXPECT_DOUBLE_EQ(AveragePrecision(Scored({0.9, 0.9, 0.5, 0.5, 0.1}, {1, 0, 1, 0, 0})), 0.5);
}

TEST(AveragePrecisionTest, NoNormalsIsOne) { EXPECT_DOUBLE_EQ(AveragePrecision(Scored({0.3, 0.7}, {1, 1})), 1.0); }

TEST(AveragePrecisionTest, UndefinedCasesAreNaN) {
  EXPECT_TRUE(std::isnan(AveragePrecision({})));
  EXPECT_TRUE(std::isnan(AveragePrecision(Scored({0.1, 0.9}, {0, 0}))));
  EXPECT_TRUE(std::isnan(AveragePrecision(Scored({kNaN, 0.9}, {0, 1}))));
}

// --- MetricsAtThreshold ----------------------------------------------------

TEST(MetricsAtThresholdTest, CountsAndRatios) {
  const auto scored = Scored({0.75, 0.5, 0.375, 0.25}, {1, 0, 0, 1});
  const ClassificationMetrics m = MetricsAtThreshold(scored, 0.375);  // >= is anomalous
  EXPECT_EQ(m.true_positives, 1);
  EXPECT_EQ(m.false_positives, 2);
  EXPECT_EQ(m.true_negatives, 0);
  EXPECT_EQ(m.false_negatives, 1);
  EXPECT_DOUBLE_EQ(m.precision, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.recall, 0.5);
  EXPECT_DOUBLE_EQ(m.f1, 0.4);
}

TEST(MetricsAtThresholdTest, NothingCalledAnomalousGivesZeros) {
  const ClassificationMetrics m = MetricsAtThreshold(Scored({0.1, 0.9}, {0, 1}), 1.0);
  EXPECT_EQ(m.false_negatives, 1);
  EXPECT_EQ(m.true_negatives, 1);
  EXPECT_EQ(m.precision, 0.0);
  EXPECT_EQ(m.recall, 0.0);
  EXPECT_EQ(m.f1, 0.0);
}

TEST(MetricsAtThresholdTest, NoAnomaliesGivesZeroRecall) {
  const ClassificationMetrics m = MetricsAtThreshold(Scored({0.1, 0.9}, {0, 0}), 0.5);
  EXPECT_EQ(m.false_positives, 1);
  EXPECT_EQ(m.precision, 0.0);
  EXPECT_EQ(m.recall, 0.0);
  EXPECT_EQ(m.f1, 0.0);
}

TEST(MetricsAtThresholdTest, NaNScoreIsCalledNormal) {
  const ClassificationMetrics m = MetricsAtThreshold(Scored({kNaN, kNaN}, {0, 1}), -kInf);
  EXPECT_EQ(m.true_negatives, 1);
  EXPECT_EQ(m.false_negatives, 1);
}

// --- F1OptimalThreshold ----------------------------------------------------

TEST(F1OptimalThresholdTest, PerfectSeparationTakesTheMidpoint) {
  const auto scored = Scored({0.125, 0.25, 0.5, 0.75}, {0, 0, 1, 1});
  const double t = F1OptimalThreshold(scored);
  EXPECT_EQ(t, 0.375);
  EXPECT_EQ(MetricsAtThreshold(scored, t).f1, 1.0);
}

TEST(F1OptimalThresholdTest, CallingEverythingAnomalousUsesTheLowestScore) {
  // Cuts: {0.5} F1 2/3; {0.5, 0.3} F1 1/2; all F1 4/5.
  const auto scored = Scored({0.1, 0.3, 0.5}, {1, 0, 1});
  const double t = F1OptimalThreshold(scored);
  EXPECT_EQ(t, 0.1);
  EXPECT_DOUBLE_EQ(MetricsAtThreshold(scored, t).f1, 0.8);
}

TEST(F1OptimalThresholdTest, EqualF1PrefersHigherPrecision) {
  // Ranked a 0.75, n 0.5, n 0.375, a 0.25. The top cut (TP 1, FP 0, FN 1)
  // and the all-anomalous cut (TP 2, FP 2, FN 0) both have F1 = 2/3;
  // precision 1 beats 1/2, so the threshold sits between 0.75 and 0.5.
  const auto scored = Scored({0.75, 0.5, 0.375, 0.25}, {1, 0, 0, 1});
  EXPECT_DOUBLE_EQ(MetricsAtThreshold(scored, 0.625).f1, MetricsAtThreshold(scored, 0.25).f1);
  EXPECT_EQ(F1OptimalThreshold(scored), 0.625);
}

TEST(F1OptimalThresholdTest, TiedScoresAreNeverSplit) {
  // The anomaly at 0.5 ties a normal: both are called together or neither.
  const auto scored = Scored({0.5, 0.5, 0.25, 1.0}, {1, 0, 0, 1});
  const double t = F1OptimalThreshold(scored);
  // Cuts: {1.0} F1 2/3; {1.0, 0.5, 0.5} F1 4/5; all F1 4/6.
  EXPECT_EQ(t, 0.375);
}

TEST(F1OptimalThresholdTest, AdjacentDoublesKeepTheCut) {
  // No double lies strictly between the two scores; the threshold must still
  // call the upper one anomalous and the lower one normal.
  const double low = 1.0, high = std::nextafter(1.0, 2.0);
  const auto scored = Scored({low, high}, {0, 1});
  const double t = F1OptimalThreshold(scored);
  EXPECT_EQ(t, high);
  EXPECT_EQ(MetricsAtThreshold(scored, t).f1, 1.0);
}

TEST(F1OptimalThresholdTest, ExtremeAndInfiniteScores) {
  const auto huge = Scored({-1e308, 1e308}, {0, 1});
  EXPECT_EQ(F1OptimalThreshold(huge), 0.0);
  for (const auto& scored : {Scored({0.0, kInf}, {0, 1}), Scored({-kInf, 0.0}, {0, 1}), Scored({-kInf, kInf}, {0, 1}),
                             Scored({-kInf, kInf}, {1, 0})}) {
    const double t = F1OptimalThreshold(scored);
    const double best = scored[0].anomalous ? 2.0 / 3.0 : 1.0;
    EXPECT_DOUBLE_EQ(MetricsAtThreshold(scored, t).f1, best) << "threshold " << t;
  }
}

TEST(F1OptimalThresholdTest, NaNScoresTakePartAsNormalCalls) {
  // The NaN anomaly is a false negative whatever the threshold.
  const auto scored = Scored({kNaN, 0.25, 0.75}, {1, 0, 1});
  const double t = F1OptimalThreshold(scored);
  EXPECT_EQ(t, 0.5);
  EXPECT_DOUBLE_EQ(MetricsAtThreshold(scored, t).f1, 2.0 / 3.0);
}

TEST(F1OptimalThresholdTest, UndefinedCasesAreNaN) {
  EXPECT_TRUE(std::isnan(F1OptimalThreshold({})));
  EXPECT_TRUE(std::isnan(F1OptimalThreshold(Scored({0.1, 0.9}, {0, 0}))));
  EXPECT_TRUE(std::isnan(F1OptimalThreshold(Scored({kNaN, kNaN}, {0, 1}))));
}

TEST(F1OptimalThresholdTest, IndependentOfInputOrder) {
  const auto original = Scored({0.75, 0.5, 0.375, 0.25, 0.5, 0.875}, {1, 0, 0, 1, 1, 0});
  const double threshold = F1OptimalThreshold(original);
  const double auc = RocAuc(original);
  const double ap = AveragePrecision(original);
  const auto by_score_then_label = [](const ScoredLabel& a, const ScoredLabel& b) {
    return a.score < b.score || (a.score == b.score && a.anomalous < b.anomalous);
  };
  auto scored = original;
  std::sort(scored.begin(), scored.end(), by_score_then_label);
  int permutations = 0;
  do {
    ++permutations;
    ASSERT_EQ(F1OptimalThreshold(scored), threshold);
    ASSERT_EQ(RocAuc(scored), auc);
    ASSERT_EQ(AveragePrecision(scored), ap);
  } while (std::next_permutation(scored.begin(), scored.end(), by_score_then_label));
  EXPECT_EQ(permutations, 720);  // six distinct (score, label) pairs
}

// --- Brute force on seeded random data --------------------------------------

// mt19937's raw output is specified by the standard (unlike the
// distributions), so these cases are the same on every platform.
std::vector<ScoredLabel> RandomCase(std::mt19937* rng) {
  const int n = 1 + static_cast<int>((*rng)() % 25);
  // Few distinct levels make ties common; sometimes use finer scores.
  const uint32_t levels = ((*rng)() % 2 == 0) ? 6 : 1000;
  std::vector<ScoredLabel> scored;
  for (int i = 0; i < n; ++i) {
    scored.push_back({static_cast<double>((*rng)() % levels) / levels, (*rng)() % 3 == 0});
  }
  return scored;
}

TEST(MetricsBruteForceTest, F1OptimalThresholdMatchesExhaustiveSearch) {
  std::mt19937 rng(20240611);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<ScoredLabel> scored = RandomCase(&rng);
    if (std::none_of(scored.begin(), scored.end(), [](const ScoredLabel& s) { return s.anomalous; })) {
      scored.front().anomalous = true;
    }
    std::vector<double> distinct;
    for (const ScoredLabel& s : scored) distinct.push_back(s.score);
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());

    // Every cut is "score >= d" for a distinct score d.
    double best_f1 = -1, best_precision = -1, best_cut = 0;
    for (double d : distinct) {
      const ClassificationMetrics m = MetricsAtThreshold(scored, d);
      if (m.f1 > best_f1 || (m.f1 == best_f1 && m.precision >= best_precision)) {
        best_f1 = m.f1;
        best_precision = m.precision;
        best_cut = d;  // ascending, so >= keeps the higher threshold
      }
    }
    const double t = F1OptimalThreshold(scored);
    const ClassificationMetrics chosen = MetricsAtThreshold(scored, t);
    ASSERT_EQ(chosen.f1, best_f1) << "trial " << trial;
    ASSERT_EQ(chosen.precision, best_precision) << "trial " << trial;
    // The same cut as best_cut, with the threshold at the documented place.
    const auto lowest_called = std::lower_bound(distinct.begin(), distinct.end(), t);
    ASSERT_NE(lowest_called, distinct.end());
    ASSERT_EQ(*lowest_called, best_cut) << "trial " << trial;
    if (lowest_called == distinct.begin()) {
      ASSERT_EQ(t, distinct.front());
    } else {
      ASSERT_EQ(t, *(lowest_called - 1) / 2 + *lowest_called / 2) << "trial " << trial;
    }
  }
}

TEST(MetricsBruteForceTest, RocAucAndAveragePrecisionMatchDefinitions) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    const std::vector<ScoredLabel> scored = RandomCase(&rng);
    double pair_sum = 0;
    int anomalies = 0, normals = 0;
    for (const ScoredLabel& a : scored) {
      (a.anomalous ? anomalies : normals) += 1;
      if (!a.anomalous) continue;
      for (const ScoredLabel& n : scored) {
        if (n.anomalous) continue;
        pair_sum += a.score > n.score ? 1.0 : a.score == n.score ? 0.5 : 0.0;
      }
    }
    if (anomalies == 0 || normals == 0) {
      ASSERT_TRUE(std::isnan(RocAuc(scored)));
    } else {
      ASSERT_DOUBLE_EQ(RocAuc(scored), pair_sum / (anomalies * normals)) << "trial " << trial;
    }
    // The header's definition: the mean over anomalies of the precision among
    // images scoring at least as high (a tied step counts as one rank).
    double precision_sum = 0;
    for (const ScoredLabel& a : scored) {
      if (!a.anomalous) continue;
      int called = 0, true_positives = 0;
      for (const ScoredLabel& s : scored) {
        if (s.score < a.score) continue;
        ++called;
        true_positives += s.anomalous ? 1 : 0;
      }
      precision_sum += static_cast<double>(true_positives) / called;
    }
    if (anomalies == 0) {
      ASSERT_TRUE(std::isnan(AveragePrecision(scored)));
    } else {
      ASSERT_NEAR(AveragePrecision(scored), precision_sum / anomalies, 1e-12) << "trial " << trial;
    }
  }
}

}  // namespace
}  // namespace anomalens
