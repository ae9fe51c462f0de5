#include "core/backbone/mobilenet_v2.h"

#include <gtest/gtest.h>

#include <random>

#include "test_support.h"

namespace anomalens {
namespace {

Tensor RandomInput(int height, int width) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Tensor t(height, width, 3);
  for (float& v : t.data) v = u(rng);
  return t;
}

TEST(MobileNetV2, Stride4TapOnlyWhenAskedAndOtherTapsUnchanged) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  const Backbone& net = *testing::SharedBackbone();
  const Tensor input = RandomInput(64, 96);
  auto plain = net.Run(input);
  auto with4 = net.Run(input, /*stride4=*/true);
  ASSERT_TRUE(plain.ok() && with4.ok());
  EXPECT_TRUE(plain->stride4.data.empty());
  EXPECT_EQ(with4->stride4.height, 16);
  EXPECT_EQ(with4->stride4.width, 24);
  EXPECT_EQ(with4->stride4.channels, MobileNetV2::kStride4Channels);
  EXPECT_EQ(with4->stride8.data, plain->stride8.data);
  EXPECT_EQ(with4->stride16.data, plain->stride16.data);
}

}  // namespace
}  // namespace anomalens
