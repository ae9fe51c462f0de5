#include "core/synthetic/procedural_texture.h"

#include <algorithm>
#include <cmath>

namespace anomalens {

double Smoothstep(double e0, double e1, double x) {
  const double t = std::clamp((x - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

uint8_t ToByte(double v) { return static_cast<uint8_t>(std::clamp(v, 0.0, 255.0) + 0.5); }

double SceneValueNoise(uint64_t seed, double x, double y) {
  const double fx = std::floor(x), fy = std::floor(y);
  const int64_t ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy);
  const double tx = Smoothstep(0, 1, x - fx), ty = Smoothstep(0, 1, y - fy);
  const double v00 = UnitFromBits(HashCoordinates(seed, ix, iy));
  const double v10 = UnitFromBits(HashCoordinates(seed, ix + 1, iy));
  const double v01 = UnitFromBits(HashCoordinates(seed, ix, iy + 1));
  const double v11 = UnitFromBits(HashCoordinates(seed, ix + 1, iy + 1));
  const double top = v00 + (v10 - v00) * tx, bottom = v01 + (v11 - v01) * tx;
  return top + (bottom - top) * ty;
}

double FractalNoise(uint64_t seed, double x, double y, int octaves) {
  double sum = 0, amplitude = 1, total = 0;
  for (int o = 0; o < octaves; ++o) {
    sum += amplitude * SceneValueNoise(seed + static_cast<uint64_t>(o) * 0x632BE59BD9B4E019ull, x, y);
    total += amplitude;
    amplitude *= 0.5;
    x *= 2;
    y *= 2;
  }
  return sum / total;
}

CellularSample Cellular(uint64_t seed, double x, double y, double cell) {
  const double gx = std::floor(x / cell), gy = std::floor(y / cell);
  CellularSample s;
  s.f1 = s.f2 = 1e300;
  for (int dy = -1; dy <= 1; ++dy) {
    for (int dx = -1; dx <= 1; ++dx) {
      const int64_t cx = static_cast<int64_t>(gx) + dx, cy = static_cast<int64_t>(gy) + dy;
      const uint64_t id = HashCoordinates(seed, cx, cy);
      const double px = (cx + UnitFromBits(id)) * cell;
      const double py = (cy + UnitFromBits(MixBits(id))) * cell;
      const double d = std::sqrt((x - px) * (x - px) + (y - py) * (y - py));
      if (d < s.f1) {
        s.f2 = s.f1, s.x2 = s.x1, s.y2 = s.y1, s.id2 = s.id1;
        s.f1 = d, s.x1 = px, s.y1 = py, s.id1 = id;
      } else if (d < s.f2) {
        s.f2 = d, s.x2 = px, s.y2 = py, s.id2 = id;
      }
    }
  }
  return s;
}

void RandomDirection(SeededRandom& rng, double* dx, double* dy) {
  for (;;) {
    const double x = rng.Uniform(-1, 1), y = rng.Uniform(-1, 1);
    const double r2 = x * x + y * y;
    if (r2 > 0.01 && r2 <= 1) {
      const double r = std::sqrt(r2);
      *dx = x / r;
      *dy = y / r;
      return;
    }
  }
}

double DistanceToSegment(double px, double py, double ax, double ay, double bx, double by, double* t) {
  const double dx = bx - ax, dy = by - ay;
  const double length2 = dx * dx + dy * dy;
  const double u = length2 > 0 ? std::clamp(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0) : 0.0;
  if (t) *t = u;
  const double ex = ax + u * dx - px, ey = ay + u * dy - py;
  return std::sqrt(ex * ex + ey * ey);
}

}  // namespace anomalens
