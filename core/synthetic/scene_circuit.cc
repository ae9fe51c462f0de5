// Scene "circuit": binary scans of circuit-board copper, 448x448 px, white
// traces 5 to 7 px wide on black, routed along a 16 px grid with 45-degree
// corners, ending in round pads with drill holes; every board is a different
// layout. Defects of a few pixels, as bare-board inspection finds them: a
// pinhole in a trace, a spur of copper off a trace's edge, an open (a trace cut
// through) and a mouse bite (a bite out of a trace's edge).
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/synthetic/procedural_texture.h"
#include "core/synthetic/scene.h"

namespace anomalens {
namespace {

enum Defect { kPinhole = 0, kSpur = 1, kOpen = 2, kMouseBite = 3 };

constexpr int kSize = 448;
constexpr int kGrid = 16;

struct Segment {
  double ax, ay, bx, by, half_width;
};

class Copper {
 public:
  Copper(int w, int h) : w_(w), h_(h), on_(static_cast<size_t>(w) * h, 0) {}
  int width() const { return w_; }
  int height() const { return h_; }
  bool at(int x, int y) const { return x >= 0 && y >= 0 && x < w_ && y < h_ && on_[static_cast<size_t>(y) * w_ + x]; }
  void Set(int x, int y, bool v) {
    if (x >= 0 && y >= 0 && x < w_ && y < h_) on_[static_cast<size_t>(y) * w_ + x] = v;
  }
  // Every pixel whose centre lies within `r` of the segment a-b gets `v`.
  void Capsule(double ax, double ay, double bx, double by, double r, bool v) {
    for (int y = static_cast<int>(std::min(ay, by) - r - 1); y <= static_cast<int>(std::max(ay, by) + r + 1); ++y)
      for (int x = static_cast<int>(std::min(ax, bx) - r - 1); x <= static_cast<int>(std::max(ax, bx) + r + 1); ++x)
        if (DistanceToSegment(x, y, ax, ay, bx, by) <= r) Set(x, y, v);
  }
  const std::vector<uint8_t>& pixels() const { return on_; }

