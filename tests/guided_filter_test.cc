// GuidedFilter against a direct implementation of He et al.'s equations
// (each window's sums taken pixel by pixel), and the properties the
// segmentation map relies on: a flat guide smooths, a guide's edge is kept.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/image/gaussian_blur.h"
#include "core/image/guided_filter.h"

namespace anomalens {
namespace {

// The mean of `plane` over the clipped window around (x, y), summed directly.
double WindowMean(const std::vector<double>& plane, int width, int height, int x, int y, int r) {
  double sum = 0;
  int count = 0;
  for (int v = std::max(0, y - r); v <= std::min(height - 1, y + r); ++v)
    for (int u = std::max(0, x - r); u <= std::min(width - 1, x + r); ++u) sum += plane[v * width + u], ++count;
  return sum / count;
}

std::vector<float> ReferenceGuidedFilter(const std::vector<float>& guide, const std::vector<float>& input, int width,
                                         int height, int r, double eps) {
  const size_t n = guide.size();
  std::vector<double> a(n), b(n), i(guide.begin(), guide.end()), p(input.begin(), input.end());
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      double si = 0, sp = 0, sip = 0, sii = 0;
      int count = 0;
      for (int v = std::max(0, y - r); v <= std::min(height - 1, y + r); ++v)
        for (int u = std::max(0, x - r); u <= std::min(width - 1, x + r); ++u) {
          const size_t k = v * width + u;
          si += i[k], sp += p[k], sip += i[k] * p[k], sii += i[k] * i[k], ++count;
        }
      const double mi = si / count, mp = sp / count;
      const double cov = sip / count - mi * mp, var = sii / count - mi * mi;
      a[y * width + x] = cov / (var + eps);
      b[y * width + x] = mp - a[y * width + x] * mi;
    }
  std::vector<float> out(n);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      out[y * width + x] = static_cast<float>(WindowMean(a, width, height, x, y, r) * i[y * width + x] +
                                              WindowMean(b, width, height, x, y, r));
  return out;
}

TEST(GuidedFilter, MatchesTheDirectWindowSums) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (const auto& [width, height, radius] : {std::tuple{23, 17, 3}, std::tuple{9, 31, 5}, std::tuple{40, 6, 8}}) {
    std::vector<float> guide(width * height), input(width * height);
    for (float& v : guide) v = unit(rng);
    for (float& v : input) v = 10.0f * unit(rng);
    const std::vector<float> got = GuidedFilter(guide, input, width, height, radius, 1e-2);
    const std::vector<float> want = ReferenceGuidedFilter(guide, input, width, height, radius, 1e-2);
    ASSERT_EQ(got.size(), want.size());
    for (size_t k = 0; k < got.size(); ++k) ASSERT_NEAR(got[k], want[k], 1e-4) << width << "x" << height << " at " << k;
  }
}

TEST(GuidedFilter, FlatGuideSmoothsTwiceWithTheBox) {
  // With var(I) = 0 every window's fit is its mean: the output is the box
  // mean of the box mean, so a single spike spreads over (4r + 1)^2 pixels.
  const int width = 21, height = 21, r = 2;
  std::vector<float> guide(width * height, 0.5f), input(width * height, 0.0f);
  input[10 * width + 10] = 625.0f;
  const std::vector<float> out = GuidedFilter(guide, input, width, height, r, 1e-3);
  EXPECT_NEAR(out[10 * width + 10], 625.0f / 25 / 25 * 25, 1e-3);  // all 25 windows hold the spike
  EXPECT_NEAR(out[10 * width + 14], 625.0f / 25 / 25 * 5, 1e-3);   // 5 of the windows do
  EXPECT_NEAR(out[10 * width + 15], 0.0f, 1e-6);
}

TEST(GuidedFilter, KeepsTheGuidesEdgeWhereAGaussianSpreads) {
  // A map that is high left of column 20 and a guide with its edge there:
  // the guided filter keeps the step within a pixel; a Gaussian of a
  // similar reach leaves a ramp across the edge.
  const int width = 40, height = 12;
  std::vector<float> guide(width * height), input(width * height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      guide[y * width + x] = x < 20 ? 0.2f : 0.8f;
      input[y * width + x] = x < 20 ? 1.0f : 0.0f;
    }
  const std::vector<float> guided = GuidedFilter(guide, input, width, height, 6, 1e-4);
  std::vector<float> blurred = input;
  GaussianBlur(blurred, width, height, 3.0f);
  const int row = 6 * width;
  EXPECT_GT(guided[row + 19], 0.95f);
  EXPECT_LT(guided[row + 20], 0.05f);
  EXPECT_LT(blurred[row + 19], 0.8f);
  EXPECT_GT(blurred[row + 20], 0.2f);
}

TEST(GuidedFilter, RadiusBelowOneOrMismatchedSizesReturnTheInput) {
  const std::vector<float> guide(12, 0.5f), input = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  EXPECT_EQ(GuidedFilter(guide, input, 4, 3, 0, 1e-2), input);
  EXPECT_EQ(GuidedFilter(std::vector<float>(11, 0.5f), input, 4, 3, 2, 1e-2), input);
}

}  // namespace
}  // namespace anomalens
