#include "native/engine/wide_row_sum.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <cstdlib>
#include <cstring>

namespace anomalens {

#if defined(__x86_64__)

// 64 outputs a step in four accumulators held over every tap, then 16, then
// the last up to 15 under a mask (masked-off lanes load nothing).
__attribute__((target("avx512f"))) void WideRowSum(const float* weights, int taps, const float* const* rows,
                                                    size_t width, float* out) {
  size_t x0 = 0;
  for (; x0 + 64 <= width; x0 += 64) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int k = 0; k < taps; ++k) {
      const __m512 w = _mm512_set1_ps(weights[k]);
      const float* src = rows[k] + x0;
      a0 = _mm512_add_ps(a0, _mm512_mul_ps(w, _mm512_loadu_ps(src)));
      a1 = _mm512_add_ps(a1, _mm512_mul_ps(w, _mm512_loadu_ps(src + 16)));
      a2 = _mm512_add_ps(a2, _mm512_mul_ps(w, _mm512_loadu_ps(src + 32)));
      a3 = _mm512_add_ps(a3, _mm512_mul_ps(w, _mm512_loadu_ps(src + 48)));
    }
    _mm512_storeu_ps(out + x0, a0);
    _mm512_storeu_ps(out + x0 + 16, a1);
    _mm512_storeu_ps(out + x0 + 32, a2);
    _mm512_storeu_ps(out + x0 + 48, a3);
  }
  for (; x0 < width; x0 += 16) {
    const size_t left = width - x0;
    const __mmask16 mask = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
    __m512 a = _mm512_setzero_ps();
    for (int k = 0; k < taps; ++k) {
      a = _mm512_add_ps(a, _mm512_mul_ps(_mm512_set1_ps(weights[k]), _mm512_maskz_loadu_ps(mask, rows[k] + x0)));
    }
    _mm512_mask_storeu_ps(out + x0, mask, a);
  }
}

// ANOMALENS_ROW_SUM=core keeps the core's loop (for comparisons in one binary).
WeightedRowSumKernel WideRowSumForThisCpu() {
  const char* which = std::getenv("ANOMALENS_ROW_SUM");
  if (which && std::strcmp(which, "core") == 0) return nullptr;
  return __builtin_cpu_supports("avx512f") ? &WideRowSum : nullptr;
}

#else

void WideRowSum(const float*, int, const float* const*, size_t, float*) {}
WeightedRowSumKernel WideRowSumForThisCpu() { return nullptr; }

#endif

}  // namespace anomalens
