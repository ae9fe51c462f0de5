// GaussianBlur against the textbook loop it replaced: the same sums in the
// same order, so float for float the same (golden parity depends on it).
#include <gtest/gtest.h>

#include <random>

#include "core/image/gaussian_blur.h"

namespace anomalens {
namespace {

int ReflectIndex(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
  return i;
}

std::vector<float> ReferenceBlur(std::vector<float> plane, int width, int height, float sigma) {
  const std::vector<float> kernel = GaussianKernel(sigma);
  const int radius = static_cast<int>(kernel.size() / 2);
  std::vector<float> tmp(plane.size());
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      float acc = 0;
      for (int k = -radius; k <= radius; ++k)
        acc += kernel[k + radius] * plane[static_cast<size_t>(y) * width + ReflectIndex(x + k, width)];
      tmp[static_cast<size_t>(y) * width + x] = acc;
    }
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      float acc = 0;
      for (int k = -radius; k <= radius; ++k)
        acc += kernel[k + radius] * tmp[static_cast<size_t>(ReflectIndex(y + k, height)) * width + x];
      plane[static_cast<size_t>(y) * width + x] = acc;
    }
  return plane;
}

TEST(GaussianBlur, SameFloatsAsTheTextbookLoop) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0.0f, 10.0f);
  // Planes narrower than the kernel (reflection more than once) and wider.
  for (const auto [width, height, sigma] : {std::tuple{5, 3, 4.0f}, {37, 29, 4.0f}, {224, 96, 2.0f}, {1, 9, 1.0f}}) {
    std::vector<float> plane(static_cast<size_t>(width) * height);
    for (float& v : plane) v = u(rng);
    const std::vector<float> want = ReferenceBlur(plane, width, height, sigma);
    GaussianBlur(plane, width, height, sigma);
    EXPECT_EQ(plane, want) << width << "x" << height << " sigma " << sigma;
  }
}

}  // namespace
}  // namespace anomalens
