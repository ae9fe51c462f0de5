#include "core/image/resize_kernels.h"

namespace anomalens {
namespace {

// Set once at a platform's start-up, before any work (native: the first
// StartBackend of the native default, under a once flag). Every kernel
// gives the core loop's floats, so which one a call sees changes no result.
RgbaRowResampleKernel platform_across = nullptr;
RowSumToBytesKernel platform_down = nullptr;

}  // namespace

void SetRgbaRowResampleKernel(RgbaRowResampleKernel kernel) { platform_across = kernel; }

RgbaRowResampleKernel PlatformRgbaRowResample() { return platform_across; }

void SetRowSumToBytesKernel(RowSumToBytesKernel kernel) { platform_down = kernel; }

RowSumToBytesKernel PlatformRowSumToBytes() { return platform_down; }

}  // namespace anomalens
