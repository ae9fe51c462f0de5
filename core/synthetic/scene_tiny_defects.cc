// Scene "tiny-defects": a painted panel, 640x480 px, light blue-grey with
// fine orange peel and soft light; defects of a few pixels (under 0.01% of the
// image): a dust grain with its shadow, a curved fibre 1 px wide, and a paint
// crater (a bright rim around a dark centre, 5 px across).
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/synthetic/procedural_texture.h"
#include "core/synthetic/scene.h"

namespace anomalens {
namespace {

enum Defect { kDust = 0, kFibre = 1, kCrater = 2 };

constexpr int kWidth = 640, kHeight = 480;

SceneSample DrawTinyDefects(uint64_t stream, int defect) {
  SeededRandom rng(stream);
  const int w = kWidth, h = kHeight;
  SceneSample s = NewSceneSample(w, h);
  const uint64_t texture = rng.Next();
  const double lx = rng.Uniform(0, w), ly = rng.Uniform(0, h), level = rng.Uniform(0.93, 1.07);
  std::vector<double> grey(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const double peel = 10 * (FractalNoise(texture, x / 5.0, y / 5.0, 2) - 0.5);
      const double r2 = ((x - lx) * (x - lx) + (y - ly) * (y - ly)) / (1.0 * w * w);
      grey[static_cast<size_t>(y) * w + x] = (175 + peel) * level * (1.08 - 0.2 * std::min(r2, 1.0));
    }
  }
  const double cx = rng.Uniform(30, w - 30), cy = rng.Uniform(30, h - 30);
  auto mark = [&](int x, int y, double factor) {
    const size_t at = static_cast<size_t>(y) * w + x;
    if (s.mask[at]) return;
    grey[at] *= factor;
    s.mask[at] = 255;
  };
  if (defect == kDust) {
    // Two or three overlapping specks, then their shadow one pixel down-right.
    std::vector<double> blobs;
    const int n = 2 + rng.Below(2);
    for (int i = 0; i < n; ++i) {
      blobs.push_back(cx + rng.Uniform(-1.2, 1.2));
      blobs.push_back(cy + rng.Uniform(-1.2, 1.2));
      blobs.push_back(rng.Uniform(0.8, 1.4));
    }
    auto inside = [&](double x, double y) {
      for (size_t b = 0; b < blobs.size(); b += 3)
        if ((x - blobs[b]) * (x - blobs[b]) + (y - blobs[b + 1]) * (y - blobs[b + 1]) < blobs[b + 2] * blobs[b + 2])
          return true;
      return false;
    };
    for (int y = static_cast<int>(cy) - 4; y <= static_cast<int>(cy) + 5; ++y)
      for (int x = static_cast<int>(cx) - 4; x <= static_cast<int>(cx) + 5; ++x)
        if (inside(x, y)) mark(x, y, 0.55);
    for (int y = static_cast<int>(cy) - 4; y <= static_cast<int>(cy) + 5; ++y)
      for (int x = static_cast<int>(cx) - 4; x <= static_cast<int>(cx) + 5; ++x)
        if (!inside(x, y) && inside(x - 1, y - 1)) mark(x, y, 0.85);
  } else if (defect == kFibre) {
    // A quadratic curve from a through a bent middle to b, sampled finely; one pixel wide.
    double dx = 1, dy = 0;
    RandomDirection(rng, &dx, &dy);
    const double half = rng.Uniform(4, 8), bend = rng.Uniform(-3, 3);
    const double ax = cx - dx * half, ay = cy - dy * half, bx = cx + dx * half, by = cy + dy * half;
    const double mx = cx - dy * bend * 2, my = cy + dx * bend * 2;  // the control point
    for (int i = 0; i <= 200; ++i) {
      const double t = i / 200.0, u = 1 - t;
      const double x = u * u * ax + 2 * u * t * mx + t * t * bx, y = u * u * ay + 2 * u * t * my + t * t * by;
      mark(static_cast<int>(std::floor(x + 0.5)), static_cast<int>(std::floor(y + 0.5)), 0.62);
    }
  } else if (defect == kCrater) {
    const double r = rng.Uniform(2, 2.8);
    for (int y = static_cast<int>(cy) - 4; y <= static_cast<int>(cy) + 4; ++y) {
      for (int x = static_cast<int>(cx) - 4; x <= static_cast<int>(cx) + 4; ++x) {
        const double d = std::sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy));
        if (d < r * 0.5) mark(x, y, 0.7);
        else if (d < r) mark(x, y, 1.18);
      }
    }
  }
  FinishGreyScene(grey, 0.94, 0.98, 1.04, 2.5, rng, &s);
  return s;
}

}  // namespace

Scene TinyDefectsScene() {
  return {"tiny-defects",
          "painted panels, 640x480 px, fine orange peel; dust grains, 1 px fibres and paint craters of a few px",
          {"dust", "fibre", "crater"},
          32,
          16,
          16,
          DrawTinyDefects};
}

}  // namespace anomalens
