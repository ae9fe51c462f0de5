#include "core/image/weighted_row_sum.h"

namespace anomalens {
namespace {

// Set once at a platform's start-up, before any work (native: the first
// StartBackend of the native default, under a once flag; the core runs no
// threads of its own). Every kernel gives the same floats, so which one a
// call sees changes no result.
WeightedRowSumKernel platform_kernel = nullptr;

}  // namespace

void SetWeightedRowSumKernel(WeightedRowSumKernel kernel) { platform_kernel = kernel; }

WeightedRowSumKernel PlatformWeightedRowSum() { return platform_kernel; }

}  // namespace anomalens
