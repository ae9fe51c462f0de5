// YCbCrToRgbaWide (native/engine/ycbcr_wide.h), stb's SSE2 colour
// conversion 32 pixels at a time in AVX-512BW, against stb's SSE2
// conversion itself (the native decoder's until now): the same RGBA bytes
// for every pixel, random planes and the extremes of each channel, and the
// pixels past the last 32 left to the caller.
#include "native/engine/ycbcr_wide.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

// stb's SSE2 conversion, private to this test.
#include "native/engine/stb_jpeg_private_copy.h"

namespace anomalens {
namespace {

TEST(YCbCrWide, SameBytesAsStbsConversion) {
#if !defined(STBI_SSE2)
  GTEST_SKIP() << "stb without SSE2";
#else
  if (!HasYCbCrWide()) GTEST_SKIP() << "no AVX-512BW";
  std::mt19937 rng(17);
  for (const int count : {1, 31, 32, 33, 63, 64, 65, 200, 576, 577}) {
    for (int kind = 0; kind < 3; ++kind) {  // random bytes, only 0 and 255, every (Y, Cb, Cr) corner
      std::vector<uint8_t> y(count), cb(count), cr(count);
      for (int i = 0; i < count; ++i) {
        if (kind == 0) {
          y[i] = static_cast<uint8_t>(rng()), cb[i] = static_cast<uint8_t>(rng()), cr[i] = static_cast<uint8_t>(rng());
        } else if (kind == 1) {
          y[i] = rng() & 1 ? 255 : 0, cb[i] = rng() & 1 ? 255 : 0, cr[i] = rng() & 1 ? 255 : 0;
        } else {
          y[i] = static_cast<uint8_t>(i & 1 ? 255 : i % 5), cb[i] = static_cast<uint8_t>(i & 2 ? 255 : 128 + i % 3);
          cr[i] = static_cast<uint8_t>(i & 4 ? 0 : 255 - i % 7);
        }
      }
      std::vector<uint8_t> want(static_cast<size_t>(count) * 4), got(static_cast<size_t>(count) * 4, 7);
      stbi__YCbCr_to_RGB_simd(want.data(), y.data(), cb.data(), cr.data(), count, 4);
      const int done = YCbCrToRgbaWide(got.data(), y.data(), cb.data(), cr.data(), count);
      EXPECT_EQ(done, count / 32 * 32);
      for (size_t i = static_cast<size_t>(done) * 4; i < got.size(); ++i) EXPECT_EQ(got[i], 7) << "past the 32s";
      stbi__YCbCr_to_RGB_simd(got.data() + done * 4, y.data() + done, cb.data() + done, cr.data() + done,
                              count - done, 4);
      EXPECT_EQ(got, want) << count << " pixels, kind " << kind;
    }
  }
#endif
}

}  // namespace
}  // namespace anomalens
