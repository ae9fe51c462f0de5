#include "core/image/gaussian_blur.h"

#include <cmath>
#include <cstring>

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

// WeightedRowSum over `rows[k]`, on the widest registers the CPU has. On
// x86-64 CPUs with AVX-512 (native builds), 64 outputs a step in
// sixteen-lane registers, then WeightedRowSum's own loops for the rest: a
// lane is one output whichever width holds it, and each still sums
// weights[k] * input in ascending k, a multiply then an add (the core is
// built with -ffp-contract=off, so no fused multiply-add), so the floats are
// the same as the four-lane code's on every target (wasm included). The
// blur is most of an anomaly map's time, and a segmentation detect builds three.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__EMSCRIPTEN__)
typedef float f32x16 __attribute__((vector_size(64)));

__attribute__((target("avx512f"), always_inline)) inline f32x16 Load16(const float* p) {
  f32x16 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

__attribute__((target("avx512f"))) void WeightedRowSum512(const float* weights, int taps, const float* const* rows,
                                                          size_t width, float* out) {
  size_t x0 = 0;
  for (; x0 + 64 <= width; x0 += 64) {
    f32x16 a0 = {}, a1 = {}, a2 = {}, a3 = {};
    for (int k = 0; k < taps; ++k) {
      const f32x16 w = f32x16{} + weights[k];
      const float* src = rows[k] + x0;
      a0 += w * Load16(src);
      a1 += w * Load16(src + 16);
      a2 += w * Load16(src + 32);
      a3 += w * Load16(src + 48);
    }
    std::memcpy(out + x0, &a0, sizeof(a0));
    std::memcpy(out + x0 + 16, &a1, sizeof(a1));
    std::memcpy(out + x0 + 32, &a2, sizeof(a2));
    std::memcpy(out + x0 + 48, &a3, sizeof(a3));
  }
  WeightedRowSum(weights, taps, [&](int k) { return rows[k] + x0; }, width - x0, out + x0);
}

bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

void RowSum(const float* weights, int taps, const float* const* rows, size_t width, float* out) {
  if (HasAvx512()) return WeightedRowSum512(weights, taps, rows, width, out);
  WeightedRowSum(weights, taps, [&](int k) { return rows[k]; }, width, out);
}
#else
void RowSum(const float* weights, int taps, const float* const* rows, size_t width, float* out) {
  WeightedRowSum(weights, taps, [&](int k) { return rows[k]; }, width, out);
}
#endif

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
  std::vector<float> tmp(plane.size());
  parallel(height, [&](size_t y0, size_t y1) {  // horizontal pass, through a row padded by reflection
    std::vector<float> padded(static_cast<size_t>(width) + 2 * radius);
    std::vector<const float*> shifted(taps);  // tap k reads the padded row from k
    for (int k = 0; k < taps; ++k) shifted[k] = &padded[k];
    for (size_t y = y0; y < y1; ++y) {
      const float* row = &plane[y * width];
      for (int i = 0; i < width + 2 * radius; ++i) padded[i] = row[Reflect(i - radius, width)];
      RowSum(kernel.data(), taps, shifted.data(), width, &tmp[y * width]);
    }
  });
  parallel(height, [&](size_t y0, size_t y1) {  // vertical pass
    std::vector<const float*> rows(taps);
    for (size_t y = y0; y < y1; ++y) {
      for (int k = 0; k < taps; ++k)
        rows[k] = &tmp[static_cast<size_t>(Reflect(static_cast<int>(y) + k - radius, height)) * width];
      RowSum(kernel.data(), taps, rows.data(), width, &plane[y * width]);
    }
  });
}

}  // namespace anomalens
