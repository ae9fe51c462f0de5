#include "native/engine/idct_pair.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace anomalens {

#if defined(__x86_64__)

bool HasIdctPair() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

namespace {

// stb's fixed-point constants (stbi__f2f), 12 fractional bits.
constexpr int F2f(double x) { return static_cast<int>(x * 4096 + 0.5); }

// stb's dct_const(x, y): x in the even 16-bit elements, y in the odd, as
// _mm_setr_epi16 truncates them.
__attribute__((target("avx2"))) inline __m256i Const(int x, int y) {
  const uint32_t packed = static_cast<uint32_t>(static_cast<uint16_t>(x)) |
                          (static_cast<uint32_t>(static_cast<uint16_t>(y)) << 16);
  return _mm256_set1_epi32(static_cast<int>(packed));
}

// Row r of `left` in the low lane, of `right` in the high.
__attribute__((target("avx2"), always_inline)) inline __m256i LoadRows(const int16_t* left, const int16_t* right,
                                                                         int r) {
  return _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(left + r * 8))),
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(right + r * 8)), 1);
}

// Two rows of both blocks, lanes [left's row, left's next | right's row,
// right's next], as [left's row, right's row] and [left's next, right's
// next]: 16 bytes at out, 16 at out + stride.
__attribute__((target("avx2"), always_inline)) inline void StoreRows(__m256i p, uint8_t* out, int stride) {
  const __m256i rows = _mm256_permute4x64_epi64(p, 0xD8);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(rows));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + stride), _mm256_extracti128_si256(rows, 1));
}

}  // namespace

