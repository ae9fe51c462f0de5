// Threshold calibration rules and the Confidence formula.
#include <gtest/gtest.h>

#include <cmath>

#include "core/base/portable_math.h"
#include "core/model/calibration.h"

namespace anomalens {
namespace {

TEST(Calibrate, WithAnomaliesUsesF1OptimalMidpoint) {
  const Calibration c = Calibrate({1.0, 2.0, 3.0}, {5.0, 6.0});
  EXPECT_EQ(c.rule, ThresholdRule::kF1Optimal);
  EXPECT_DOUBLE_EQ(c.threshold, 4.0);  // midway between the top normal and the lowest anomaly
  EXPECT_DOUBLE_EQ(c.confidence_scale, (4.0 - 2.0) / 4.0);
}

TEST(Calibrate, NormalOnlyUsesMedianPlusThreeRobustSd) {
  // Median 2, absolute deviations {1,0,1,0,8} with median 1: robust sd 1.4826.
  // The outlier 10 would pull a mean + 3 sd threshold up to 9.7.
  const Calibration c = Calibrate({1.0, 2.0, 3.0, 2.0, 10.0}, {});
  EXPECT_EQ(c.rule, ThresholdRule::kNormalMedianPlus3RobustSd);
  EXPECT_DOUBLE_EQ(c.threshold, 2.0 + 3.0 * 1.4826);
  EXPECT_DOUBLE_EQ(c.confidence_scale, 3.0 * 1.4826 / 4.0);
}

TEST(Calibrate, OverlappingClassesStillGiveAPositiveScale) {
  const Calibration c = Calibrate({5.0, 5.0}, {1.0});
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

}  // namespace
}  // namespace anomalens
