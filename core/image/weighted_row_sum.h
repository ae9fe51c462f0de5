// WeightedRowSum: out[x] = the sum over k of weights[k] * row(k)[x], from 0
// and in ascending k, for a line of outputs: the inner loop of the separable
// filters (the Gaussian blur's passes, the resize's vertical pass). Sixteen
// outputs at a time sit in four-lane accumulators that stay in registers
// over every tap (core/base/simd.h: SSE on x86-64, SIMD128 in wasm, the same
// arithmetic a lane), the rest one at a time, so each output is the same
// float as the plain loop's.
#ifndef ANOMALENS_CORE_IMAGE_WEIGHTED_ROW_SUM_H_
#define ANOMALENS_CORE_IMAGE_WEIGHTED_ROW_SUM_H_

#include <cstddef>

#include "core/base/simd.h"

namespace anomalens {

// A platform's WeightedRowSum over `taps` input lines `rows[k]`: it must give
// every output the same float as the loop below (products, then sums from 0
// in ascending k; no fused multiply-add), only faster, e.g. in wider vectors
// than the four lanes every target has. It changes no result, only speed, so
// a platform sets it once at start-up, before any work starts and on one
// thread (native/engine: AVX-512 where the CPU has it), rather than passing
// it through every caller.
using WeightedRowSumKernel = void (*)(const float* weights, int taps, const float* const* rows, size_t width,
                                      float* out);
// nullptr (the default): the loop below.
void SetWeightedRowSumKernel(WeightedRowSumKernel kernel);
WeightedRowSumKernel PlatformWeightedRowSum();
// The filters a platform's kernel takes: from kMinPlatformTaps lines (the
// maps' Gaussian blurs, 33 taps at sigma 4, gain most; with the short
// resizes' 2 - 7 the decoder's row-by-row resize measured slower, its
// AVX-512 beside the Huffman decoding: docs/speed.md, issue 20's CPU
// section) to kMaxPlatformTaps. Others run the loop below.
constexpr int kMinPlatformTaps = 8;
constexpr int kMaxPlatformTaps = 64;

// `row(k)` gives tap k's input line (at least `width` floats).
template <typename Row>
void WeightedRowSum(const float* weights, int taps, Row row, size_t width, float* out) {
  if (const WeightedRowSumKernel kernel = PlatformWeightedRowSum(); kernel != nullptr && taps >= kMinPlatformTaps && taps <= kMaxPlatformTaps) {
    const float* rows[kMaxPlatformTaps];
    for (int k = 0; k < taps; ++k) rows[k] = row(k);
    kernel(weights, taps, rows, width, out);
    return;
  }
  size_t x0 = 0;
  for (; x0 + 16 <= width; x0 += 16) {
    f32x4 a0 = Splat4(0.0f), a1 = a0, a2 = a0, a3 = a0;
    for (int k = 0; k < taps; ++k) {
      const f32x4 w = Splat4(weights[k]);
      const float* src = row(k) + x0;
      a0 += w * Load4(src);
      a1 += w * Load4(src + 4);
      a2 += w * Load4(src + 8);
      a3 += w * Load4(src + 12);
    }
    Store4(out + x0, a0), Store4(out + x0 + 4, a1), Store4(out + x0 + 8, a2), Store4(out + x0 + 12, a3);
  }
  for (size_t x = x0; x < width; ++x) {
    float sum = 0;
    for (int k = 0; k < taps; ++k) sum += weights[k] * row(k)[x];
    out[x] = sum;
  }
}

}  // namespace anomalens

#endif  // ANOMALENS_CORE_IMAGE_WEIGHTED_ROW_SUM_H_
