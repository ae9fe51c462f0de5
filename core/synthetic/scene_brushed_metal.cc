// Scene "brushed-metal": brushed steel plates, 320x256 px. Long fine streaks
// along x over broader ones, and a soft sheen that moves from plate to plate.
// Defects: a thin crack across the brushing, meandering smoothly and tapered
// at both ends, and a shallow dent that interrupts the streaks and is lit on
// one side.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/synthetic/procedural_texture.h"
#include "core/synthetic/scene.h"

namespace anomalens {
namespace {

enum Defect { kCrack = 0, kDent = 1 };

constexpr int kWidth = 320, kHeight = 256;

// The streaks at (x, y): long along x, narrow across.
double Streaks(uint64_t texture, double x, double y) {
  return 20 * (SceneValueNoise(texture, x / 45.0, y / 0.9) - 0.5) + 12 * (SceneValueNoise(texture + 1, x / 160.0, y / 5.0) - 0.5);
}

SceneSample DrawBrushedMetal(uint64_t stream, int defect) {
  SeededRandom rng(stream);
  const int w = kWidth, h = kHeight;
  SceneSample s = NewSceneSample(w, h);
  const uint64_t texture = rng.Next();
  const double sheen_x = rng.Uniform(0.2, 0.8) * w, sheen_width = rng.Uniform(0.3, 0.6) * w;
  const double light = rng.Uniform(0.93, 1.07);
  std::vector<double> grey(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const double u = (x - sheen_x) / sheen_width;
      const double sheen = 1 + 0.18 * std::max(0.0, 1 - u * u);
      grey[static_cast<size_t>(y) * w + x] = (140 + Streaks(texture, x, y)) * sheen * light;
    }
  }
  if (defect == kCrack) {
    // Mostly across the streaks: a direction within about 35 degrees of vertical.
    double dx = 0, dy = 1;
    do RandomDirection(rng, &dx, &dy);
    while (std::abs(dy) < 0.82);
    const double length = rng.Uniform(25, 60);
    const double sx = rng.Uniform(40, w - 40), sy = rng.Uniform(20, h - 20 - length * std::abs(dy));
    if (dy < 0) dx = -dx, dy = -dy;
    const uint64_t wander = rng.Next();
    // The crack's centre line, every 2 px, wandering sideways by smooth noise.
    std::vector<double> lx, ly, half_width;
    for (double t = 0; t <= length; t += 2) {
      const double off = 8 * (SceneValueNoise(wander, t / 14.0, 0.5) - 0.5);
      lx.push_back(sx + t * dx - off * dy);
      ly.push_back(sy + t * dy + off * dx);
      const double middle = 1 - std::abs(2 * t / length - 1);  // 1 in the middle, 0 at the ends
      half_width.push_back(0.45 + 0.6 * middle);
    }
    for (size_t i = 0; i + 1 < lx.size(); ++i) {
      const int x0 = static_cast<int>(std::min(lx[i], lx[i + 1]) - 2), x1 = static_cast<int>(std::max(lx[i], lx[i + 1]) + 3);
      const int y0 = static_cast<int>(std::min(ly[i], ly[i + 1]) - 2), y1 = static_cast<int>(std::max(ly[i], ly[i + 1]) + 3);
      for (int y = std::max(0, y0); y < std::min(h, y1); ++y) {
        for (int x = std::max(0, x0); x < std::min(w, x1); ++x) {
          double t = 0;
          const double d = DistanceToSegment(x, y, lx[i], ly[i], lx[i + 1], ly[i + 1], &t);
          if (d >= half_width[i] + t * (half_width[i + 1] - half_width[i])) continue;
          const size_t at = static_cast<size_t>(y) * w + x;
          if (!s.mask[at]) grey[at] *= 0.4;
          s.mask[at] = 255;
        }
      }
    }
  } else if (defect == kDent) {
    const double cx = rng.Uniform(30, w - 30), cy = rng.Uniform(30, h - 30), r = rng.Uniform(6, 12);
    for (int y = static_cast<int>(cy - r); y <= static_cast<int>(cy + r) + 1; ++y) {
      for (int x = static_cast<int>(cx - r); x <= static_cast<int>(cx + r) + 1; ++x) {
        const double nx = (x - cx) / r, ny = (y - cy) / r, d2 = nx * nx + ny * ny;
        if (d2 >= 1) continue;
        const size_t at = static_cast<size_t>(y) * w + x;
        // The dent's floor was pressed flat: its streaks fade toward the centre,
        // and its slope turns the side toward the light brighter.
        const double base = grey[at] - Streaks(texture, x, y) * (1 - d2) * 0.8;
        grey[at] = base * (1 - 0.22 * (nx + ny) * 0.70710678118654752 * (1 - d2));
        s.mask[at] = 255;
      }
    }
  }
  FinishGreyScene(grey, 0.97, 1.0, 1.04, 2.5, rng, &s);
  return s;
}

}  // namespace

Scene BrushedMetalScene() {
  return {"brushed-metal",
          "brushed steel plates, 320x256 px, streaks along x and a moving sheen; thin tapered cracks across the "
          "brushing and shallow dents",
          {"crack", "dent"},
          32,
          16,
          16,
          DrawBrushedMetal};
}

}  // namespace anomalens
