// The streamed resize's two passes in AVX-512 (core/image/resize_kernels.h),
// for the decoder's rows (RowByRowResize; classification's 576 -> 224, say).
// Each gives every output the core's float (the same products, summed from
// 0 in tap order, no fused multiply-add: the core's -ffp-contract=off
// reaches this file, and it multiplies and adds apart) and so its byte: the
// working image keeps its bytes.
//
// WideRgbaResample, across an RGBA row: the core converts the row's bytes
// to floats and then, per output pixel and tap, broadcasts a weight, loads
// the pixel's four floats, multiplies and adds: 16 instructions a tap for
// four outputs, plus the conversion. Here four adjacent outputs are one
// vector, channel-major (lane c * 4 + i: channel c of output i), and per tap
// a 64-byte load of the row from the first output's tap, one byte permute
// (VBMI) that puts each output's pixel, widened to 32 bits, in its lanes,
// a conversion, a broadcast load of the four outputs' weights (laid out so
// by the core: RowTaps::by_fours), a product and a sum: four vector
// instructions a tap. Four outputs whose first taps lie more than 15 pixels
// apart (shrinking by more than ~5x), and a row's last width % 4 outputs, go
// one at a time in four lanes.
//
// WideRowSumToBytes, down: an output row's sum over the window's rows in
// sixteen lanes (the core's WeightedRowSum takes four below its
// kMinPlatformTaps), rounded and narrowed to bytes in registers, where the
// core stores a row of floats and reads it back to round it four at a time.
#ifndef ANOMALENS_NATIVE_ENGINE_WIDE_RESIZE_KERNELS_H_
#define ANOMALENS_NATIVE_ENGINE_WIDE_RESIZE_KERNELS_H_

#include <cstddef>
#include <cstdint>

#include "core/image/resize_kernels.h"

namespace anomalens {

// The AVX-512 kernels where this CPU has AVX-512F, BW, VL and VBMI, else
// nullptr (the core's loops stay). ANOMALENS_RESIZE_KERNELS=core in the
// environment keeps the core's loops (for comparisons in one binary).
RgbaRowResampleKernel WideRgbaResampleForThisCpu();
RowSumToBytesKernel WideRowSumToBytesForThisCpu();

// The kernels themselves (for the tests; only on such a CPU).
void WideRgbaResample(const uint8_t* row, int src_width, const RowTaps& taps, int width, float* out);
void WideRowSumToBytes(const float* weights, int taps, const float* const* rows, size_t width, uint8_t* out);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_WIDE_RESIZE_KERNELS_H_
