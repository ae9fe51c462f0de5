// The native default's AVX-512 WeightedRowSum (native/engine/wide_row_sum.h)
// against the core's loop: the same floats, so the blurs (and any resize
// long enough to take it) of the native default keep the portable engine's
// bytes.
#include "native/engine/wide_row_sum.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "core/image/gaussian_blur.h"
#include "core/image/image_resize.h"

namespace anomalens {
namespace {

bool CpuHasAvx512() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

// Restores the core's loop when a test ends.
struct KernelScope {
  explicit KernelScope(WeightedRowSumKernel k) { SetWeightedRowSumKernel(k); }
  ~KernelScope() { SetWeightedRowSumKernel(nullptr); }
};

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(WideRowSumAgreement, SameFloatsAsTheCoreLoop) {
  if (!CpuHasAvx512()) GTEST_SKIP() << "no AVX-512F on this CPU";
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-3.0f, 10.0f);
  for (const int taps : {1, 2, 5, 33, 64}) {
    for (const size_t width : {size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{63}, size_t{64}, size_t{100},
                               size_t{384}, size_t{577}}) {
      std::vector<float> weights(taps);
      for (float& w : weights) w = u(rng) / 7;
      std::vector<std::vector<float>> lines(taps, std::vector<float>(width));
      for (auto& line : lines)
        for (float& v : line) v = u(rng);
      std::vector<const float*> rows(taps);
      for (int k = 0; k < taps; ++k) rows[k] = lines[k].data();
      std::vector<float> want(width), got(width, -1.0f);
      WeightedRowSum(weights.data(), taps, [&](int k) { return rows[k]; }, width, want.data());  // the core's
      WideRowSum(weights.data(), taps, rows.data(), width, got.data());
      EXPECT_TRUE(SameBits(got, want)) << taps << " taps, width " << width;
    }
  }
}

TEST(WideRowSumAgreement, BlurAndResizeKeepTheirBytes) {
  if (!CpuHasAvx512()) GTEST_SKIP() << "no AVX-512F on this CPU";
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> plane(static_cast<size_t>(288) * 384);
  for (float& v : plane) v = u(rng);
  RgbImage image;
  image.width = 577;
  image.height = 771;
  image.pixels.resize(static_cast<size_t>(image.width) * image.height * 3);
  for (uint8_t& p : image.pixels) p = static_cast<uint8_t>(rng() & 255);
  std::vector<float> blurred_core = plane;
  GaussianBlur(blurred_core, 288, 384, 4.0f);
  // 577 -> 61 across and 771 -> 70 down: filters of more than 8 taps, so the
  // resize's vertical pass takes the kernel as well.
  const RgbImage resized_core = ResizeImage(image, 61, 70);
  KernelScope wide(WideRowSumForThisCpu());
  ASSERT_NE(PlatformWeightedRowSum(), nullptr);
  std::vector<float> blurred_wide = plane;
  GaussianBlur(blurred_wide, 288, 384, 4.0f);
  EXPECT_TRUE(SameBits(blurred_wide, blurred_core));
  EXPECT_EQ(ResizeImage(image, 61, 70).pixels, resized_core.pixels);
}

}  // namespace
}  // namespace anomalens
