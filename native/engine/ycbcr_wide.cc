#include "native/engine/ycbcr_wide.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace anomalens {

#if defined(__x86_64__)

bool HasYCbCrWide() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"); }

__attribute__((target("avx512f,avx512bw"))) int YCbCrToRgbaWide(uint8_t* out, const uint8_t* y, const uint8_t* cb,
                                                                 const uint8_t* cr, int count) {
  // stb's constants.
  const __m512i cr_const0 = _mm512_set1_epi16(static_cast<short>(1.40200f * 4096.0f + 0.5f));
  const __m512i cr_const1 = _mm512_set1_epi16(-static_cast<short>(0.71414f * 4096.0f + 0.5f));
  const __m512i cb_const0 = _mm512_set1_epi16(-static_cast<short>(0.34414f * 4096.0f + 0.5f));
  const __m512i cb_const1 = _mm512_set1_epi16(static_cast<short>(1.77200f * 4096.0f + 0.5f));
  const __m512i y_bias = _mm512_set1_epi16(128);
  const __m512i signflip = _mm512_set1_epi16(0x80);  // stb flips the byte's sign bit: c - 128 as a signed byte
  const __m512i xw = _mm512_set1_epi16(255);  // alpha
  // Lane j's first 4 pixels are qwords 2j, 2j + 1 of o0, its last 4 the
  // same of o1: pixels 0 - 15 from lanes 0 and 1, 16 - 31 from 2 and 3.
  const __m512i first_half = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
  const __m512i second_half = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
  int i = 0;
  for (; i + 32 <= count; i += 32) {
    // stb: unpacklo_epi8(y_bias, y) = (y << 8) | 128, and unpacklo_epi8(0,
    // c ^ 0x80) = (c ^ 0x80) << 8, a word a pixel, 8 pixels a lane.
    const __m512i yw = _mm512_or_si512(
        _mm512_slli_epi16(_mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(y + i))), 8),
        y_bias);
    const __m512i crw = _mm512_slli_epi16(
        _mm512_xor_si512(_mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(cr + i))),
                         signflip),
        8);
    const __m512i cbw = _mm512_slli_epi16(
        _mm512_xor_si512(_mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(cb + i))),
                         signflip),
        8);
    // stb's colour transform and descale.
    const __m512i yws = _mm512_srli_epi16(yw, 4);
    const __m512i cr0 = _mm512_mulhi_epi16(cr_const0, crw);
    const __m512i cb0 = _mm512_mulhi_epi16(cb_const0, cbw);
    const __m512i cb1 = _mm512_mulhi_epi16(cbw, cb_const1);
    const __m512i cr1 = _mm512_mulhi_epi16(crw, cr_const1);
    const __m512i rws = _mm512_add_epi16(cr0, yws);
    const __m512i gwt = _mm512_add_epi16(cb0, yws);
    const __m512i bws = _mm512_add_epi16(yws, cb1);
    const __m512i gws = _mm512_add_epi16(gwt, cr1);
    const __m512i rw = _mm512_srai_epi16(rws, 4);
    const __m512i bw = _mm512_srai_epi16(bws, 4);
    const __m512i gw = _mm512_srai_epi16(gws, 4);
    // stb's packs and interleaves, per lane.
    const __m512i brb = _mm512_packus_epi16(rw, bw);
    const __m512i gxb = _mm512_packus_epi16(gw, xw);
    const __m512i t0 = _mm512_unpacklo_epi8(brb, gxb);
    const __m512i t1 = _mm512_unpackhi_epi8(brb, gxb);
    const __m512i o0 = _mm512_unpacklo_epi16(t0, t1);
    const __m512i o1 = _mm512_unpackhi_epi16(t0, t1);
    _mm512_storeu_si512(out + static_cast<size_t>(i) * 4, _mm512_permutex2var_epi64(o0, first_half, o1));
    _mm512_storeu_si512(out + static_cast<size_t>(i) * 4 + 64, _mm512_permutex2var_epi64(o0, second_half, o1));
  }
  return i;
}

#else

bool HasYCbCrWide() { return false; }
int YCbCrToRgbaWide(uint8_t*, const uint8_t*, const uint8_t*, const uint8_t*, int) { return 0; }

#endif

}  // namespace anomalens
