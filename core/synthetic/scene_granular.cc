// Scene "granular": sintered ferrite-like tiles of several sizes. Grains of
// varying tone with dark boundaries, fine mottling and scattered natural
// pores of a pixel or two. Defects: a blowhole (a pit of 3 to 7 px radius,
// its far wall lit and its rim raised toward the light) and a crack that runs
// along the grain boundaries.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/synthetic/procedural_texture.h"
#include "core/synthetic/scene.h"

namespace anomalens {
namespace {

enum Defect { kBlowhole = 0, kCrack = 1 };

// Light falls from the upper left: (-1, -1) / sqrt(2).
constexpr double kLight = 0.70710678118654752;

SceneSample DrawGranular(uint64_t stream, int defect) {
  SeededRandom rng(stream);
  const int w = 224 + 16 * rng.Below(13), h = 224 + 16 * rng.Below(13);  // 224 to 416 px a side
  SceneSample s = NewSceneSample(w, h);
  const uint64_t texture = rng.Next();  // every tile is a different piece of the material
  const double cell = rng.Uniform(8, 10);
  const double light = rng.Uniform(0.92, 1.08), tilt_x = rng.Uniform(-0.1, 0.1), tilt_y = rng.Uniform(-0.1, 0.1);

  // The crack: cells whose centres lie on either side of a line form two
  // groups; the boundary between the groups, near the line, cracks open.
  double px = 0, py = 0, dx = 1, dy = 0, half_length = 0;
  if (defect == kCrack) {
    px = rng.Uniform(0.25 * w, 0.75 * w);
    py = rng.Uniform(0.25 * h, 0.75 * h);
    RandomDirection(rng, &dx, &dy);
    half_length = rng.Uniform(15, 35);
  }
  std::vector<double> grey(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const CellularSample c = Cellular(texture, x, y, cell);
      double v = 95 + 55 * UnitFromBits(c.id1);
      v += 18 * (FractalNoise(texture + 1, x / 3.0, y / 3.0, 2) - 0.5);
      const double edge = c.f2 - c.f1;  // about twice the distance to the grain boundary
      if (edge < 1.6) v -= 30 * (1 - edge / 1.6);
      v *= light * (1 + tilt_x * (x - w / 2.0) / w + tilt_y * (y - h / 2.0) / h);
      if (defect == kCrack) {
        const double along = (x - px) * dx + (y - py) * dy, across = (y - py) * dx - (x - px) * dy;
        const double side1 = (c.y1 - py) * dx - (c.x1 - px) * dy, side2 = (c.y2 - py) * dx - (c.x2 - px) * dy;
        if (std::abs(along) < half_length && std::abs(across) < 2.5 * cell && (side1 < 0) != (side2 < 0) &&
            edge < 1.9) {
          v = 28 + 12 * edge;
          s.mask[static_cast<size_t>(y) * w + x] = 255;
        }
      }
      grey[static_cast<size_t>(y) * w + x] = v;
    }
  }
  // Natural pores: small, dark and sharp, in normal and defective tiles alike.
  const int pores = w * h / 2500;
  for (int i = 0; i < pores; ++i) {
    const double cx = rng.Uniform(0, w), cy = rng.Uniform(0, h), r = rng.Uniform(0.6, 1.3);
    for (int y = std::max(0, static_cast<int>(cy - 2)); y < std::min(h, static_cast<int>(cy + 3)); ++y)
      for (int x = std::max(0, static_cast<int>(cx - 2)); x < std::min(w, static_cast<int>(cx + 3)); ++x)
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r) grey[static_cast<size_t>(y) * w + x] *= 0.45;
  }
  if (defect == kBlowhole) {
    const double cx = rng.Uniform(20, w - 20), cy = rng.Uniform(20, h - 20), r = rng.Uniform(3, 7);
    const double stretch = rng.Uniform(0.8, 1.25), rx = r * stretch, ry = r / stretch;
    const double rim = 1 + 1.5 / r;  // the raised lip, in units of the radius
    for (int y = static_cast<int>(cy - ry * rim - 1); y <= static_cast<int>(cy + ry * rim + 1); ++y) {
      for (int x = static_cast<int>(cx - rx * rim - 1); x <= static_cast<int>(cx + rx * rim + 1); ++x) {
        const double nx = (x - cx) / rx, ny = (y - cy) / ry;
        const double d = std::sqrt(nx * nx + ny * ny);
        if (d >= rim) continue;
        double& v = grey[static_cast<size_t>(y) * w + x];
        const double facing = (nx + ny) * kLight;  // > 0 on the side away from the light
        if (d < 1) {
          v = 38 + 50 * std::max(0.0, facing);  // the far wall catches the light, the near one is in shadow
        } else {
          v = 0.85 * v + 45 * std::max(0.0, -facing / d) - 15 * std::max(0.0, facing / d);
        }
        s.mask[static_cast<size_t>(y) * w + x] = 255;
      }
    }
  }
  FinishGreyScene(grey, 1.0, 0.97, 0.92, 3, rng, &s);
  return s;
}

}  // namespace

Scene GranularScene() {
  return {"granular",
          "sintered ferrite-like tiles, 224 to 416 px a side, grains and natural pores; blowholes with shaded "
          "rims and cracks along the grain boundaries",
          {"blowhole", "crack"},
          32,
          16,
          16,
          DrawGranular};
}

}  // namespace anomalens
