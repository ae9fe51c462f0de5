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

// `row(k)` gives tap k's input line (at least `width` floats).
template <typename Row>
void WeightedRowSum(const float* weights, int taps, Row row, size_t width, float* out) {
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
