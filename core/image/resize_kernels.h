// The platform hooks of RowByRowResize (core/image/image_resize.h: the
// decoder's rows, resized as they come), one for each pass. Across: the
// core converts an RGBA row's bytes to floats and sums each output pixel's
// taps in four lanes (R, G, B and the ignored fourth byte). Down: it sums
// the window's rows into a row of floats four lanes at a time and then
// rounds that row to bytes. A platform may do the same arithmetic in wider
// vectors, straight from the bytes and straight to them (native/engine:
// AVX-512 where the CPU has it), giving every output the same float and so
// the same byte.
#ifndef ANOMALENS_CORE_IMAGE_RESIZE_KERNELS_H_
#define ANOMALENS_CORE_IMAGE_RESIZE_KERNELS_H_

#include <cstddef>
#include <cstdint>

namespace anomalens {

// One row's filter along the width: output x reads source pixels first[x]
// .. first[x] + taps - 1 with weights[x * stride + k], k < taps <= stride.
// The same weights are also given four outputs at a time, as a kernel that
// makes four outputs at once reads them: by_fours[(g * taps + k) * 4 + i] =
// weights[(4 * g + i) * stride + k] for the width / 4 whole groups g.
struct RowTaps {
  const int* first;
  const float* weights;
  int stride;
  int taps;
  const float* by_fours;
};

// A platform's pass over one RGBA row of `src_width` pixels (4 bytes each)
// into `width` RGB float pixels at `out` (3 floats each, exactly width * 3
// written): channel c of output x is the sum over k = 0 .. taps - 1, from
// 0.0f and in ascending k, of the product weights[x * stride + k] *
// sample(first[x] + k, c), where a sample is its byte as a float and a
// pixel at or past src_width counts as 0.0f; each product rounded, then
// added (no fused multiply-add). That is the core's loop's arithmetic, so
// the kernel changes no result, only speed, and a platform sets it once at
// start-up, before any work and on one thread (as SetWeightedRowSumKernel).
using RgbaRowResampleKernel = void (*)(const uint8_t* row, int src_width, const RowTaps& taps, int width,
                                       float* out);
// nullptr (the default): the core's loop.
void SetRgbaRowResampleKernel(RgbaRowResampleKernel kernel);
RgbaRowResampleKernel PlatformRgbaRowResample();

// A platform's vertical pass of one output row, rounded: out[x], x <
// width, is the byte of the sum over k = 0 .. taps - 1, from 0.0f and in
// ascending k, of weights[k] * rows[k][x] (each product rounded, then
// added; no fused multiply-add), rounded as the resize rounds: the sum
// clamped to [0, 255] (v > 0 ? v : 0, then v < 255 ? v : 255; NaN, which
// cannot occur, to 0), plus 0.5f, truncated. The core's WeightedRowSum and
// then its rounding, in one pass. Set as the kernel above.
using RowSumToBytesKernel = void (*)(const float* weights, int taps, const float* const* rows, size_t width,
                                     uint8_t* out);
// nullptr (the default): the core's loops. Filters of up to kMaxRowSumToBytesTaps taps take the kernel.
void SetRowSumToBytesKernel(RowSumToBytesKernel kernel);
RowSumToBytesKernel PlatformRowSumToBytes();
constexpr int kMaxRowSumToBytesTaps = 64;

}  // namespace anomalens

#endif  // ANOMALENS_CORE_IMAGE_RESIZE_KERNELS_H_
