#include "core/synthetic/synthetic_dataset.h"

#include <algorithm>
#include <cmath>

namespace anomalens {
namespace {

// SplitMix64: small, fast and the same everywhere (no std:: distributions,
// whose output differs between standard libraries).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * (Next() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  uint64_t state_;
};

uint8_t ToByte(double v) { return static_cast<uint8_t>(std::clamp(v, 0.0, 255.0) + 0.5); }

double DistanceToSegment(double px, double py, double ax, double ay, double bx, double by) {
  const double dx = bx - ax, dy = by - ay;
  const double t = std::clamp(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0);
  const double ex = ax + t * dx - px, ey = ay + t * dy - py;
  return std::sqrt(ex * ex + ey * ey);
}

}  // namespace

SyntheticSample GenerateSyntheticSample(uint64_t seed, int index, bool anomalous, const SyntheticOptions& options) {
  Random rng(seed * 0x100000001B3ull + static_cast<uint64_t>(index) * 2 + (anomalous ? 1 : 0));
  const int w = options.width, h = options.height;
  const double k = std::min(static_cast<double>(w) / kSyntheticWidth, static_cast<double>(h) / kSyntheticHeight);
  SyntheticSample s;
  s.anomalous = anomalous;
  s.image.width = w;
  s.image.height = h;
  s.image.pixels.resize(static_cast<size_t>(w) * h * 3);
  s.mask.assign(static_cast<size_t>(w) * h, 0);

  // The part: a rounded plate, shifted and lit a little differently each time.
  const double cx = w / 2.0 + k * rng.Uniform(-6, 6), cy = h / 2.0 + k * rng.Uniform(-5, 5);
  const double half_w = 110 * k, half_h = 78 * k, corner = 18 * k;
  const double light = rng.Uniform(0.92, 1.08);
  const double holes[4][2] = {{-80 * k, -50 * k}, {80 * k, -50 * k}, {-80 * k, 50 * k}, {80 * k, 50 * k}};
  const double hole_radius = 11 * k, chamfer_radius = 14 * k;
  std::vector<double> streak(static_cast<size_t>(h / k) + 1);  // brushed-metal rows, scaled with the part
  for (double& v : streak) v = rng.Uniform(-6, 6);

  // The defect, in plate coordinates.
  double ax = 0, ay = 0, bx = 0, by = 0, radius = 0;
  int kind = 0;
  if (anomalous && options.defect_area_fraction > 0) {
    kind = 1 + static_cast<int>(rng.Next() % 2);  // round: dent or stain
    s.defect = kind == 1 ? "dent" : "stain";
    ax = cx + k * rng.Uniform(-55, 55);  // clear of the holes for defects up to 1% of the image
    ay = cy + k * rng.Uniform(-30, 30);
    radius = std::sqrt(options.defect_area_fraction * w * h / 3.14159265358979);
  } else if (anomalous) {
    kind = static_cast<int>(rng.Next() % 3);
    s.defect = kind == 0 ? "scratch" : kind == 1 ? "dent" : "stain";
    ax = cx + k * rng.Uniform(-60, 60);
    ay = cy + k * rng.Uniform(-35, 35);
    const double angle = rng.Uniform(0, 3.14159265358979);
    const double length = k * rng.Uniform(30, 70);
    bx = ax + length * std::cos(angle);
    by = ay + length * std::sin(angle);
    radius = k * (kind == 0 ? 1.6 : rng.Uniform(6, 11));
  }

  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double r = 38, g = 40, b = 44;  // background
      r += ((x * 7 + y * 13) % 5) - 2;
      const double qx = std::max(std::abs(x - cx) - (half_w - corner), 0.0);
      const double qy = std::max(std::abs(y - cy) - (half_h - corner), 0.0);
      const bool on_plate = qx * qx + qy * qy <= corner * corner;
      if (on_plate) {
        const double shade = (175 + streak[static_cast<size_t>(y / k)] - 0.08 * (x - cx) / k) * light;
        r = shade;
        g = shade + 3;
        b = shade + 8;
        for (const auto& hole : holes) {
          const double dx = x - (cx + hole[0]), dy = y - (cy + hole[1]);
          const double d = std::sqrt(dx * dx + dy * dy);
          if (d < hole_radius) r = g = b = 30;
          else if (d < chamfer_radius) r = g = b = 120 * light;  // chamfer ring
        }
      }
      bool defect = false;
      const double plate[3] = {r, g, b};
      if (anomalous && on_plate) {
        if (kind == 0) {
          defect = DistanceToSegment(x, y, ax, ay, bx, by) < radius;
          if (defect) r = g = b = 70;
        } else {
          const double dx = x - ax, dy = y - ay;
          const double d = std::sqrt(dx * dx + dy * dy);
          defect = d < radius;
          if (defect && kind == 1) r = g = b = 95 + 40 * d / radius;       // dent: dark crater
          if (defect && kind == 2) { r = 150; g = 105; b = 55; }           // stain: rust
        }
      }
      if (defect && options.defect_contrast < 1) {
        const double a = options.defect_contrast;
        r = plate[0] + a * (r - plate[0]);
        g = plate[1] + a * (g - plate[1]);
        b = plate[2] + a * (b - plate[2]);
      }
      const double noise = rng.Uniform(-3, 3);  // sensor noise
      r += noise;
      g += noise;
      b += noise;
      uint8_t* p = s.image.at(x, y);
      p[0] = ToByte(r);
      p[1] = ToByte(g);
      p[2] = ToByte(b);
      if (defect) s.mask[static_cast<size_t>(y) * w + x] = 255;
    }
  }
  return s;
}

}  // namespace anomalens
