// WideRowSum: the core's WeightedRowSum (core/image/weighted_row_sum.h) in
// sixteen-lane AVX-512 vectors, for the Gaussian blurs of the anomaly maps
// (filters of 8 to 64 taps: kMinPlatformTaps, kMaxPlatformTaps). Each output is the same float as the
// core's four-lane loop gives (a product, then a sum from 0 in ascending
// tap order, no fused multiply-add: this file is compiled with
// -ffp-contract=off and multiplies and adds separately), so the native
// default and the portable engine keep the same bytes there; only the
// number of instructions a row takes falls (a fourth, plus the tail).
#ifndef ANOMALENS_NATIVE_ENGINE_WIDE_ROW_SUM_H_
#define ANOMALENS_NATIVE_ENGINE_WIDE_ROW_SUM_H_

#include "core/image/weighted_row_sum.h"

namespace anomalens {

// The AVX-512 kernel where this CPU has AVX-512F, else nullptr (the core's
// loop stays).
WeightedRowSumKernel WideRowSumForThisCpu();

// The kernel itself (for the tests; only on a CPU with AVX-512F).
void WideRowSum(const float* weights, int taps, const float* const* rows, size_t width, float* out);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_WIDE_ROW_SUM_H_
