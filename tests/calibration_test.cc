// Threshold calibration rules and the Confidence formula.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/base/portable_math.h"
#include "core/model/calibration.h"

namespace anomalens {
namespace {

TEST(Calibrate, WithAnomaliesUsesF1OptimalMidpoint) {
  const Calibration c = Calibrate({1.0, 2.0, 3.0}, {5.0, 6.0}, 0.01);  // the rate plays no part
  EXPECT_EQ(c.rule, ThresholdRule::kF1Optimal);
  EXPECT_DOUBLE_EQ(c.threshold, 4.0);  // midway between the top normal and the lowest anomaly
  EXPECT_DOUBLE_EQ(c.confidence_scale, (4.0 - 2.0) / 4.0);
}

TEST(Calibrate, NormalOnlyUsesMedianPlusRobustSdAtTheRatesQuantile) {
  // Median 2, absolute deviations {1,0,1,0,8} with median 1: robust sd 1.4826.
  // The outlier 10 would pull a mean + 3 sd threshold up to 9.7.
  const Calibration c = Calibrate({1.0, 2.0, 3.0, 2.0, 10.0}, {}, 0.01);
  EXPECT_EQ(c.rule, ThresholdRule::kNormalFalsePositiveRate);
  const double z = StandardNormalQuantile(0.99);
  EXPECT_DOUBLE_EQ(c.threshold, 2.0 + z * 1.4826);
  EXPECT_DOUBLE_EQ(c.confidence_scale, z * 1.4826 / 4.0);  // so Confidence is 0.5 at the threshold, as before
  EXPECT_DOUBLE_EQ(c.held_out_false_positive_rate, 0.2);    // the outlier alone is above it
  EXPECT_EQ(Confidence(c.threshold, c.threshold, c.confidence_scale), 0.5);
}

// The default rate, chosen on dev data (fresh synthetic scenes of seeds 2
// and 3, the cookies' and bsdata-pitting's dev parts; docs/model.md,
// "Choosing the default R"): 3%, z = 1.881.
TEST(Calibrate, NormalOnlyDefaultRateIsThreePercent) {
  EXPECT_DOUBLE_EQ(kDefaultFalsePositiveRate, 0.03);
  const Calibration c = Calibrate({1.0, 2.0, 3.0, 2.0, 10.0}, {});
  EXPECT_EQ(c.rule, ThresholdRule::kNormalFalsePositiveRate);
  EXPECT_NEAR(StandardNormalQuantile(0.97), 1.880793608, 1e-8);
  EXPECT_DOUBLE_EQ(c.threshold, 2.0 + StandardNormalQuantile(0.97) * 1.4826);
  EXPECT_LT(c.threshold, Calibrate({1.0, 2.0, 3.0, 2.0, 10.0}, {}, 0.01).threshold);
}

// Normal scores drawn from a Gaussian, a Gaussian with 3% far outliers, and
// a lognormal (right-skewed, as nearest-neighbour distances are): the
// share above the threshold is the rate asked for on the Gaussian (the rule's
// model), stays near it with the outliers (the robust spread ignores them)
// and is reported honestly, not as the rate asked for, on the skewed one.
TEST(Calibrate, NormalOnlyThresholdHitsTheStatedFalsePositiveRate) {
  std::mt19937 rng(11);
  std::normal_distribution<double> gaussian(5.0, 2.0);
  std::vector<double> clean, contaminated, skewed;
  for (int i = 0; i < 20000; ++i) {
    const double x = gaussian(rng);
    clean.push_back(x);
    contaminated.push_back(i % 33 == 0 ? 100.0 + i : x);
    skewed.push_back(std::exp((x - 5.0) / 2.0));
  }
  for (double rate : {0.01, 0.02, 0.1}) {
    const Calibration c = Calibrate(clean, {}, rate);
    EXPECT_NEAR(c.threshold, 5.0 + 2.0 * StandardNormalQuantile(1 - rate), 0.06) << rate;
    EXPECT_NEAR(c.held_out_false_positive_rate, rate, 0.2 * rate) << rate;
    // 3% outliers all land above; the Gaussian part keeps close to the rate.
    const Calibration o = Calibrate(contaminated, {}, rate);
    EXPECT_NEAR(o.held_out_false_positive_rate - 1.0 / 33, rate, 0.3 * rate + 0.003) << rate;
    // Skewed: far more than the rate asked for, and the calibration says so.
    const Calibration k = Calibrate(skewed, {}, rate);
    size_t above = 0;
    for (double s : skewed) above += s >= k.threshold;
    EXPECT_DOUBLE_EQ(k.held_out_false_positive_rate, static_cast<double>(above) / skewed.size());
    EXPECT_GT(k.held_out_false_positive_rate, 1.5 * rate) << rate;
  }
  // A lower rate puts the threshold higher.
  EXPECT_GT(Calibrate(clean, {}, 0.001).threshold, Calibrate(clean, {}, 0.01).threshold);
}

TEST(StandardNormalQuantile, MatchesKnownValues) {
  EXPECT_NEAR(StandardNormalQuantile(0.5), 0.0, 1e-9);
  EXPECT_NEAR(StandardNormalQuantile(0.975), 1.959963985, 1e-8);   // central region
  EXPECT_NEAR(StandardNormalQuantile(0.99), 2.326347874, 1e-8);    // upper tail
  EXPECT_NEAR(StandardNormalQuantile(0.001), -3.090232306, 1e-8);  // lower tail
  EXPECT_NEAR(StandardNormalQuantile(0.01), -StandardNormalQuantile(0.99), 1e-12);
}

TEST(Calibrate, OverlappingClassesStillGiveAPositiveScale) {
  const Calibration c = Calibrate({5.0, 5.0}, {1.0}, 0.01);
  EXPECT_GT(c.confidence_scale, 0.0);
}

TEST(Confidence, IsHalfAtThresholdAndRisesAwayFromIt) {
  EXPECT_DOUBLE_EQ(Confidence(4.0, 4.0, 0.5), 0.5);
  EXPECT_NEAR(Confidence(2.0, 4.0, 0.5), 1.0 / (1.0 + std::exp(-4.0)), 1e-12);  // as far as the normal mean: 0.982
  EXPECT_DOUBLE_EQ(Confidence(6.0, 4.0, 0.5), Confidence(2.0, 4.0, 0.5));       // symmetric
  EXPECT_GT(Confidence(9.0, 4.0, 0.5), Confidence(6.0, 4.0, 0.5));
  EXPECT_LE(Confidence(1e9, 4.0, 0.5), 1.0);
}

TEST(PortableExp, MatchesLibmClosely) {
  for (double x = -50; x <= 50; x += 0.37) {
    EXPECT_NEAR(PortableExp(x) / std::exp(x), 1.0, 1e-13) << x;
  }
  EXPECT_EQ(PortableExp(-1000), 0.0);
  EXPECT_TRUE(std::isinf(PortableExp(1000)));
}

TEST(PortableLog, MatchesLibmClosely) {
  for (double x : {1e-300, 1e-9, 0.00135, 0.01, 0.5, 0.999, 1.0, 1.5, 2.0, 7.25, 1e6, 1e300}) {
    EXPECT_NEAR(PortableLog(x), std::log(x), 1e-14 * std::max(1.0, std::abs(std::log(x)))) << x;
  }
  EXPECT_TRUE(std::isnan(PortableLog(0.0)));
  EXPECT_TRUE(std::isnan(PortableLog(-1.0)));
}

}  // namespace
}  // namespace anomalens
