// IdctPair: stb_image's SSE2 IDCT (stbi__idct_simd) of two blocks at once,
// in AVX2's two 128-bit lanes, for two horizontally adjacent blocks of a
// plane. Every instruction of stb's works within a 128-bit lane (16-bit
// multiply-adds, 32-bit shifts, saturating packs, interleaves), so each lane
// computes exactly what stb computes for its block: the same bytes, as
// stb's SIMD IDCT gives the same bytes as its scalar one (which the core and
// wasm run). On the cookie JPEGs the IDCT was ~2% of a segmentation detect.
#ifndef ANOMALENS_NATIVE_ENGINE_IDCT_PAIR_H_
#define ANOMALENS_NATIVE_ENGINE_IDCT_PAIR_H_

#include <cstdint>

namespace anomalens {

// Whether this CPU runs IdctPair (x86-64 with AVX2).
bool HasIdctPair();

// The IDCTs of `left` and `right` (64 dequantized coefficients each, natural
// order, 16-byte aligned not required), written as 8 rows of 16 bytes:
// `left`'s 8x8 samples at out, `right`'s at out + 8, rows `stride` apart.
// Only where HasIdctPair().
void IdctPair(uint8_t* out, int stride, const int16_t* left, const int16_t* right);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_IDCT_PAIR_H_
