// IdctPair (native/engine/idct_pair.h), stb's IDCT two blocks at a time in
// AVX2, against stb's SSE2 IDCT (the native decoder's until now): the same
// bytes for every pair of blocks, random coefficients over the whole 16-bit
// range included (the lanes wrap and saturate as stb's do); and against
// stb's scalar IDCT (the core's and wasm's) on blocks of moderate values,
// where stb's two agree (on dense blocks of large values its SSE2 IDCT's
// 16-bit intermediate saturates where the scalar one does not).
#include "native/engine/idct_pair.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

// stb's scalar and SSE2 IDCTs, private to this test.
#include "native/engine/stb_jpeg_private_copy.h"

namespace anomalens {
namespace {

// A block as a decoder could hand it over: `kind` 0 any 16-bit values, 1
// large dequantized ones, 2 low frequencies only, 3 sparse.
void RandomBlock(std::mt19937& rng, int kind, short* block) {
  for (int i = 0; i < 64; ++i) {
    int v = 0;
    switch (kind) {
      case 0: v = static_cast<int>(rng() % 65536) - 32768; break;
      case 1: v = static_cast<int>(rng() % 4096) - 2048; break;
      case 2: v = i < 10 ? static_cast<int>(rng() % 1024) - 512 : 0; break;
      default: v = rng() % 6 == 0 ? static_cast<int>(rng() % 400) - 200 : 0; break;
    }
    block[i] = static_cast<short>(v);
  }
}

TEST(IdctPair, SameBytesAsStbsIdcts) {
#if !defined(STBI_SSE2)
  GTEST_SKIP() << "stb without SSE2";
#else
  if (!HasIdctPair()) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(20);
  constexpr int kStride = 40;  // a plane wider than the pair, which writes bytes 3 .. 18 of each row
  for (int t = 0; t < 200000; ++t) {
    alignas(16) short left[64], right[64];
    RandomBlock(rng, t % 4, left);
    RandomBlock(rng, (t / 4) % 4, right);
    unsigned char scalar[8 * kStride], simd[8 * kStride], paired[8 * kStride];
    std::memset(scalar, 0x5A, sizeof scalar);
    std::memcpy(simd, scalar, sizeof simd);
    std::memcpy(paired, scalar, sizeof paired);
    alignas(16) short copy[64];
    std::memcpy(copy, left, sizeof copy);
    stbi__idct_block(scalar + 3, kStride, copy);
    std::memcpy(copy, right, sizeof copy);
    stbi__idct_block(scalar + 11, kStride, copy);
    std::memcpy(copy, left, sizeof copy);
    stbi__idct_simd(simd + 3, kStride, copy);
    std::memcpy(copy, right, sizeof copy);
    stbi__idct_simd(simd + 11, kStride, copy);
    IdctPair(paired + 3, kStride, left, right);
    ASSERT_EQ(0, std::memcmp(paired, simd, sizeof simd)) << "pair " << t;
    const bool dequantized_range = t % 4 >= 2 && (t / 4) % 4 >= 2;
    if (dequantized_range) ASSERT_EQ(0, std::memcmp(paired, scalar, sizeof scalar)) << "pair " << t;
  }
#endif
}

}  // namespace
}  // namespace anomalens
