#include "core/image/image_resize.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "core/base/simd.h"
#include "core/image/resize_kernels.h"
#include "core/image/weighted_row_sum.h"

namespace anomalens {
namespace {

// Which source samples, with which weights, make each output sample along
// one axis. Computed once per axis rather than once per pixel.
struct AxisWeights {
  int stride = 0;              // weights per output sample, padded to the widest
  int max_count = 0;           // the largest `count`: taps past it have weight 0 for every output
  std::vector<int> first;      // first source index, per output sample
  std::vector<int> count;      // number of source samples used, per output sample
  std::vector<float> weights;  // output-major, `stride` each, normalised to sum 1
};

// The triangle filter: 1 at the centre, 0 from one (scaled) pixel out.
double Triangle(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

// PIL's precompute_coeffs for its bilinear filter. When shrinking by `scale`
// the triangle is stretched by the same factor, so each output averages
// every source pixel it covers. Weights are computed in double and stored as
// float using only correctly rounded IEEE operations (and the exact ceil),
// so every platform gets the same table.
AxisWeights ComputeAxisWeights(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = scale > 1.0 ? scale : 1.0;
  const double support = 1.0 * filter_scale;  // the triangle's radius is 1
  const double inverse_filter_scale = 1.0 / filter_scale;

  AxisWeights axis;
  axis.stride = static_cast<int>(std::ceil(support)) * 2 + 1;
  axis.first.resize(out_size);
  axis.count.resize(out_size);
  axis.weights.assign(static_cast<size_t>(out_size) * axis.stride, 0.0f);
  std::vector<double> raw(axis.stride);
  for (int i = 0; i < out_size; ++i) {
    const double center = (i + 0.5) * scale;
    // Truncation, not floor, matches PIL; negative starts are clamped anyway.
    int lo = static_cast<int>(center - support + 0.5);
    if (lo < 0) lo = 0;
    int hi = static_cast<int>(center + support + 0.5);
    if (hi > in_size) hi = in_size;
    int n = hi - lo;
    if (n > axis.stride) n = axis.stride;
    double total = 0.0;
    for (int k = 0; k < n; ++k) {
      raw[k] = Triangle((lo + k - center + 0.5) * inverse_filter_scale);
      total += raw[k];
    }
    float* weights = &axis.weights[static_cast<size_t>(i) * axis.stride];
    for (int k = 0; k < n; ++k) {
      weights[k] = static_cast<float>(total != 0.0 ? raw[k] / total : 0.0);
    }
    axis.first[i] = lo;
    axis.count[i] = n;
    if (n > axis.max_count) axis.max_count = n;
  }
  return axis;
}

// One row of the horizontal pass on RGB: a pixel's three channels in one
// four-lane sum (the fourth lane is the next pixel's red, computed and
// dropped), four output pixels at a time so that their sums, each a chain of
// dependent adds, overlap. Each lane adds its channel's taps in order from
// 0.0f as the scalar loop does; every output runs `max_count` taps (not the
// padded `stride`: halving a width takes 4 of its 5, and the fifth, weight 0
// for every output, was a fifth of this loop), the ones past its `count`
// having weight 0, and adding 0 * (a finite sample >= 0) to a sum >= 0
// leaves it unchanged, so the floats are the plain loop's. `in`
// holds (first + stride) * kInStride + 1 readable floats for every output;
// its pixels are kInStride floats apart (3: RGB, 4: RGB and an ignored
// fourth, whose lane is dropped as well).
template <int kInStride = 3>
void ResampleRgbRow(const float* in, const AxisWeights& axis, int dst_width, float* out) {
  const int taps = axis.max_count;
  const int stride = axis.stride;
  int x = 0;
  for (; x + 4 <= dst_width; x += 4) {
    const float* w0 = &axis.weights[static_cast<size_t>(x) * stride];
    const float* w1 = w0 + stride;
    const float* w2 = w1 + stride;
    const float* w3 = w2 + stride;
    const float* t0 = in + static_cast<size_t>(axis.first[x]) * kInStride;
    const float* t1 = in + static_cast<size_t>(axis.first[x + 1]) * kInStride;
    const float* t2 = in + static_cast<size_t>(axis.first[x + 2]) * kInStride;
    const float* t3 = in + static_cast<size_t>(axis.first[x + 3]) * kInStride;
    f32x4 s0 = Splat4(0.0f), s1 = s0, s2 = s0, s3 = s0;
    for (int k = 0; k < taps; ++k) {
      s0 += Splat4(w0[k]) * Load4(t0 + k * kInStride);
      s1 += Splat4(w1[k]) * Load4(t1 + k * kInStride);
      s2 += Splat4(w2[k]) * Load4(t2 + k * kInStride);
      s3 += Splat4(w3[k]) * Load4(t3 + k * kInStride);
    }
    // Each store's fourth lane is overwritten by the next pixel's red.
    float* o = out + static_cast<size_t>(x) * 3;
    Store4(o, s0), Store4(o + 3, s1), Store4(o + 6, s2);
    o[9] = s3[0], o[10] = s3[1], o[11] = s3[2];
  }
  for (; x < dst_width; ++x) {
    const float* weights = &axis.weights[static_cast<size_t>(x) * stride];
    const float* tap = in + static_cast<size_t>(axis.first[x]) * kInStride;
    f32x4 sum = Splat4(0.0f);
    for (int k = 0; k < taps; ++k) sum += Splat4(weights[k]) * Load4(tap + k * kInStride);
    out[x * 3] = sum[0], out[x * 3 + 1] = sum[1], out[x * 3 + 2] = sum[2];
  }
}

// The weights of `axis` four outputs at a time (RowTaps::by_fours), for
// the width / 4 whole groups of `width` outputs.
std::vector<float> WeightsByFours(const AxisWeights& axis, int width) {
  const int groups = width / 4, taps = axis.max_count;
  std::vector<float> by_fours(static_cast<size_t>(groups) * taps * 4);
  for (int g = 0; g < groups; ++g) {
    for (int k = 0; k < taps; ++k) {
      for (int i = 0; i < 4; ++i) {
        by_fours[(static_cast<size_t>(g) * taps + k) * 4 + i] =
            axis.weights[static_cast<size_t>(4 * g + i) * axis.stride + k];
      }
    }
  }
  return by_fours;
}

// The horizontal pass on one RGBA row: the platform's kernel where one is
// set (the same floats; `by_fours` is WeightsByFours(axis, dst_width)), else
// the bytes converted into `converted` ((src_width + stride) * 4 + 1
// floats, zeros past the row's samples) and ResampleRgbRow's loop.
void ResampleRgbaRow(const uint8_t* row, int src_width, const AxisWeights& axis, const std::vector<float>& by_fours,
                     int dst_width, float* converted, float* out) {
  if (const RgbaRowResampleKernel kernel = PlatformRgbaRowResample(); kernel != nullptr) {
    kernel(row, src_width,
           RowTaps{axis.first.data(), axis.weights.data(), axis.stride, axis.max_count, by_fours.data()}, dst_width,
           out);
    return;
  }
  const size_t samples = static_cast<size_t>(src_width) * 4;
  for (size_t i = 0; i < samples; ++i) converted[i] = static_cast<float>(row[i]);
  ResampleRgbRow<4>(converted, axis, dst_width, out);
}

// Horizontal pass over `rows` rows of interleaved samples. Each output is
// summed in tap order from 0.0f, so results do not depend on vectorisation.
// Bytes are converted to float a row at a time first (each is exact), so a
// sample shared by neighbouring outputs' taps is converted once.
template <int kChannels, typename T>
void ResampleRows(const T* src, int src_width, int rows, const AxisWeights& axis, int dst_width, float* dst) {
  // The three-channel path reads every output's taps up to the padded
  // `stride` (see ResampleRgbRow), and loads a pixel as four lanes: the
  // converted row has that many zeros after it.
  std::vector<float> converted;
  if (!std::is_same<T, float>::value) {
    converted.assign((static_cast<size_t>(src_width) + axis.stride) * kChannels + 1, 0.0f);
  }
  const size_t row_samples = static_cast<size_t>(src_width) * kChannels;
  for (int y = 0; y < rows; ++y) {
    const T* row = src + static_cast<size_t>(y) * row_samples;
    const float* in;
    if constexpr (std::is_same<T, float>::value) {
      in = row;
    } else {
      for (size_t i = 0; i < row_samples; ++i) converted[i] = static_cast<float>(row[i]);
      in = converted.data();
    }
    float* out = dst + static_cast<size_t>(y) * dst_width * kChannels;
    if constexpr (kChannels == 3 && !std::is_same<T, float>::value) {
      ResampleRgbRow(in, axis, dst_width, out);
      continue;
    }
    int x = 0;
    if constexpr (kChannels == 1) {
      // A plane (a score map): four outputs' sums side by side in one
      // vector, each lane its own output's taps in order from 0.0f. Every
      // lane runs `max_count` taps, the ones past its `count` weight 0 on a
      // sample in the row (finite), which leaves its sum unchanged as in
      // ResampleRgbRow: the floats are the loop's below, without its
      // per-output count and its one chain of dependent adds.
      const int taps = axis.max_count;
      for (; x + 4 <= dst_width && axis.first[x + 3] + taps <= src_width; x += 4) {
        const float* w0 = &axis.weights[static_cast<size_t>(x) * axis.stride];
        const float* w1 = w0 + axis.stride;
        const float* w2 = w1 + axis.stride;
        const float* w3 = w2 + axis.stride;
        const float* t0 = in + axis.first[x];
        const float* t1 = in + axis.first[x + 1];
        const float* t2 = in + axis.first[x + 2];
        const float* t3 = in + axis.first[x + 3];
        f32x4 sum = Splat4(0.0f);
        for (int k = 0; k < taps; ++k) sum += f32x4{w0[k], w1[k], w2[k], w3[k]} * f32x4{t0[k], t1[k], t2[k], t3[k]};
        Store4(out + x, sum);
      }
    }
    for (; x < dst_width; ++x) {
      const float* weights = &axis.weights[static_cast<size_t>(x) * axis.stride];
      const float* tap = in + static_cast<size_t>(axis.first[x]) * kChannels;
      float sum[kChannels] = {};
      for (int k = 0; k < axis.count[x]; ++k) {
        for (int c = 0; c < kChannels; ++c) {
          sum[c] += weights[k] * tap[k * kChannels + c];
        }
      }
      for (int c = 0; c < kChannels; ++c) out[x * kChannels + c] = sum[c];
    }
  }
}

// Output rows [y0, y1) of the vertical pass, row y at dst + (y - y0) rows.
void ResampleColumnRange(const float* src, size_t row_length, const AxisWeights& axis, size_t y0, size_t y1,
                         float* dst) {
  for (size_t y = y0; y < y1; ++y) {
    const float* first = src + static_cast<size_t>(axis.first[y]) * row_length;
    WeightedRowSum(&axis.weights[y * axis.stride], axis.count[y], [&](int k) { return first + k * row_length; },
                   row_length, dst + (y - y0) * row_length);
  }
}

// Vertical pass: each output row is a weighted sum of whole source rows,
// which walks memory contiguously. Per element the order is the same as in
// ResampleRows: taps in order, starting from 0.0f.
void ResampleColumns(const float* src, size_t row_length, const AxisWeights& axis, int dst_height, float* dst,
                     const ParallelFor& parallel) {
  parallel(dst_height,
           [&](size_t y0, size_t y1) { ResampleColumnRange(src, row_length, axis, y0, y1, dst + y0 * row_length); });
}

// Each value rounded to the nearest byte, clamped to [0, 255] (NaN, which
// cannot occur, to 0). Clamping first and then adding 0.5 and truncating
// gives the same byte as testing each end: a value in [254.5, 255) rounds to
// 255 either way. Four lanes at a time: the branchy scalar form (a test, a
// jump and a conversion a byte) was two thirds of the decoder's streamed
// resize.
void RoundToBytes(const float* values, size_t count, uint8_t* out) {
  typedef uint8_t u8x16 __attribute__((vector_size(16)));
  typedef int16_t i16x8 __attribute__((vector_size(16)));
  const auto round = [values](size_t i) {
    const f32x4 clamped = Min4(Max4(Load4(values + i), Splat4(0.0f)), Splat4(255.0f));
    return TruncateToInt4(clamped + Splat4(0.5f));
  };
  size_t i = 0;
  // Sixteen at a time, the bytes gathered in one vector and stored whole
  // (a byte extracted and stored at a time was half of this loop).
  for (; i + 16 <= count; i += 16) {
    const i32x4 q0 = round(i), q1 = round(i + 4), q2 = round(i + 8), q3 = round(i + 12);
    const i16x8 low = __builtin_shufflevector(reinterpret_cast<i16x8>(q0), reinterpret_cast<i16x8>(q1), 0, 2, 4, 6, 8,
                                              10, 12, 14);
    const i16x8 high = __builtin_shufflevector(reinterpret_cast<i16x8>(q2), reinterpret_cast<i16x8>(q3), 0, 2, 4, 6,
                                               8, 10, 12, 14);
    const u8x16 bytes = __builtin_shufflevector(reinterpret_cast<u8x16>(low), reinterpret_cast<u8x16>(high), 0, 2, 4,
                                                6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    std::memcpy(out + i, &bytes, sizeof bytes);
  }
  for (; i + 4 <= count; i += 4) {
    const i32x4 q = round(i);
    out[i] = static_cast<uint8_t>(q[0]), out[i + 1] = static_cast<uint8_t>(q[1]);
    out[i + 2] = static_cast<uint8_t>(q[2]), out[i + 3] = static_cast<uint8_t>(q[3]);
  }
  for (; i < count; ++i) {
    float v = values[i] > 0.0f ? values[i] : 0.0f;
    v = v < 255.0f ? v : 255.0f;
    out[i] = static_cast<uint8_t>(static_cast<int>(v + 0.5f));
  }
}

// Halving a side exactly (576 -> 288: the cookies' working size, and any
// model at scale 0.5 on an even side): every output but the first and the
// last weighs source pixels 2i - 1 .. 2i + 2 by exactly 1/8, 3/8, 3/8 and
// 1/8. On bytes that float arithmetic is exact: the horizontal pass's sums
// are multiples of 1/8 up to 255 (11 significant bits), the vertical pass's
// multiples of 1/64 (14 bits), and adding 0.5 to one of those is exact too.
// So such an output's byte is (S + 32) >> 6 with S the integer sum
// weighted (1, 3, 3, 1) both ways, the float path's byte for every input,
// in 16-bit lanes (S <= 64 * 255). The outputs this holds for: [begin, end).
// (Every source pixel they read is inside the row: their four taps are.)
struct HalvingRange {
  int begin = 0, end = 0;
  bool empty() const { return begin >= end; }
};

HalvingRange ExactHalving(const AxisWeights& axis, int out_size) {
  const auto exact = [&axis](int i) {
    const float* w = &axis.weights[static_cast<size_t>(i) * axis.stride];
    return axis.count[i] == 4 && axis.first[i] == 2 * i - 1 && w[0] == 0.125f && w[1] == 0.375f &&
           w[2] == 0.375f && w[3] == 0.125f;
  };
  HalvingRange range;
  if (axis.stride < 4) return range;
  int i = 0;
  while (i < out_size && !exact(i)) ++i;
  range.begin = i;
  while (i < out_size && exact(i)) ++i;
  range.end = i;
  return range;
}

typedef uint16_t u16x8 __attribute__((vector_size(16)));
typedef uint8_t u8x8 __attribute__((vector_size(8)));
typedef uint8_t u8x16 __attribute__((vector_size(16)));
typedef uint32_t u32x4 __attribute__((vector_size(16)));

// The horizontal pass of an exact halving on an RGBA row, outputs [begin,
// end): each output's four lanes (R, G, B and the ignored fourth byte)
// weighted (1, 3, 3, 1), two outputs a step.
void HalveRgbaRow(const uint8_t* row, HalvingRange range, uint16_t* out) {
  int x = range.begin;
  for (; x + 2 <= range.end; x += 2) {
    u32x4 a, b;  // source pixels 2x - 1 .. 2x + 2, and 2x + 1 .. 2x + 4
    std::memcpy(&a, row + static_cast<size_t>(2 * x - 1) * 4, sizeof a);
    std::memcpy(&b, row + static_cast<size_t>(2 * x + 1) * 4, sizeof b);
    // [2x - 1, 2x + 1 | 2x, 2x + 2] and [2x + 1, 2x + 3 | 2x + 2, 2x + 4]:
    // each half the two outputs' tap k.
    const u8x16 low = reinterpret_cast<u8x16>(__builtin_shufflevector(a, b, 0, 4, 1, 5));
    const u8x16 high = reinterpret_cast<u8x16>(__builtin_shufflevector(a, b, 2, 6, 3, 7));
    const u16x8 t0 = __builtin_convertvector(__builtin_shufflevector(low, low, 0, 1, 2, 3, 4, 5, 6, 7), u16x8);
    const u16x8 t1 = __builtin_convertvector(__builtin_shufflevector(low, low, 8, 9, 10, 11, 12, 13, 14, 15), u16x8);
    const u16x8 t2 = __builtin_convertvector(__builtin_shufflevector(high, high, 0, 1, 2, 3, 4, 5, 6, 7), u16x8);
    const u16x8 t3 =
        __builtin_convertvector(__builtin_shufflevector(high, high, 8, 9, 10, 11, 12, 13, 14, 15), u16x8);
    const u16x8 middle = t1 + t2;
    const u16x8 sum = t0 + t3 + middle + middle + middle;
    std::memcpy(out + static_cast<size_t>(x) * 4, &sum, sizeof sum);
  }
  for (; x < range.end; ++x) {
    const uint8_t* p = row + static_cast<size_t>(2 * x - 1) * 4;
    for (int c = 0; c < 4; ++c) out[x * 4 + c] = static_cast<uint16_t>(p[c] + 3 * (p[4 + c] + p[8 + c]) + p[12 + c]);
  }
}

// The vertical pass of an exact halving on four such rows, rounded: RGB
// bytes of outputs [begin, end) at `out` (3 a pixel).
void HalveColumnsToBytes(const uint16_t* const rows[4], HalvingRange range, uint8_t* out) {
  int x = range.begin;
  const auto load = [](const uint16_t* p) {
    u16x8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  // Two pixels a step, each stored as four bytes whose fourth the next
  // pixel overwrites: the last pixel of the range is left to the loop after.
  for (; x + 3 <= range.end; x += 2) {
    const size_t i = static_cast<size_t>(x) * 4;
    const u16x8 middle = load(rows[1] + i) + load(rows[2] + i);
    const u16x8 sum = load(rows[0] + i) + load(rows[3] + i) + middle + middle + middle;
    const u8x8 bytes = __builtin_convertvector((sum + 32) >> 6, u8x8);
    std::memcpy(out + static_cast<size_t>(x) * 3, &bytes, 4);
    std::memcpy(out + static_cast<size_t>(x) * 3 + 3, reinterpret_cast<const uint8_t*>(&bytes) + 4, 4);
  }
  for (; x < range.end; ++x) {
    for (int c = 0; c < 3; ++c) {
      const size_t i = static_cast<size_t>(x) * 4 + c;
      out[x * 3 + c] = static_cast<uint8_t>((rows[0][i] + 3 * (rows[1][i] + rows[2][i]) + rows[3][i] + 32) >> 6);
    }
  }
}

}  // namespace

RgbImage ResizeImage(const RgbImage& src, int width, int height, const ParallelFor& parallel) {
  RgbImage dst;
  constexpr int kChannels = 3;
  if (src.width < 1 || src.height < 1 || width < 1 || height < 1) return dst;
  if (src.pixels.size() != static_cast<size_t>(src.width) * src.height * kChannels) return dst;

  // Horizontal pass (or a plain conversion when the width is unchanged),
  // kept in float so that rounding happens once, at the end. Every element
  // is written, so the plane skips a zero fill.
  const size_t row_length = static_cast<size_t>(width) * kChannels;
  const std::unique_ptr<float[]> horizontal(new float[static_cast<size_t>(src.height) * row_length]);
  if (width == src.width) {
    for (size_t i = 0; i < static_cast<size_t>(src.height) * row_length; ++i) horizontal[i] = src.pixels[i];
  } else {
    const AxisWeights axis = ComputeAxisWeights(src.width, width);
    parallel(src.height, [&](size_t y0, size_t y1) {
      ResampleRows<kChannels>(src.pixels.data() + y0 * src.width * kChannels, src.width, static_cast<int>(y1 - y0),
                              axis, width, horizontal.get() + y0 * row_length);
    });
  }

  dst.width = width;
  dst.height = height;
  dst.pixels.resize(static_cast<size_t>(height) * row_length);
  const auto round_row = [&](const float* row, size_t y) {
    uint8_t* out = &dst.pixels[y * row_length];
    RoundToBytes(row, row_length, out);
  };
  if (height == src.height) {
    parallel(height, [&](size_t y0, size_t y1) {
      for (size_t y = y0; y < y1; ++y) round_row(horizontal.get() + y * row_length, y);
    });
    return dst;
  }
  // Vertical pass a row at a time, each rounded as it is made.
  const AxisWeights axis = ComputeAxisWeights(src.height, height);
  parallel(height, [&](size_t y0, size_t y1) {
    std::vector<float> row(row_length);
    for (size_t y = y0; y < y1; ++y) {
      ResampleColumnRange(horizontal.get(), row_length, axis, y, y + 1, row.data());
      round_row(row.data(), y);
    }
  });
  return dst;
}

struct RowByRowResize::State {
  int src_width = 0, src_height = 0, width = 0, height = 0;
  size_t row_length = 0;  // floats (and bytes) of an output row
  int rows_in = 0, rows_out = 0;
  bool valid = false;
  AxisWeights across, down;  // `across` unused when the width is unchanged, `down` when the height is
  // The horizontal pass's rows that output rows still to be made read:
  // source rows [window_first, rows_in), `window_rows` at most (ResizeImage
  // keeps all of them; a window keeps the memory to a few rows).
  std::unique_ptr<float[]> window;
  int window_rows = 0, window_first = 0;
  std::vector<float> converted;         // one source row as floats, with ResampleRgbRow's slack
  std::vector<float> across_by_fours;   // `across` four outputs at a time, for a platform's kernel
  std::vector<float> column;            // one output row before rounding
  RgbImage out;
  // Both sides halved exactly (HalvingRange): RGBA rows take the integer
  // path for the outputs inside both ranges, the float one (on the window's
  // rows, whose columns inside `across_exact` are then filled in from
  // `halves`) for the rest.
  HalvingRange across_exact, down_exact;
  bool halving = false;
  std::unique_ptr<uint16_t[]> halves;  // the window's rows as HalveRgbaRow makes them, width * 4 lanes each
};

RowByRowResize::RowByRowResize(int src_width, int src_height, int width, int height) : state_(new State) {
  State& s = *state_;
  s.valid = src_width >= 1 && src_height >= 1 && width >= 1 && height >= 1;
  if (!s.valid) return;
  s.src_width = src_width, s.src_height = src_height, s.width = width, s.height = height;
  s.row_length = static_cast<size_t>(width) * 3;
  size_t slack = 0;
  if (width != src_width) {
    s.across = ComputeAxisWeights(src_width, width);
    s.across_by_fours = WeightsByFours(s.across, width);
    slack = static_cast<size_t>(s.across.stride);
  }
  s.converted.assign((static_cast<size_t>(src_width) + slack) * 4 + 1, 0.0f);
  // An output row reads fewer than `stride` source rows, so twice that
  // leaves room to add rows between moves of the window.
  s.window_rows = 1;
  if (height != src_height) {
    s.down = ComputeAxisWeights(src_height, height);
    s.column.resize(s.row_length);
    s.window_rows = 2 * s.down.stride + 1;
  }
  s.window.reset(new float[static_cast<size_t>(s.window_rows) * s.row_length]);
  if (width != src_width && height != src_height) {
    s.across_exact = ExactHalving(s.across, width);
    s.down_exact = ExactHalving(s.down, height);
    s.halving = !s.across_exact.empty() && !s.down_exact.empty();
    if (s.halving) s.halves.reset(new uint16_t[static_cast<size_t>(s.window_rows) * width * 4]);
  }
  s.out.width = width;
  s.out.height = height;
  s.out.pixels.resize(static_cast<size_t>(height) * s.row_length);
}

RowByRowResize::~RowByRowResize() = default;

void RowByRowResize::AddRow(const uint8_t* row, int bytes_per_pixel) {
  State& s = *state_;
  if (!s.valid || s.rows_in >= s.src_height) return;
  if (s.rows_in - s.window_first >= s.window_rows) {
    // Drop the rows no output row still to be made reads (the next one reads
    // from its first tap on; the later ones from theirs, no earlier).
    const int keep = s.rows_out == s.height        ? s.rows_in  // (every output row made)
                     : s.height == s.src_height ? s.rows_out
                                                : s.down.first[s.rows_out];
    std::memmove(s.window.get(), s.window.get() + static_cast<size_t>(keep - s.window_first) * s.row_length,
                 static_cast<size_t>(s.rows_in - keep) * s.row_length * sizeof(float));
    if (s.halving) {
      const size_t lanes = static_cast<size_t>(s.width) * 4;
      std::memmove(s.halves.get(), s.halves.get() + static_cast<size_t>(keep - s.window_first) * lanes,
                   static_cast<size_t>(s.rows_in - keep) * lanes * sizeof(uint16_t));
    }
    s.window_first = keep;
  }
  float* horizontal = s.window.get() + static_cast<size_t>(s.rows_in - s.window_first) * s.row_length;
  const size_t samples = static_cast<size_t>(s.src_width) * bytes_per_pixel;
  // (The integer path takes RGBA rows: the first row decides, as a
  // decoder's rows are all of one kind.)
  if (s.rows_in == 0 && bytes_per_pixel != 4) s.halving = false;
  const bool halving = s.halving;
  if (halving) {
    HalveRgbaRow(row, s.across_exact,
                 s.halves.get() + static_cast<size_t>(s.rows_in - s.window_first) * s.width * 4);
    // The outputs outside the range as ResampleRgbRow makes them: its taps
    // (`max_count`), on the row's samples as floats, 0 past its end.
    for (int x = 0; x < s.width; ++x) {
      if (x == s.across_exact.begin) x = s.across_exact.end;
      if (x >= s.width) break;
      const float* weights = &s.across.weights[static_cast<size_t>(x) * s.across.stride];
      for (int c = 0; c < 3; ++c) {
        float sum = 0.0f;
        for (int k = 0; k < s.across.max_count; ++k) {
          const int source = s.across.first[x] + k;
          sum += weights[k] * (source < s.src_width ? static_cast<float>(row[static_cast<size_t>(source) * 4 + c])
                                                    : 0.0f);
        }
        horizontal[x * 3 + c] = sum;
      }
    }
  } else if (s.width == s.src_width) {
    // ResizeImage's plain conversion: the RGB samples as floats.
    for (int x = 0; x < s.src_width; ++x) {
      for (int c = 0; c < 3; ++c) horizontal[x * 3 + c] = row[static_cast<size_t>(x) * bytes_per_pixel + c];
    }
  } else {
    if (bytes_per_pixel == 4) {
      ResampleRgbaRow(row, s.src_width, s.across, s.across_by_fours, s.width, s.converted.data(), horizontal);
    } else {
      for (size_t i = 0; i < samples; ++i) s.converted[i] = static_cast<float>(row[i]);
      ResampleRgbRow<3>(s.converted.data(), s.across, s.width, horizontal);
    }
  }
  ++s.rows_in;
  // Every output row whose source rows are now all in, rounded as
  // ResizeImage rounds it.
  for (; s.rows_out < s.height; ++s.rows_out) {
    const size_t y = static_cast<size_t>(s.rows_out);
    const float* values;
    if (s.height == s.src_height) {
      if (s.rows_out >= s.rows_in) break;
      values = s.window.get() + static_cast<size_t>(s.rows_out - s.window_first) * s.row_length;
    } else {
      if (s.down.first[y] + s.down.count[y] > s.rows_in) break;
      if (halving) {
        const size_t lanes = static_cast<size_t>(s.width) * 4;
        const int first_tap = s.down.first[y] - s.window_first;
        uint8_t* out = &s.out.pixels[y * s.row_length];
        if (s.rows_out >= s.down_exact.begin && s.rows_out < s.down_exact.end) {
          const uint16_t* rows[4];
          for (int k = 0; k < 4; ++k) rows[k] = s.halves.get() + static_cast<size_t>(first_tap + k) * lanes;
          HalveColumnsToBytes(rows, s.across_exact, out);
          // The columns outside the range: WeightedRowSum's sum and
          // RoundToBytes's rounding, a value at a time.
          const float* weights = &s.down.weights[y * s.down.stride];
          for (int x = 0; x < s.width; ++x) {
            if (x == s.across_exact.begin) x = s.across_exact.end;
            if (x >= s.width) break;
            for (int c = 0; c < 3; ++c) {
              float sum = 0.0f;
              for (int k = 0; k < s.down.count[y]; ++k) {
                sum += weights[k] * s.window[static_cast<size_t>(first_tap + k) * s.row_length + x * 3 + c];
              }
              RoundToBytes(&sum, 1, out + x * 3 + c);
            }
          }
          continue;
        }
        // A row outside the range: the float path, on rows whose columns
        // inside the range are the integer sums / 8 (exact).
        for (int k = 0; k < s.down.count[y]; ++k) {
          const uint16_t* sums = s.halves.get() + static_cast<size_t>(first_tap + k) * lanes;
          float* values = s.window.get() + static_cast<size_t>(first_tap + k) * s.row_length;
          for (int x = s.across_exact.begin; x < s.across_exact.end; ++x) {
            for (int c = 0; c < 3; ++c) values[x * 3 + c] = static_cast<float>(sums[x * 4 + c]) * 0.125f;
          }
        }
      }
      // ResampleColumnRange's sum, on the window's rows.
      const float* first = s.window.get() + static_cast<size_t>(s.down.first[y] - s.window_first) * s.row_length;
      if (const RowSumToBytesKernel kernel = PlatformRowSumToBytes();
          kernel != nullptr && s.down.count[y] <= kMaxRowSumToBytesTaps) {
        // The platform's sum and rounding in one (the same bytes).
        const float* rows[kMaxRowSumToBytesTaps];
        for (int k = 0; k < s.down.count[y]; ++k) rows[k] = first + static_cast<size_t>(k) * s.row_length;
        kernel(&s.down.weights[y * s.down.stride], s.down.count[y], rows, s.row_length,
               &s.out.pixels[y * s.row_length]);
        continue;
      }
      WeightedRowSum(&s.down.weights[y * s.down.stride], s.down.count[y],
                     [&](int k) { return first + static_cast<size_t>(k) * s.row_length; }, s.row_length,
                     s.column.data());
      values = s.column.data();
    }
    uint8_t* out = &s.out.pixels[y * s.row_length];
    RoundToBytes(values, s.row_length, out);
  }
}

bool RowByRowResize::complete() const {
  const State& s = *state_;
  return s.valid && s.rows_in == s.src_height && s.rows_out == s.height;
}

RgbImage RowByRowResize::Take() {
  if (!complete()) return RgbImage();
  return std::move(state_->out);
}

std::vector<float> ResampleRgbaRowAcross(const uint8_t* row, int src_width, int width) {
  if (src_width < 1 || width < 1) return {};
  const AxisWeights axis = ComputeAxisWeights(src_width, width);
  std::vector<float> converted((static_cast<size_t>(src_width) + axis.stride) * 4 + 1, 0.0f);
  std::vector<float> out(static_cast<size_t>(width) * 3);
  ResampleRgbaRow(row, src_width, axis, WeightsByFours(axis, width), width, converted.data(), out.data());
  return out;
}

// Outputs under which ResizePlane's horizontal pass stays on the caller.
constexpr size_t kSmallPassSamples = 16384;

void ResizePlane(const float* src, int src_width, int src_height, float* dst, int dst_width, int dst_height,
                 const ParallelFor& parallel) {
  if (src_width < 1 || src_height < 1 || dst_width < 1 || dst_height < 1) return;
  const size_t row_length = static_cast<size_t>(dst_width);

  // When only one axis changes its pass writes straight into dst; otherwise
  // the horizontal pass goes through a scratch plane.
  // (Every element of the scratch plane is written before it is read: no
  // zero fill.)
  std::unique_ptr<float[]> horizontal;
  const float* rows = src;
  if (dst_width != src_width) {
    float* target = dst;
    if (dst_height != src_height) {
      horizontal.reset(new float[static_cast<size_t>(src_height) * row_length]);
      target = horizontal.get();
    }
    const AxisWeights axis = ComputeAxisWeights(src_width, dst_width);
    // A pass this small (a grid of patch scores widened: 48 rows of 288)
    // costs less than handing it to the pool: on this thread (the same
    // values either way).
    const ParallelFor here;
    const bool small = static_cast<size_t>(src_height) * row_length < kSmallPassSamples;
    (small ? here : parallel)(src_height, [&](size_t y0, size_t y1) {
      ResampleRows<1>(src + y0 * src_width, src_width, static_cast<int>(y1 - y0), axis, dst_width,
                      target + y0 * row_length);
    });
    rows = target;
  }
  if (dst_height != src_height) {
    const AxisWeights axis = ComputeAxisWeights(src_height, dst_height);
    ResampleColumns(rows, row_length, axis, dst_height, dst, parallel);
  } else if (rows == src) {
    for (size_t i = 0; i < row_length * static_cast<size_t>(dst_height); ++i) dst[i] = src[i];
  }
}

}  // namespace anomalens
