// Scene "circuit": binary scans of circuit-board copper, 448x448 px, white
// traces 5 to 7 px wide on black, routed along a 16 px grid with 45-degree
// corners, ending in round pads with drill holes; every board is a different
// layout, drawn to clearance rules as a real one-layer board is (traces never
// touch or cross; see "Design rules" below). Defects of a few pixels, as bare-board inspection finds them: a
// pinhole in a trace, a spur of copper off a trace's edge, an open (a trace cut
// through) and a mouse bite (a bite out of a trace's edge).
//
// Scene "circuit-640": the same boards at 640x640 px (as many traces per
// area, so about twice as many), with the same defects in image pixels:
// few-pixel defects on images whose finer scale (448 px) is a downscale
// (issue 16: real PCB scans at 640x640).
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/synthetic/procedural_texture.h"
#include "core/synthetic/scene.h"

namespace anomalens {
namespace {

enum Defect { kPinhole = 0, kSpur = 1, kOpen = 2, kMouseBite = 3 };

constexpr int kSize = 448;
constexpr int kLargeSize = 640;
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

// Design rules, in grid steps and pixels. A trace claims every grid node it
// passes through, and no other trace may use a claimed node, so traces never
// cross or touch: parallel traces on neighbouring grid lines keep 16 - 7 = 9 px
// of substrate between them, a trace ending one node short of another keeps
// 9 px, a pad beside a trace 16 - 6.5 - 3.5 = 6 px. Pads (13 px across) never
// sit on neighbouring nodes (which would leave 3 px between them): an end pad
// keeps at least one free node between itself and every other pad. A real
// one-layer board is drawn to such clearances (a crossing would be a short);
// before this, traces were drawn independently and ran into each other,
// leaving slivers, notches and drills through crossings on normal boards that
// looked like the defects (docs/model.md, "Circuit").
constexpr double kPadRadius = 6.5;
constexpr double kDrillRadius = 2.5;

struct Node {
  int i, j;
};

class Routing {
 public:
  explicit Routing(int cells) : cells_(cells), owner_(static_cast<size_t>(cells) * cells, -1) {}
  bool Free(Node n) const { return owner_[Index(n)] < 0; }
  void Claim(Node n, int trace) { owner_[Index(n)] = trace; }
  // True when a pad at `n` would be a node or less from a pad already placed.
  bool CrowdsAPad(Node n, const std::vector<Node>& more_pads) const {
    for (const std::vector<Node>* list : {&pads_, &more_pads})
      for (const Node& p : *list)
        if (std::abs(p.i - n.i) <= 1 && std::abs(p.j - n.j) <= 1) return true;
    return false;
  }
  void AddPad(Node n) { pads_.push_back(n); }
  const std::vector<Node>& pads() const { return pads_; }

