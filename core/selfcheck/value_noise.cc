#include "core/selfcheck/value_noise.h"

#include <cmath>

#include "core/selfcheck/defect_random.h"

namespace anomalens {
namespace {

double LatticeValue(uint64_t seed, int64_t ix, int64_t iy) {
  const uint64_t h = MixBits(seed ^ MixBits(static_cast<uint64_t>(ix) * 0x9E3779B97F4A7C15ull ^
                                            static_cast<uint64_t>(iy) * 0xC2B2AE3D27D4EB4Full));
  return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

double Smoothstep(double t) { return t * t * (3.0 - 2.0 * t); }

}  // namespace

double ValueNoise(uint64_t seed, double x, double y) {
  const double fx = std::floor(x), fy = std::floor(y);  // exact on every target
  const int64_t ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy);
  const double tx = Smoothstep(x - fx), ty = Smoothstep(y - fy);
  const double a = LatticeValue(seed, ix, iy), b = LatticeValue(seed, ix + 1, iy);
  const double c = LatticeValue(seed, ix, iy + 1), d = LatticeValue(seed, ix + 1, iy + 1);
  const double top = a + (b - a) * tx, bottom = c + (d - c) * tx;
  return top + (bottom - top) * ty;
}

double SmoothNoise(uint64_t seed, double x, double y, double scale) {
  const double coarse = ValueNoise(seed, x / scale, y / scale);
  const double fine = ValueNoise(seed ^ 0x5851F42D4C957F2Dull, 2.0 * x / scale, 2.0 * y / scale);
  return (2.0 * coarse + fine) / 3.0;
}

}  // namespace anomalens
