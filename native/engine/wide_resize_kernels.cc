#include "native/engine/wide_resize_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace anomalens {

#if defined(__x86_64__)

namespace {

#define ANOMALENS_WIDE_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi")))

// One output pixel as the core's loop makes it: its four channels in four
// lanes, the taps in order from 0, a pixel past the row's end 0.
ANOMALENS_WIDE_TARGET void OnePixel(const uint8_t* row, int src_width, const RowTaps& taps, int x, float* out) {
  const float* weights = taps.weights + static_cast<size_t>(x) * taps.stride;
  __m128 sum = _mm_setzero_ps();
  for (int k = 0; k < taps.taps; ++k) {
    const int source = taps.first[x] + k;
    __m128 sample = _mm_setzero_ps();
    if (source < src_width) {
      int32_t pixel;
      std::memcpy(&pixel, row + static_cast<size_t>(source) * 4, sizeof pixel);
      sample = _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(pixel)));
    }
    sum = _mm_add_ps(sum, _mm_mul_ps(_mm_set1_ps(weights[k]), sample));
  }
  alignas(16) float lanes[4];
  _mm_store_ps(lanes, sum);
  out[static_cast<size_t>(x) * 3] = lanes[0];
  out[static_cast<size_t>(x) * 3 + 1] = lanes[1];
  out[static_cast<size_t>(x) * 3 + 2] = lanes[2];
}

// The first `count` of 64 lanes (count may be <= 0 or >= 64).
inline uint64_t FirstLanes64(int count) {
  return count >= 64 ? ~uint64_t{0} : count <= 0 ? 0 : (uint64_t{1} << count) - 1;
}
inline __mmask16 FirstLanes16(int count) {
  return static_cast<__mmask16>(count >= 16 ? 0xFFFF : count <= 0 ? 0 : (1u << count) - 1);
}

// Four outputs from x (RowTaps::by_fours' group x / 4) whose taps all lie
// in the 16 pixels from `base`: lane c * 4 + i of the vector is channel c
// of output x + i (channel-major, so a tap's four weights, repeated four
// times, are one broadcast load). `pixel_bytes` holds, for lane c * 4 + i,
// 4 x (output i's first tap - base) + c: tap k's byte is at that index in
// the 64 bytes loaded from pixel base + k. `whole`: those 64 bytes are all
// in the row for every tap (else the loads stop at its end, 0 past it).
template <bool kWhole>
ANOMALENS_WIDE_TARGET inline __m512 FourPixels(const uint8_t* row, int src_width, int base, __m512i pixel_bytes,
                                                    const float* by_fours, int count) {
  const __mmask64 first_bytes = 0x1111111111111111ull;  // each 32-bit lane takes its first byte; the rest are zeroed
  __m512 sum = _mm512_setzero_ps();
  for (int k = 0; k < count; ++k) {
    const uint8_t* from = row + static_cast<size_t>(base + k) * 4;
    const __m512i pixels =
        kWhole ? _mm512_loadu_si512(from) : _mm512_maskz_loadu_epi8(FirstLanes64((src_width - base - k) * 4), from);
    const __m512 samples = _mm512_cvtepi32_ps(_mm512_maskz_permutexvar_epi8(first_bytes, pixel_bytes, pixels));
    const __m512 weights = _mm512_broadcast_f32x4(_mm_loadu_ps(by_fours + k * 4));
    sum = _mm512_add_ps(sum, _mm512_mul_ps(weights, samples));
  }
  return sum;
}

}  // namespace