 private:
  size_t Index(Node n) const { return static_cast<size_t>(n.j) * cells_ + n.i; }
  int cells_;
  std::vector<int> owner_;
  std::vector<Node> pads_;
};

// Plans one trace as the grid nodes it runs through, in order: up to `legs`
// straight legs at right angles, each stopping one node short of anything
// already claimed, the end moved back until its pad keeps clear of other pads.
// Empty when the trace has no room.
std::vector<Node> PlanTrace(SeededRandom& rng, int cells, const Routing& routing) {
  const int lo = 2, hi = cells - 2;
  const Node start = {2 + rng.Below(cells - 3), 2 + rng.Below(cells - 3)};
  const bool horizontal_first = rng.Below(2) == 0;
  const int legs = 2 + rng.Below(2);
  int sign = rng.Below(2) ? 1 : -1;
  std::vector<int> signs, reaches;
  for (int leg = 0; leg < legs; ++leg) {
    signs.push_back(rng.Below(2) ? 1 : -1);
    reaches.push_back(3 + rng.Below(9));
  }
  if (!routing.Free(start) || routing.CrowdsAPad(start, {})) return {};
  std::vector<Node> path = {start};
  auto on_path = [&path](Node n) {
    for (const Node& p : path)
      if (p.i == n.i && p.j == n.j) return true;
    return false;
  };
  for (int leg = 0; leg < legs; ++leg) {
    const bool horizontal = (leg % 2 == 0) == horizontal_first;
    const size_t before = path.size();
    for (int step = 0; step < reaches[static_cast<size_t>(leg)]; ++step) {
      Node next = path.back();
      (horizontal ? next.i : next.j) += sign;
      const int along = horizontal ? next.i : next.j;
      if (along < lo || along > hi || !routing.Free(next) || on_path(next)) break;
      path.push_back(next);
    }
    if (path.size() == before) break;  // blocked at once: the trace ends here
    // A one-step leg between two corners would be a hairpin whose two 45-degree
    // cuts meet in a point, leaving a sharp wedge of substrate: end it here.
    if (leg > 0 && path.size() == before + 1) break;
    sign = signs[static_cast<size_t>(leg)];
  }
  while (path.size() >= 2 && routing.CrowdsAPad(path.back(), {start})) path.pop_back();
  if (path.size() < 2) return {};
  return path;
}

// Draws a random board; returns the traces' straight segments (where defects go).
std::vector<Segment> DrawBoard(SeededRandom& rng, Copper* copper) {
  const int cells = copper->width() / kGrid;
  Routing routing(cells);
  std::vector<Segment> segments;
  // As many traces per area as on the 448 px boards (the same draws there).
  // Integer arithmetic, rounded to nearest: the same bytes on every target.
  const long long area = static_cast<long long>(copper->width()) * copper->height();
  const int traces = static_cast<int>(((14 + rng.Below(8)) * area + kSize * kSize / 2) / (kSize * kSize));
  for (int t = 0; t < traces; ++t) {
    const double half_width = (5 + 2 * rng.Below(2)) / 2.0;
    const std::vector<Node> path = PlanTrace(rng, cells, routing);
    if (path.empty()) continue;
    for (const Node& n : path) routing.Claim(n, t);
    routing.AddPad(path.front());
    routing.AddPad(path.back());
    // The path's corners (where it turns) and ends; every corner is cut at 45
    // degrees, half a grid step along each leg.
    std::vector<Node> vertices = {path.front()};
    for (size_t k = 1; k + 1 < path.size(); ++k) {
      const bool turns = (path[k + 1].i - path[k].i) != (path[k].i - path[k - 1].i);
      if (turns) vertices.push_back(path[k]);
    }
    vertices.push_back(path.back());
    const double cut = kGrid / 2.0;
    for (size_t v = 0; v + 1 < vertices.size(); ++v) {
      const double ax = kGrid * vertices[v].i, ay = kGrid * vertices[v].j;
      const double bx = kGrid * vertices[v + 1].i, by = kGrid * vertices[v + 1].j;
      const double length = std::abs(bx - ax) + std::abs(by - ay);
      const double ux = (bx - ax) / length, uy = (by - ay) / length;
      const double start_cut = v > 0 ? cut : 0, end_cut = v + 2 < vertices.size() ? cut : 0;
      const double sx = ax + ux * start_cut, sy = ay + uy * start_cut;
      const double ex = bx - ux * end_cut, ey = by - uy * end_cut;
      segments.push_back({sx, sy, ex, ey, half_width});
      copper->Capsule(sx, sy, ex, ey, half_width, true);
      if (end_cut > 0) {
        // The corner: to half a step along the next leg.
        const double cx = kGrid * vertices[v + 2].i, cy = kGrid * vertices[v + 2].j;
        const double next_length = std::abs(cx - bx) + std::abs(cy - by);
        copper->Capsule(ex, ey, bx + (cx - bx) / next_length * cut, by + (cy - by) / next_length * cut, half_width,
                        true);
      }
    }
  }
  for (const Node& p : routing.pads())
    copper->Capsule(kGrid * p.i, kGrid * p.j, kGrid * p.i, kGrid * p.j, kPadRadius, true);
  for (const Node& p : routing.pads())
    copper->Capsule(kGrid * p.i, kGrid * p.j, kGrid * p.i, kGrid * p.j, kDrillRadius, false);
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

SceneSample DrawCircuitOfSize(uint64_t stream, int defect, int size) {
  SeededRandom rng(stream);
  SceneSample s = NewSceneSample(size, size);
  Copper copper(size, size);
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

SceneSample DrawCircuit(uint64_t stream, int defect) { return DrawCircuitOfSize(stream, defect, kSize); }
SceneSample DrawLargeCircuit(uint64_t stream, int defect) { return DrawCircuitOfSize(stream, defect, kLargeSize); }

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

Scene LargeCircuitScene() {
  // 120 normal training images: more than the upsampled candidate's
  // subsample (kMaxUpsampledNormalImages), as real PCB sets have.
  return {"circuit-640",
          "binary circuit-board scans, 640x640 px, as circuit's boards with as many traces per area; the same "
          "few-px pinholes, spurs, opens and mouse bites",
          {"pinhole", "spur", "open", "mouse-bite"},
          120,
          16,
          16,
          DrawLargeCircuit};
}

}  // namespace anomalens
