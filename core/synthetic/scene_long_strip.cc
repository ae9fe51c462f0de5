// Scene "long-strip": a long, narrow strip of ground metal, 1200x300 px,
// grinding marks running slightly askew along its length, illumination that
// rises and falls along it, and scattered faint bright specks. Defect: one
// thin, faint transverse crack, about 1 px wide and 20 to 60 px long, a zigzag
// of straight pieces with one lit edge.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/synthetic/procedural_texture.h"
#include "core/synthetic/scene.h"

namespace anomalens {
namespace {

constexpr int kWidth = 1200, kHeight = 300;

SceneSample DrawLongStrip(uint64_t stream, int defect) {
  SeededRandom rng(stream);
  const int w = kWidth, h = kHeight;
  SceneSample s = NewSceneSample(w, h);
  const uint64_t texture = rng.Next();
  const double skew = rng.Uniform(-0.04, 0.04);  // the grinding marks' slope
  const double level = rng.Uniform(0.92, 1.08);
  std::vector<double> grey(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const double mark_y = y + skew * x;
      double v = 120 + 22 * (SceneValueNoise(texture, x / 70.0, mark_y / 1.3) - 0.5) +
                 10 * (SceneValueNoise(texture + 1, x / 250.0, mark_y / 6.0) - 0.5);
      v *= 0.8 + 0.4 * FractalNoise(texture + 2, x / 300.0, 0.5, 2);  // light along the strip
      v *= 1 - 0.12 * ((y - h / 2.0) / h) * ((y - h / 2.0) / h) * 4;  // darker toward the long edges
      grey[static_cast<size_t>(y) * w + x] = v * level;
    }
  }
  const int specks = 40 + rng.Below(40);
  for (int i = 0; i < specks; ++i) {
    const int x = rng.Below(w), y = rng.Below(h);
    grey[static_cast<size_t>(y) * w + x] += rng.Uniform(10, 25);
  }
  if (defect >= 0) {
    // A zigzag of 3 to 6 straight pieces heading across the strip.
    const int pieces = 3 + rng.Below(4);
    const double length = rng.Uniform(20, 60);
    double x = rng.Uniform(100, w - 100), y = rng.Uniform(40, h - 40 - length);
    std::vector<double> px = {x}, py = {y};
    for (int i = 0; i < pieces; ++i) {
      const double step = length / pieces;
      x += rng.Uniform(-0.9, 0.9) * step;
      y += step;
      px.push_back(x);
      py.push_back(y);
    }
    for (int i = 0; i < pieces; ++i) {
      const double middle = 1 - std::abs(2.0 * (i + 0.5) / pieces - 1);
      const double half_width = 0.5 + 0.25 * middle;  // about 1 px wide (0.5: every column or row it crosses)
      const double ax = px[i], ay = py[i], bx = px[i + 1], by = py[i + 1];
      for (int yy = static_cast<int>(std::min(ay, by) - 3); yy <= static_cast<int>(std::max(ay, by) + 3); ++yy) {
        for (int xx = static_cast<int>(std::min(ax, bx) - 3); xx <= static_cast<int>(std::max(ax, bx) + 3); ++xx) {
          const size_t at = static_cast<size_t>(yy) * w + xx;
          const double d = DistanceToSegment(xx, yy, ax, ay, bx, by);
          if (d < half_width) {
            if (s.mask[at] != 255) grey[at] *= 0.8;  // the open crack: a faint dark line
            s.mask[at] = 255;
          }
        }
      }
      // Its left lip catches the light: one pixel beside the crack, brighter.
      for (int yy = static_cast<int>(std::min(ay, by)); yy <= static_cast<int>(std::max(ay, by)); ++yy) {
        for (int xx = static_cast<int>(std::min(ax, bx) - 3); xx <= static_cast<int>(std::max(ax, bx) + 3); ++xx) {
          const size_t at = static_cast<size_t>(yy) * w + xx;
          const size_t right = at + 1;
          if (s.mask[at] == 0 && s.mask[right] == 255 && DistanceToSegment(xx + 1, yy, ax, ay, bx, by) < half_width) {
            grey[at] *= 1.08;
            s.mask[at] = 254;  // marked as lip (set to 255 below) so it is brightened once
          }
        }
      }
    }
    for (uint8_t& m : s.mask)
      if (m) m = 255;
  }
  FinishGreyScene(grey, 1.0, 0.99, 0.96, 3, rng, &s);
  return s;
}

}  // namespace

Scene LongStripScene() {
  return {"long-strip",
          "a long ground-metal strip, 1200x300 px, skewed grinding marks and changing light; one thin, faint zigzag crack",
          {"crack"},
          32,
          16,
          16,
          DrawLongStrip};
}

}  // namespace anomalens