// stbi__idct_simd with __m128i widened to __m256i: the macros below are
// stb's, instruction for instruction (stb_image.h v2.x, STBI_SSE2).
__attribute__((target("avx2"))) void IdctPair(uint8_t* out, int stride, const int16_t* left,
                                               const int16_t* right) {
  __m256i row0, row1, row2, row3, row4, row5, row6, row7;
  __m256i tmp;

#define dct_rot(out0, out1, x, y, c0, c1)              \
  __m256i c0##lo = _mm256_unpacklo_epi16((x), (y));    \
  __m256i c0##hi = _mm256_unpackhi_epi16((x), (y));    \
  __m256i out0##_l = _mm256_madd_epi16(c0##lo, c0);    \
  __m256i out0##_h = _mm256_madd_epi16(c0##hi, c0);    \
  __m256i out1##_l = _mm256_madd_epi16(c0##lo, c1);    \
  __m256i out1##_h = _mm256_madd_epi16(c0##hi, c1)

#define dct_widen(out, in)                                                                   \
  __m256i out##_l = _mm256_srai_epi32(_mm256_unpacklo_epi16(_mm256_setzero_si256(), (in)), 4); \
  __m256i out##_h = _mm256_srai_epi32(_mm256_unpackhi_epi16(_mm256_setzero_si256(), (in)), 4)

#define dct_wadd(out, a, b)                         \
  __m256i out##_l = _mm256_add_epi32(a##_l, b##_l); \
  __m256i out##_h = _mm256_add_epi32(a##_h, b##_h)

#define dct_wsub(out, a, b)                         \
  __m256i out##_l = _mm256_sub_epi32(a##_l, b##_l); \
  __m256i out##_h = _mm256_sub_epi32(a##_h, b##_h)

#define dct_bfly32o(out0, out1, a, b, bias, s)                                            \
  {                                                                                       \
    __m256i abiased_l = _mm256_add_epi32(a##_l, bias);                                    \
    __m256i abiased_h = _mm256_add_epi32(a##_h, bias);                                    \
    dct_wadd(sum, abiased, b);                                                            \
    dct_wsub(dif, abiased, b);                                                            \
    out0 = _mm256_packs_epi32(_mm256_srai_epi32(sum_l, s), _mm256_srai_epi32(sum_h, s)); \
    out1 = _mm256_packs_epi32(_mm256_srai_epi32(dif_l, s), _mm256_srai_epi32(dif_h, s)); \
  }

#define dct_interleave8(a, b) \
  tmp = a;                    \
  a = _mm256_unpacklo_epi8(a, b); \
  b = _mm256_unpackhi_epi8(tmp, b)

#define dct_interleave16(a, b) \
  tmp = a;                     \
  a = _mm256_unpacklo_epi16(a, b); \
  b = _mm256_unpackhi_epi16(tmp, b)

#define dct_pass(bias, shift)                           \
  {                                                     \
    dct_rot(t2e, t3e, row2, row6, rot0_0, rot0_1);      \
    __m256i sum04 = _mm256_add_epi16(row0, row4);       \
    __m256i dif04 = _mm256_sub_epi16(row0, row4);       \
    dct_widen(t0e, sum04);                              \
    dct_widen(t1e, dif04);                              \
    dct_wadd(x0, t0e, t3e);                             \
    dct_wsub(x3, t0e, t3e);                             \
    dct_wadd(x1, t1e, t2e);                             \
    dct_wsub(x2, t1e, t2e);                             \
    dct_rot(y0o, y2o, row7, row3, rot2_0, rot2_1);      \
    dct_rot(y1o, y3o, row5, row1, rot3_0, rot3_1);      \
    __m256i sum17 = _mm256_add_epi16(row1, row7);       \
    __m256i sum35 = _mm256_add_epi16(row3, row5);       \
    dct_rot(y4o, y5o, sum17, sum35, rot1_0, rot1_1);    \
    dct_wadd(x4, y0o, y4o);                             \
    dct_wadd(x5, y1o, y5o);                             \
    dct_wadd(x6, y2o, y5o);                             \
    dct_wadd(x7, y3o, y4o);                             \
    dct_bfly32o(row0, row7, x0, x7, bias, shift);       \
    dct_bfly32o(row1, row6, x1, x6, bias, shift);       \
    dct_bfly32o(row2, row5, x2, x5, bias, shift);       \
    dct_bfly32o(row3, row4, x3, x4, bias, shift);       \
  }

  const __m256i rot0_0 = Const(F2f(0.5411961f), F2f(0.5411961f) + F2f(-1.847759065f));
  const __m256i rot0_1 = Const(F2f(0.5411961f) + F2f(0.765366865f), F2f(0.5411961f));
  const __m256i rot1_0 = Const(F2f(1.175875602f) + F2f(-0.899976223f), F2f(1.175875602f));
  const __m256i rot1_1 = Const(F2f(1.175875602f), F2f(1.175875602f) + F2f(-2.562915447f));
  const __m256i rot2_0 = Const(F2f(-1.961570560f) + F2f(0.298631336f), F2f(-1.961570560f));
  const __m256i rot2_1 = Const(F2f(-1.961570560f), F2f(-1.961570560f) + F2f(3.072711026f));
  const __m256i rot3_0 = Const(F2f(-0.390180644f) + F2f(2.053119869f), F2f(-0.390180644f));
  const __m256i rot3_1 = Const(F2f(-0.390180644f), F2f(-0.390180644f) + F2f(1.501321110f));
  const __m256i bias_0 = _mm256_set1_epi32(512);
  const __m256i bias_1 = _mm256_set1_epi32(65536 + (128 << 17));

  row0 = LoadRows(left, right, 0);
  row1 = LoadRows(left, right, 1);
  row2 = LoadRows(left, right, 2);
  row3 = LoadRows(left, right, 3);
  row4 = LoadRows(left, right, 4);
  row5 = LoadRows(left, right, 5);
  row6 = LoadRows(left, right, 6);
  row7 = LoadRows(left, right, 7);

  dct_pass(bias_0, 10);
  dct_interleave16(row0, row4);
  dct_interleave16(row1, row5);
  dct_interleave16(row2, row6);
  dct_interleave16(row3, row7);
  dct_interleave16(row0, row2);
  dct_interleave16(row1, row3);
  dct_interleave16(row4, row6);
  dct_interleave16(row5, row7);
  dct_interleave16(row0, row1);
  dct_interleave16(row2, row3);
  dct_interleave16(row4, row5);
  dct_interleave16(row6, row7);
  dct_pass(bias_1, 17);

  __m256i p0 = _mm256_packus_epi16(row0, row1);
  __m256i p1 = _mm256_packus_epi16(row2, row3);
  __m256i p2 = _mm256_packus_epi16(row4, row5);
  __m256i p3 = _mm256_packus_epi16(row6, row7);
  dct_interleave8(p0, p2);
  dct_interleave8(p1, p3);
  dct_interleave8(p0, p1);
  dct_interleave8(p2, p3);
  dct_interleave8(p0, p2);
  dct_interleave8(p1, p3);

  // Each lane holds its block's two rows of 8 bytes (p0: rows 0 and 1, p2: 2
  // and 3, p1: 4 and 5, p3: 6 and 7, stb's store order).
  StoreRows(p0, out, stride);
  StoreRows(p2, out + 2 * stride, stride);
  StoreRows(p1, out + 4 * stride, stride);
  StoreRows(p3, out + 6 * stride, stride);

#undef dct_rot
#undef dct_widen
#undef dct_wadd
#undef dct_wsub
#undef dct_bfly32o
#undef dct_interleave8
#undef dct_interleave16
#undef dct_pass
}

#else

bool HasIdctPair() { return false; }
void IdctPair(uint8_t*, int, const int16_t*, const int16_t*) {}

#endif

}  // namespace anomalens
