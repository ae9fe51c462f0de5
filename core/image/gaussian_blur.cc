#include "core/image/gaussian_blur.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/base/portable_math.h"
#include "core/image/weighted_row_sum.h"

namespace anomalens {
namespace {

// Reflects an index into [0, n): -1 -> 0, n -> n - 1 (edge pixel repeated).
int Reflect(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
  return i;
}

}  // namespace

std::vector<float> GaussianKernel(float sigma) {
  const int radius = static_cast<int>(std::ceil(4.0 * sigma));
  std::vector<double> w(2 * radius + 1);
  double sum = 0;
  for (int i = -radius; i <= radius; ++i) {
    w[i + radius] = PortableExp(-0.5 * i * i / (double(sigma) * sigma));
    sum += w[i + radius];
  }
  std::vector<float> kernel(w.size());
  for (size_t i = 0; i < w.size(); ++i) kernel[i] = static_cast<float>(w[i] / sum);
  return kernel;
}

void GaussianBlur(std::vector<float>& plane, int width, int height, float sigma, const ParallelFor& parallel) {
  if (sigma <= 0) return;
  const std::vector<float> kernel = GaussianKernel(sigma);
  const int radius = static_cast<int>(kernel.size() / 2);
  const int taps = static_cast<int>(kernel.size());
  // Every output sums kernel[k] * input over k in ascending order, as the
  // plain loop would; the loops below only arrange that work so the compiler
  // can vectorize it (reflection resolved once a row or a line, not a tap), so
  // the result is the same float for float (weighted_row_sum.h).
  // Every element of the horizontal pass's plane is written before it is
  // read: no zero fill (a serial memset of the whole plane).
  const std::unique_ptr<float[]> tmp(new float[plane.size()]);
  parallel(height, [&](size_t y0, size_t y1) {  // horizontal pass, through a row padded by reflection
    std::vector<float> padded(static_cast<size_t>(width) + 2 * radius);
    for (size_t y = y0; y < y1; ++y) {
      const float* row = &plane[y * width];
      // The row itself, then its reflected ends (the reflection only where
      // an index leaves the row: it was most of this pass as a per-pixel call).
      std::copy_n(row, width, &padded[radius]);
      for (int i = 0; i < radius; ++i) {
        padded[i] = row[Reflect(i - radius, width)];
        padded[radius + width + i] = row[Reflect(width + i, width)];
      }
      WeightedRowSum(kernel.data(), taps, [&](int k) { return &padded[k]; }, width, &tmp[y * width]);
    }
  });
  parallel(height, [&](size_t y0, size_t y1) {  // vertical pass
    std::vector<const float*> rows(taps);
    for (size_t y = y0; y < y1; ++y) {
      for (int k = 0; k < taps; ++k)
        rows[k] = &tmp[static_cast<size_t>(Reflect(static_cast<int>(y) + k - radius, height)) * width];
      WeightedRowSum(kernel.data(), taps, [&](int k) { return rows[k]; }, width, &plane[y * width]);
    }
  });
}

}  // namespace anomalens
