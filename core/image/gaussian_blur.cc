#include "core/image/gaussian_blur.h"

#include <cmath>

#include "core/base/portable_math.h"
#include "core/base/simd.h"

namespace anomalens {
namespace {

// Reflects an index into [0, n): -1 -> 0, n -> n - 1 (edge pixel repeated).
int Reflect(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
  return i;
}

// out[x] = the sum over taps k of kernel[k] * source(k)[x], from 0 and in
// ascending k, for x in [0, width): sixteen outputs at a time in four-lane
// accumulators that stay in registers over every tap (core/base/simd.h: the
// same arithmetic on every target), the rest one at a time.
template <typename Source>
void SumTaps(const std::vector<float>& kernel, Source source, int width, float* out) {
  const int taps = static_cast<int>(kernel.size());
  int x0 = 0;
  for (; x0 + 16 <= width; x0 += 16) {
    f32x4 a0 = Splat4(0.0f), a1 = a0, a2 = a0, a3 = a0;
    for (int k = 0; k < taps; ++k) {
      const f32x4 w = Splat4(kernel[k]);
      const float* src = source(k) + x0;
      a0 += w * Load4(src);
      a1 += w * Load4(src + 4);
      a2 += w * Load4(src + 8);
      a3 += w * Load4(src + 12);
    }
    Store4(out + x0, a0), Store4(out + x0 + 4, a1), Store4(out + x0 + 8, a2), Store4(out + x0 + 12, a3);
  }
  for (int x = x0; x < width; ++x) {
    float sum = 0;
    for (int k = 0; k < taps; ++k) sum += kernel[k] * source(k)[x];
    out[x] = sum;
  }
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
  // the result is the same float for float (SumTaps).
  std::vector<float> tmp(plane.size());
  parallel(height, [&](size_t y0, size_t y1) {  // horizontal pass, through a row padded by reflection
    std::vector<float> padded(static_cast<size_t>(width) + 2 * radius);
    for (size_t y = y0; y < y1; ++y) {
      const float* row = &plane[y * width];
      for (int i = 0; i < width + 2 * radius; ++i) padded[i] = row[Reflect(i - radius, width)];
      SumTaps(kernel, [&](int k) { return &padded[k]; }, width, &tmp[y * width]);
    }
  });
  parallel(height, [&](size_t y0, size_t y1) {  // vertical pass
    std::vector<const float*> rows(taps);
    for (size_t y = y0; y < y1; ++y) {
      for (int k = 0; k < taps; ++k)
        rows[k] = &tmp[static_cast<size_t>(Reflect(static_cast<int>(y) + k - radius, height)) * width];
      SumTaps(kernel, [&](int k) { return rows[k]; }, width, &plane[y * width]);
    }
  });
}

}  // namespace anomalens
