// Half precision conversion (core/base/half_float.h): known values, rounding to
// nearest even, subnormals, saturation, NaN, and the round trip of every half.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/base/half_float.h"

namespace anomalens {
namespace {

TEST(HalfFloat, KnownValues) {
  EXPECT_EQ(FloatToHalf(0.0f), 0x0000);
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(FloatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xC000);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7BFF) << "the largest finite half";
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -14)), 0x0400) << "the smallest normal";
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)), 0x0001) << "the smallest subnormal";
  EXPECT_EQ(HalfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));
}

TEST(HalfFloat, RoundsToNearestEven) {
  // Halves near 1 are 2^-10 apart.
  const float step = std::ldexp(1.0f, -10);
  EXPECT_EQ(FloatToHalf(1.0f + step / 2), 0x3C00) << "a tie goes to the even half";
  EXPECT_EQ(FloatToHalf(1.0f + 3 * step / 2), 0x3C02) << "a tie goes to the even half";
  EXPECT_EQ(FloatToHalf(1.0f + step * 0.51f), 0x3C01);
  EXPECT_EQ(FloatToHalf(1.0f + step * 0.49f), 0x3C00);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000) << "half the smallest subnormal: a tie, to 0";
  EXPECT_EQ(FloatToHalf(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -30)), 0x0000);
}

TEST(HalfFloat, SaturatesAndKeepsNaN) {
  EXPECT_EQ(FloatToHalf(65519.0f), 0x7BFF) << "rounds down to the largest";
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7BFF) << "would round to infinity: saturates";
  EXPECT_EQ(FloatToHalf(1e30f), 0x7BFF);
  EXPECT_EQ(FloatToHalf(-std::numeric_limits<float>::infinity()), 0xFBFF);
  const uint16_t nan = FloatToHalf(std::numeric_limits<float>::quiet_NaN());
  EXPECT_FALSE(HalfIsFinite(nan));
  EXPECT_TRUE(std::isnan(HalfToFloat(nan)));
  EXPECT_FALSE(HalfIsFinite(0x7C00));
  EXPECT_TRUE(HalfIsFinite(0x7BFF));
}

TEST(HalfFloat, EveryFiniteHalfRoundTrips) {
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    const uint16_t half = static_cast<uint16_t>(h);
    if (!HalfIsFinite(half)) continue;
    ASSERT_EQ(FloatToHalf(HalfToFloat(half)), half) << std::hex << h;
  }
}

}  // namespace
}  // namespace anomalens
