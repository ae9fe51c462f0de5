#include "core/image/weighted_row_sum.h"

#include <atomic>

namespace anomalens {
namespace {

// Set at a platform's start-up; atomic only because a server may start an
// engine while another request computes. Every kernel gives the same
// floats, so which one a call sees changes no result.
std::atomic<WeightedRowSumKernel> platform_kernel{nullptr};

}  // namespace

void SetWeightedRowSumKernel(WeightedRowSumKernel kernel) { platform_kernel.store(kernel, std::memory_order_relaxed); }

WeightedRowSumKernel PlatformWeightedRowSum() { return platform_kernel.load(std::memory_order_relaxed); }

}  // namespace anomalens
