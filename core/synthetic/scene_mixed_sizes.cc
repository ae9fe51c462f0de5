// Scene "mixed-sizes": polished granite of five image sizes in one set
// (192x192 to 448x288 px): grains of four minerals in colour. Defects made of
// whole grains: an inclusion (a cluster of grains of a foreign, rust-coloured
// mineral) and a vein (a band of green epidote grains across part of the
// stone).
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/synthetic/procedural_texture.h"
#include "core/synthetic/scene.h"

namespace anomalens {
namespace {

enum Defect { kInclusion = 0, kVein = 1 };

constexpr int kSizes[5][2] = {{192, 192}, {256, 320}, {320, 240}, {384, 384}, {448, 288}};

// The stone's minerals, and how often each grain is one of them (out of 100).
constexpr double kMinerals[4][3] = {{215, 212, 205}, {120, 118, 115}, {196, 150, 140}, {38, 36, 38}};
constexpr int kShare[4] = {40, 30, 20, 10};
constexpr double kRust[3] = {170, 88, 40}, kEpidote[3] = {118, 160, 104};

SceneSample DrawMixedSizes(uint64_t stream, int defect) {
  SeededRandom rng(stream);
  const int size = rng.Below(5);
  const int w = kSizes[size][0], h = kSizes[size][1];
  SceneSample s = NewSceneSample(w, h);
  const uint64_t texture = rng.Next();
  const double cell = rng.Uniform(4.5, 6);
  const double light = rng.Uniform(0.93, 1.07);
  // Inclusion: grains whose centre lies within `radius` of (cx, cy), most of
  // them. Vein: grains whose centre lies within `radius` of the segment.
  const double cx = rng.Uniform(0.2 * w, 0.8 * w), cy = rng.Uniform(0.2 * h, 0.8 * h);
  double dx = 1, dy = 0;
  RandomDirection(rng, &dx, &dy);
  const double radius = defect == kInclusion ? rng.Uniform(6, 12) : rng.Uniform(2, 3.5);
  const double half_length = rng.Uniform(15, 40);
  // The grain under the defect's centre always belongs to it, so no defect is empty.
  const uint64_t centre_grain = Cellular(texture, cx, cy, cell).id1;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const CellularSample c = Cellular(texture, x, y, cell);
      const int pick = static_cast<int>(c.id1 % 100);
      int mineral = 0;
      for (int m = 0, share = 0; m < 4; ++m) {
        share += kShare[m];
        if (pick < share) {
          mineral = m;
          break;
        }
      }
      const double* colour = kMinerals[mineral];
      bool foreign = false;
      if (defect == kInclusion) {
        const double d2 = (c.x1 - cx) * (c.x1 - cx) + (c.y1 - cy) * (c.y1 - cy);
        foreign = c.id1 == centre_grain || (d2 < radius * radius && (MixBits(c.id1) % 10) < 8);
        if (foreign) colour = kRust;
      } else if (defect == kVein) {
        foreign = c.id1 == centre_grain || DistanceToSegment(c.x1, c.y1, cx - dx * half_length, cy - dy * half_length, cx + dx * half_length,
                                    cy + dy * half_length) < radius;
        if (foreign) colour = kEpidote;
      }
      const double tone = (0.88 + 0.24 * UnitFromBits(MixBits(c.id1 + 7))) * light;
      const double polish = 0.94 + 0.12 * SceneValueNoise(texture + 1, x / 40.0, y / 40.0);
      const double n = rng.Uniform(-3, 3);
      uint8_t* p = s.image.at(x, y);
      for (int k = 0; k < 3; ++k) p[k] = ToByte(colour[k] * tone * polish + n);
      if (foreign) s.mask[static_cast<size_t>(y) * w + x] = 255;
    }
  }
  return s;
}

}  // namespace

Scene MixedSizesScene() {
  return {"mixed-sizes",
          "polished granite in five image sizes (192x192 to 448x288 px), grains of four minerals; inclusions of a "
          "foreign mineral and epidote veins, made of whole grains",
          {"inclusion", "vein"},
          32,
          16,
          16,
          DrawMixedSizes};
}

}  // namespace anomalens
