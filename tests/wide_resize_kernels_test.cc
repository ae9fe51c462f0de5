// The native default's AVX-512 resize kernels
// (native/engine/wide_resize_kernels.h) against the core's loops: the same
// floats across RGBA rows, the same bytes down, so the decoder's streamed
// resize keeps the portable engine's working-image bytes.
#include "native/engine/wide_resize_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/image/image_resize.h"
#include "core/image/weighted_row_sum.h"

namespace anomalens {
namespace {

// Sets both kernels, and restores the core's loops when a test ends.
struct KernelScope {
  KernelScope() {
    SetRgbaRowResampleKernel(WideRgbaResampleForThisCpu());
    SetRowSumToBytesKernel(WideRowSumToBytesForThisCpu());
  }
  ~KernelScope() {
    SetRgbaRowResampleKernel(nullptr);
    SetRowSumToBytesKernel(nullptr);
  }
};

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Source and output widths: shrinking by 1 - 16x (2 - 33 taps; past 15
// pixels between neighbours' first taps the kernel goes one output at a
// time), growing (2 taps), odd widths (the last outputs one at a time, the
// last taps past the row's end), and the cookies' 576 -> 224.
TEST(WideResizeKernelsAgreement, SameFloatsAsTheCoreLoop) {
  if (WideRgbaResampleForThisCpu() == nullptr) GTEST_SKIP() << "no AVX-512 VBMI on this CPU (or turned off)";
  std::mt19937 rng(5);
  for (const int src_width : {1, 2, 3, 5, 16, 17, 63, 100, 576, 577, 1001}) {
    for (const int width : {1, 2, 3, 4, 5, 7, 13, 61, 100, 224, 225, 299}) {
      for (int kind = 0; kind < 3; ++kind) {  // random bytes, only 0 and 255, flat 255
        std::vector<uint8_t> row(static_cast<size_t>(src_width) * 4);
        for (uint8_t& b : row) b = kind == 0 ? static_cast<uint8_t>(rng()) : kind == 1 ? (rng() & 1 ? 255 : 0) : 255;
        const std::vector<float> core = ResampleRgbaRowAcross(row.data(), src_width, width);
        KernelScope wide;
        ASSERT_NE(PlatformRgbaRowResample(), nullptr);
        const std::vector<float> got = ResampleRgbaRowAcross(row.data(), src_width, width);
        EXPECT_TRUE(SameBits(got, core)) << src_width << " -> " << width << ", kind " << kind;
      }
    }
  }
}

// The kernel inside RowByRowResize: ResizeImage's bytes on RGBA rows whose
// fourth byte is noise, in the row buffer alone (nothing readable past it,
// as a decoder's row), at the cookies' size and at odd ones.
TEST(WideResizeKernelsAgreement, StreamedResizeKeepsItsBytes) {
  if (WideRgbaResampleForThisCpu() == nullptr) GTEST_SKIP() << "no AVX-512 VBMI on this CPU (or turned off)";
  const int kCases[][4] = {{576, 768, 224, 298}, {577, 771, 223, 299}, {97, 61, 40, 83}, {31, 7, 97, 5}};
  std::mt19937 rng(9);
  for (const auto& c : kCases) {
    RgbImage image;
    image.width = c[0];
    image.height = c[1];
    image.pixels.resize(static_cast<size_t>(c[0]) * c[1] * 3);
    for (uint8_t& p : image.pixels) p = static_cast<uint8_t>(rng());
    const RgbImage expected = ResizeImage(image, c[2], c[3]);
    KernelScope wide;
    RowByRowResize resize(c[0], c[1], c[2], c[3]);
    for (int y = 0; y < c[1]; ++y) {
      std::vector<uint8_t> row(static_cast<size_t>(c[0]) * 4);
      for (int x = 0; x < c[0]; ++x) {
        for (int ch = 0; ch < 3; ++ch) row[static_cast<size_t>(x) * 4 + ch] = image.at(x, y)[ch];
        row[static_cast<size_t>(x) * 4 + 3] = static_cast<uint8_t>(rng());
      }
      resize.AddRow(row.data(), 4);
    }
    ASSERT_TRUE(resize.complete());
    EXPECT_EQ(resize.Take().pixels, expected.pixels) << c[0] << "x" << c[1] << " -> " << c[2] << "x" << c[3];
  }
}

// The rounding RowSumToBytesKernel promises (the core's RoundToBytes).
uint8_t RoundedByte(float v) {
  v = v > 0.0f ? v : 0.0f;
  v = v < 255.0f ? v : 255.0f;
  return static_cast<uint8_t>(static_cast<int>(v + 0.5f));
}

// The sum down and its rounding in one: the core's WeightedRowSum, rounded,
// on sums below 0, past 255, at and beside halves, and NaN, for widths
// around the kernel's steps of 64 and 16 and tap counts 1 - 9 and 33.
TEST(WideResizeKernelsAgreement, RowSumToBytesIsTheCoreSumRounded) {
  if (WideRowSumToBytesForThisCpu() == nullptr) GTEST_SKIP() << "no AVX-512 VBMI on this CPU (or turned off)";
  std::mt19937 rng(13);
  std::uniform_real_distribution<float> value(-20.0f, 280.0f);
  std::uniform_real_distribution<float> weight(-0.2f, 0.7f);
  for (const int taps : {1, 2, 3, 5, 6, 7, 9, 33}) {
    for (const size_t width : {size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{63}, size_t{64}, size_t{65},
                               size_t{100}, size_t{672}, size_t{675}}) {
      std::vector<float> weights(taps);
      for (float& w : weights) w = weight(rng);
      if (taps == 1) weights[0] = 1.0f;  // the rows' values themselves: halves and edges exactly
      std::vector<std::vector<float>> lines(taps, std::vector<float>(width));
      for (auto& line : lines) {
        for (size_t x = 0; x < line.size(); ++x) {
          const float special[] = {-0.0f, 0.0f, 0.49999997f, 0.5f, 1.5f, 254.49998f, 254.5f, 255.0f, 255.5f, 1e9f};
          line[x] = x % 7 == 3 ? special[(x / 7) % 10] : value(rng);
        }
      }
      if (width > 20) lines[0][20] = std::nanf("");
      std::vector<const float*> rows(taps);
      for (int k = 0; k < taps; ++k) rows[k] = lines[k].data();
      std::vector<float> sums(width);
      WeightedRowSum(weights.data(), taps, [&](int k) { return rows[k]; }, width, sums.data());  // the core's
      std::vector<uint8_t> want(width), got(width, 7);
      for (size_t x = 0; x < width; ++x) want[x] = RoundedByte(sums[x]);
      WideRowSumToBytes(weights.data(), taps, rows.data(), width, got.data());
      EXPECT_EQ(got, want) << taps << " taps, width " << width;
    }
  }
}

}  // namespace
}  // namespace anomalens