ANOMALENS_WIDE_TARGET void WideRgbaResample(const uint8_t* row, int src_width, const RowTaps& taps, int width,
                                                 float* out) {
  const int count = taps.taps;
  int x = 0;
  if (count >= 1) {
    // Lane c * 4 + i: output i, channel c.
    const __m512i output = _mm512_set_epi32(3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0);
    const __m512i channel = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    // Output-major R, G, B of the four outputs (the fourth channel dropped).
    const __m512i rgb = _mm512_set_epi32(15, 15, 15, 15, 11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0);
    for (; x + 4 <= width; x += 4) {
      const int base = taps.first[x];
      const __m128i offsets =
          _mm_sub_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(taps.first + x)), _mm_set1_epi32(base));
      // Every output's first tap within 15 pixels after the first's (the
      // first taps are in order along a row, but this checks rather than
      // assumes).
      const __m128i too_far = _mm_cmpgt_epi32(offsets, _mm_set1_epi32(15));
      if (_mm_movemask_ps(_mm_castsi128_ps(_mm_or_si128(offsets, too_far))) != 0) {
        for (int i = 0; i < 4; ++i) OnePixel(row, src_width, taps, x + i, out);
        continue;
      }
      const __m512i pixel_bytes = _mm512_add_epi32(
          _mm512_permutexvar_epi32(output, _mm512_castsi128_si512(_mm_slli_epi32(offsets, 2))), channel);
      const float* by_fours = taps.by_fours + static_cast<size_t>(x / 4) * count * 4;
      const __m512 sum = base + count - 1 + 16 <= src_width
                             ? FourPixels<true>(row, src_width, base, pixel_bytes, by_fours, count)
                             : FourPixels<false>(row, src_width, base, pixel_bytes, by_fours, count);
      _mm512_mask_storeu_ps(out + static_cast<size_t>(x) * 3, 0x0FFF, _mm512_permutexvar_ps(rgb, sum));
    }
  }
  for (; x < width; ++x) OnePixel(row, src_width, taps, x, out);
}

namespace {

// The core's rounding of 16 sums to bytes: max(v, 0) and min(v, 255) are
// v > 0 ? v : 0 and v < 255 ? v : 255 (VMAXPS and VMINPS return the second
// operand unless the first wins, NaN included), + 0.5, truncated; each
// 32-bit lane's low byte is then the byte (VPMOVDB).
ANOMALENS_WIDE_TARGET inline __m128i RoundToBytes16(__m512 v) {
  const __m512 clamped = _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(255.0f));
  return _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(_mm512_add_ps(clamped, _mm512_set1_ps(0.5f))));
}

}  // namespace

ANOMALENS_WIDE_TARGET void WideRowSumToBytes(const float* weights, int taps, const float* const* rows, size_t width,
                                             uint8_t* out) {
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
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + x0), RoundToBytes16(a0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + x0 + 16), RoundToBytes16(a1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + x0 + 32), RoundToBytes16(a2));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + x0 + 48), RoundToBytes16(a3));
  }
  for (; x0 < width; x0 += 16) {  // the last up to 63, under a mask at the end
    const __mmask16 mask = FirstLanes16(static_cast<int>(width - x0 < 16 ? width - x0 : 16));
    __m512 a = _mm512_setzero_ps();
    for (int k = 0; k < taps; ++k) {
      a = _mm512_add_ps(a, _mm512_mul_ps(_mm512_set1_ps(weights[k]), _mm512_maskz_loadu_ps(mask, rows[k] + x0)));
    }
    _mm_mask_storeu_epi8(out + x0, mask, RoundToBytes16(a));
  }
}

namespace {

bool CpuHasWideKernels() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512vbmi");
}

// ANOMALENS_RESIZE_KERNELS=core keeps the core's loops (for comparisons in one binary).
bool KeepCoreLoops() {
  const char* which = std::getenv("ANOMALENS_RESIZE_KERNELS");
  return which && std::strcmp(which, "core") == 0;
}

}  // namespace

RgbaRowResampleKernel WideRgbaResampleForThisCpu() {
  return !KeepCoreLoops() && CpuHasWideKernels() ? &WideRgbaResample : nullptr;
}

RowSumToBytesKernel WideRowSumToBytesForThisCpu() {
  return !KeepCoreLoops() && CpuHasWideKernels() ? &WideRowSumToBytes : nullptr;
}

#else

void WideRgbaResample(const uint8_t*, int, const RowTaps&, int, float*) {}
RgbaRowResampleKernel WideRgbaResampleForThisCpu() { return nullptr; }
void WideRowSumToBytes(const float*, int, const float* const*, size_t, uint8_t*) {}
RowSumToBytesKernel WideRowSumToBytesForThisCpu() { return nullptr; }

#endif

}  // namespace anomalens
