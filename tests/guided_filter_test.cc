// GuidedFilter against a direct implementation of He et al.'s equations
// (each window's sums taken pixel by pixel), and the properties the
// segmentation map relies on: a flat guide smooths, a guide's edge is kept.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "core/image/gaussian_blur.h"
#include "core/image/guided_filter.h"
#include "thread_splits.h"

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

// The prefix-sum order that fixes GuidedFilter's bytes, written plainly:
// each row's running sum from its left end (0 first), each column's from the
// top (0 first), in double. The golden masks were made with this order.
std::vector<double> PrefixSumBoxMean(const std::vector<double>& plane, int width, int height, int radius) {
  std::vector<double> horizontal(plane.size()), prefix(width + 1);
  for (int y = 0; y < height; ++y) {
    prefix[0] = 0;
    for (int x = 0; x < width; ++x) prefix[x + 1] = prefix[x] + plane[y * width + x];
    for (int x = 0; x < width; ++x) {
      const int lo = std::max(0, x - radius), hi = std::min(width - 1, x + radius);
      horizontal[y * width + x] = (prefix[hi + 1] - prefix[lo]) / (hi - lo + 1);
    }
  }
  std::vector<double> column((height + 1) * width, 0.0), out(plane.size());
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) column[(y + 1) * width + x] = column[y * width + x] + horizontal[y * width + x];
  for (int y = 0; y < height; ++y) {
    const int lo = std::max(0, y - radius), hi = std::min(height - 1, y + radius);
    const double count = hi - lo + 1;
    for (int x = 0; x < width; ++x) out[y * width + x] = (column[(hi + 1) * width + x] - column[lo * width + x]) / count;
  }
  return out;
}

std::vector<float> PrefixSumGuidedFilter(const std::vector<float>& guide, const std::vector<float>& input, int width,
                                         int height, int r, double eps) {
  const size_t n = guide.size();
  std::vector<double> i(n), p(n), ip(n), ii(n);
  for (size_t k = 0; k < n; ++k) i[k] = guide[k], p[k] = input[k], ip[k] = i[k] * p[k], ii[k] = i[k] * i[k];
  const std::vector<double> mi = PrefixSumBoxMean(i, width, height, r), mp = PrefixSumBoxMean(p, width, height, r),
                            mip = PrefixSumBoxMean(ip, width, height, r), mii = PrefixSumBoxMean(ii, width, height, r);
  std::vector<double> a(n), b(n);
  for (size_t k = 0; k < n; ++k) {
    const double variance = std::max(0.0, mii[k] - mi[k] * mi[k]);
    a[k] = (mip[k] - mi[k] * mp[k]) / (variance + eps);
    b[k] = mp[k] - a[k] * mi[k];
  }
  const std::vector<double> ma = PrefixSumBoxMean(a, width, height, r), mb = PrefixSumBoxMean(b, width, height, r);
  std::vector<float> out(n);
  for (size_t k = 0; k < n; ++k) out[k] = static_cast<float>(ma[k] * i[k] + mb[k]);
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

TEST(GuidedFilter, SameBytesAsThePrefixSumOrderOnAnyThreadSplit) {
  // Uneven ranges run last to first, as a pool's threads might.
  const ParallelFor split = RangesLastToFirst(3);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f), signed_value(-3.0f, 5.0f);
  for (const auto& [width, height, radius] :
       {std::tuple{23, 17, 3}, std::tuple{71, 40, 8}, std::tuple{5, 90, 64}, std::tuple{1, 1, 2}, std::tuple{33, 2, 1}}) {
    std::vector<float> guide(width * height), input(width * height);
    for (float& v : guide) v = unit(rng);
    for (float& v : input) v = signed_value(rng);
    input[0] = 0.0f;
    const std::vector<float> want = PrefixSumGuidedFilter(guide, input, width, height, radius, 3e-3);
    for (const ParallelFor& parallel : {ParallelFor{}, split}) {
      const std::vector<float> got = GuidedFilter(guide, input, width, height, radius, 3e-3, parallel);
      ASSERT_EQ(got.size(), want.size());
      EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float))) << width << "x" << height;
    }
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
