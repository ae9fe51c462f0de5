// Scratches and cracks: random walks 1 to 3 px wide. A scratch bends gently;
// a crack zig-zags and branches. The walk is as long as the area asks
// (area / width), split into strands no longer than the image so that a large
// defect branches instead of folding over itself.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/base/portable_math.h"
#include "core/selfcheck/defect_families.h"
#include "core/selfcheck/defect_shape.h"
#include "core/selfcheck/value_noise.h"

namespace anomalens {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kStep = 0.7;  // pixels between walk points
constexpr int kReach = 4;      // how far from the walk a pixel can be owned

struct Point {
  double x, y;
};

}  // namespace

void PaintScratch(const DefectRequest& request, DefectRandom& rng, SyntheticDefect& out) {
  const int width = request.source.width, height = request.source.height;
  const bool crack = rng.Coin();
  out.variant = crack ? "crack" : "scratch";
  int line_width = 1 + rng.Below(3);
  while (line_width > 1 && request.count / line_width < 8) --line_width;
  const double length = 1.15 * static_cast<double>(request.count) / line_width;
  const double strand_limit = 0.8 * std::max(width, height);

  std::vector<Point> walk;
  double walked = 0;
  while (walked < length) {
    Point p;
    double heading;
    if (walk.empty()) {
      p = {rng.Uniform(0.2, 0.8) * width, rng.Uniform(0.2, 0.8) * height};
      heading = rng.Uniform(0, 2 * kPi);
    } else {  // a branch from a point of the walk so far
      p = walk[rng.Below(static_cast<int>(walk.size()))];
      heading = rng.Uniform(0, 2 * kPi);
    }
    const double base = heading;
    double bend = rng.Uniform(-0.007, 0.007);
    const double strand = std::min(length - walked, strand_limit);
    for (double s = 0; s < strand; s += kStep) {
      walk.push_back(p);
      if (crack) {
        // Zig-zag about the base direction, never straying more than 60 degrees.
        heading = base + std::clamp(heading - base + rng.Uniform(-0.35, 0.35), -kPi / 3, kPi / 3);
      } else {
        // Curvature drifts slowly and stays gentle: a radius of 100 px or more.
        bend = std::clamp(bend + rng.Uniform(-0.0015, 0.0015), -0.007, 0.007);
        heading += bend;
      }
      double nx = p.x + kStep * PortableCos(heading), ny = p.y + kStep * PortableSin(heading);
      // Reflect off the image's edges.
      if (nx < 0.5 || nx > width - 0.5) {
        heading = kPi - heading;
        nx = p.x;
      }
      if (ny < 0.5 || ny > height - 0.5) {
        heading = -heading;
        ny = p.y;
      }
      p = {nx, ny};
    }
    walked += strand;
  }

  // Distance from each pixel near the walk to the walk; the nearest `count`
  // are the line. The walk is long enough (area / width, each point reaching
  // kReach px) that more than `count` pixels lie near it.
  double min_x = width, min_y = height, max_x = 0, max_y = 0;
  for (const Point& p : walk) {
    min_x = std::min(min_x, p.x);
    max_x = std::max(max_x, p.x);
    min_y = std::min(min_y, p.y);
    max_y = std::max(max_y, p.y);
  }
  const PixelWindow window = WindowAround((min_x + max_x) / 2, (min_y + max_y) / 2, (max_x - min_x) / 2 + kReach,
                                          (max_y - min_y) / 2 + kReach, width, height, request.count);
  const int ww = window.x1 - window.x0;
  // Floats (the distances are exact enough) halve the map of a long walk across a large image.
  std::vector<float> distance(window.area(), static_cast<float>(kOutsideShape));
  for (const Point& p : walk) {
    const int px = static_cast<int>(p.x), py = static_cast<int>(p.y);
    for (int y = std::max(window.y0, py - kReach); y < std::min(window.y1, py + kReach + 1); ++y) {
      for (int x = std::max(window.x0, px - kReach); x < std::min(window.x1, px + kReach + 1); ++x) {
        const double dx = x + 0.5 - p.x, dy = y + 0.5 - p.y;
        float& d = distance[static_cast<size_t>(y - window.y0) * ww + (x - window.x0)];
        d = std::min(d, static_cast<float>(std::sqrt(dx * dx + dy * dy)));
      }
    }
  }
  OwnLowest(
      window, width, request.count,
      [&](int x, int y) { return distance[static_cast<size_t>(y - window.y0) * ww + (x - window.x0)]; }, out.mask);

  const bool dark = ChooseDarkening(MeanLuminance(request.source, out.mask), rng);
  const double amplitude = request.contrast * 170.0 * (dark ? -1 : 1);
  const uint64_t noise_seed = rng.Next();
  for (int y = window.y0; y < window.y1; ++y) {
    for (int x = window.x0; x < window.x1; ++x) {
      if (!out.mask[static_cast<size_t>(y) * width + x]) continue;
      // The depth varies along the line, as a real scratch's does.
      const double depth = 0.7 + 0.3 * SmoothNoise(noise_seed, x + 0.5, y + 0.5, 12.0);
      uint8_t* p = out.image.at(x, y);
      for (int c = 0; c < 3; ++c) p[c] = ClampToByte(p[c] + amplitude * depth);
    }
  }
}

}  // namespace anomalens