 private:
  int w_, h_;
  std::vector<uint8_t> on_;
};

// Draws a random board; returns the traces' straight segments (where defects go).
std::vector<Segment> DrawBoard(SeededRandom& rng, Copper* copper) {
  const int cells = copper->width() / kGrid;
  const double lo = 2.0 * kGrid, hi = (cells - 2.0) * kGrid;
  std::vector<Segment> segments;
  std::vector<double> pads;  // x, y pairs
  const int traces = 14 + rng.Below(8);
  for (int t = 0; t < traces; ++t) {
    const double half_width = (5 + 2 * rng.Below(2)) / 2.0;
    double x = kGrid * (2 + rng.Below(cells - 3)), y = kGrid * (2 + rng.Below(cells - 3));
    pads.push_back(x);
    pads.push_back(y);
    const bool horizontal_first = rng.Below(2) == 0;
    const int legs = 2 + rng.Below(2);
    double sign = rng.Below(2) ? 1 : -1;
    for (int leg = 0; leg < legs; ++leg) {
      const bool horizontal = (leg % 2 == 0) == horizontal_first;
      const double next_sign = rng.Below(2) ? 1 : -1;
      const double reach = kGrid * (3 + rng.Below(9));
      double nx = x, ny = y;
      if (horizontal) nx = std::clamp(x + sign * reach, lo, hi);
      else ny = std::clamp(y + sign * reach, lo, hi);
      const double moved = (nx - x) + (ny - y);
      if (moved * sign < kGrid) break;  // the board's edge is too near: the trace ends here
      const double ux = (nx - x) / std::abs(moved), uy = (ny - y) / std::abs(moved);
      // A 45-degree corner cuts each bend by half a grid step.
      const double cut = leg + 1 < legs ? kGrid / 2.0 : 0;
      const double ex = nx - ux * cut, ey = ny - uy * cut;
      segments.push_back({x, y, ex, ey, half_width});
      copper->Capsule(x, y, ex, ey, half_width, true);
      x = nx;
      y = ny;
      if (cut > 0) {
        // The corner's far end lies half a step along the next leg's direction.
        if (horizontal) y += next_sign * cut;
        else x += next_sign * cut;
        copper->Capsule(ex, ey, x, y, half_width, true);
      }
      sign = next_sign;
    }
    pads.push_back(x);
    pads.push_back(y);
  }
  for (size_t p = 0; p < pads.size(); p += 2) copper->Capsule(pads[p], pads[p + 1], pads[p], pads[p + 1], 6.5, true);
  for (size_t p = 0; p < pads.size(); p += 2) copper->Capsule(pads[p], pads[p + 1], pads[p], pads[p + 1], 2.5, false);
  return segments;
}

// Applies one defect on a straight part of a trace; false when the chosen
// place changed nothing (the caller tries another).
bool DrawDefect(SeededRandom& rng, int defect, const std::vector<Segment>& segments, Copper* copper) {
  if (segments.empty()) return false;
  const Segment& s = segments[static_cast<size_t>(rng.Below(static_cast<int>(segments.size())))];
  const double length = std::sqrt((s.bx - s.ax) * (s.bx - s.ax) + (s.by - s.ay) * (s.by - s.ay));
  if (length < 24) return false;
  const double dx = (s.bx - s.ax) / length, dy = (s.by - s.ay) / length;
  const double t = rng.Uniform(10, length - 10);  // clear of the pads at the ends
  const double cx = s.ax + t * dx, cy = s.ay + t * dy;
  const double side = rng.Below(2) ? 1 : -1;
  const double nx = -dy * side, ny = dx * side;  // toward one edge
  switch (defect) {
    case kPinhole: {
      const double r = rng.Uniform(1.0, 1.6);
      const double off = rng.Uniform(-0.8, 0.8);
      copper->Capsule(cx + off * nx, cy + off * ny, cx + off * nx, cy + off * ny, r, false);
      break;
    }
    case kSpur: {
      const double reach = rng.Uniform(3, 5), lean = rng.Uniform(-2, 2);
      const double ex = cx + nx * s.half_width, ey = cy + ny * s.half_width;
      copper->Capsule(ex, ey, ex + nx * reach + dx * lean, ey + ny * reach + dy * lean, rng.Uniform(0.8, 1.3), true);
      break;
    }
    case kOpen: {
      const double gap = rng.Uniform(1.0, 2.0);  // half the gap's width along the trace
      const double skew = rng.Uniform(-1.5, 1.5);
      copper->Capsule(cx - nx * (s.half_width + 2) - dx * skew, cy - ny * (s.half_width + 2) - dy * skew,
                      cx + nx * (s.half_width + 2) + dx * skew, cy + ny * (s.half_width + 2) + dy * skew, gap, false);
      break;
    }
    case kMouseBite: {
      const double r = rng.Uniform(1.8, 2.6);
      const double ex = cx + nx * (s.half_width + 0.3), ey = cy + ny * (s.half_width + 0.3);
      copper->Capsule(ex, ey, ex, ey, r, false);
      break;
    }
  }
  return true;
}

SceneSample DrawCircuit(uint64_t stream, int defect) {
  SeededRandom rng(stream);
  SceneSample s = NewSceneSample(kSize, kSize);
  Copper copper(kSize, kSize);
  const std::vector<Segment> segments = DrawBoard(rng, &copper);
  if (defect >= 0) {
    for (int attempt = 0; attempt < 1000; ++attempt) {
      Copper changed = copper;
      if (!DrawDefect(rng, defect, segments, &changed)) continue;
      bool any = false;
      for (size_t i = 0; i < s.mask.size(); ++i) {
        s.mask[i] = changed.pixels()[i] != copper.pixels()[i] ? 255 : 0;
        any = any || s.mask[i];
      }
      if (any) {
        copper = changed;
        break;
      }
    }
  }
  // A binary scan: copper white, substrate black.
  for (size_t i = 0; i < copper.pixels().size(); ++i)
    for (int c = 0; c < 3; ++c) s.image.pixels[i * 3 + c] = copper.pixels()[i] ? 255 : 0;
  return s;
}

}  // namespace

Scene CircuitScene() {
  return {"circuit",
          "binary circuit-board scans, 448x448 px, traces 5 to 7 px wide with pads and drill holes; pinholes, spurs, "
          "opens and mouse bites of a few px",
          {"pinhole", "spur", "open", "mouse-bite"},
          32,
          16,
          16,
          DrawCircuit};
}

}  // namespace anomalens
