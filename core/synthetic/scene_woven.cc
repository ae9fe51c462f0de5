// Scene "woven": plain-weave fabric, 288x288 px, threads 10 px apart, each
// thread a little different in tone, with fibre grain along it; the weave's
// phase shifts from image to image. Defects: a broken warp thread (a few
// crossings of one vertical thread missing, the weft showing through) and a
// float (a weft thread that stays on top over several crossings where it
// should pass under).
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/synthetic/procedural_texture.h"
#include "core/synthetic/scene.h"

namespace anomalens {
namespace {

enum Defect { kBrokenThread = 0, kFloat = 1 };

constexpr int kSize = 288;
constexpr double kPeriod = 10;

// A run of crossings that the defect changes: warp column `column`, or weft
// row `row`, from crossing `first` to `last`.
struct WeaveFault {
  int kind = -1;
  int column = 0, row = 0, first = 0, last = -1;
};

// 0 at a thread's edge, 1 on its crown, below 0 in the gap between threads.
double Crown(double f) {
  const double u = (f - 0.5) / 0.4;
  return 1 - u * u;
}

// The colour of the cloth at (x, y) with the weave offset by (ox, oy).
void Cloth(uint64_t texture, double x, double y, double ox, double oy, const WeaveFault& fault, double rgb[3]) {
  const double u = (x + ox) / kPeriod, v = (y + oy) / kPeriod;
  const double fi = std::floor(u), fj = std::floor(v);
  const int i = static_cast<int>(fi), j = static_cast<int>(fj);
  const double fu = u - fi, fv = v - fj;
  bool warp_on_top = ((i + j) & 1) == 0;
  bool warp_present = true;
  if (fault.kind == kBrokenThread && i == fault.column && j >= fault.first && j <= fault.last) warp_present = false;
  if (fault.kind == kFloat && j == fault.row && i >= fault.first && i <= fault.last) warp_on_top = false;
  const double warp = Crown(fu), weft = Crown(fv);
  const double warp_tone = 0.9 + 0.2 * UnitFromBits(HashCoordinates(texture, i, -1));
  const double weft_tone = 0.9 + 0.2 * UnitFromBits(HashCoordinates(texture, -1, j));
  double shade = 0;
  const double* colour = nullptr;
  static const double kWarp[3] = {205, 188, 150}, kWeft[3] = {168, 160, 132}, kGap[3] = {45, 40, 35};
  if (warp_present && warp > 0 && (warp_on_top || weft <= 0)) {
    // The warp dips where it passes under a weft: darker toward the crossing's ends.
    const double dip = warp_on_top ? 1 - 0.35 * (2 * fv - 1) * (2 * fv - 1) : 0.6;
    shade = (0.55 + 0.45 * warp) * dip * warp_tone * (0.92 + 0.16 * SceneValueNoise(texture + 2, x / 1.2, y / 6.0));
    colour = kWarp;
  } else if (weft > 0) {
    const double dip = !warp_on_top || !warp_present ? 1 - 0.35 * (2 * fu - 1) * (2 * fu - 1) : 0.6;
    shade = (0.55 + 0.45 * weft) * dip * weft_tone * (0.92 + 0.16 * SceneValueNoise(texture + 3, x / 6.0, y / 1.2));
    colour = kWeft;
  } else {
    shade = 1;
    colour = kGap;
  }
  for (int c = 0; c < 3; ++c) rgb[c] = colour[c] * shade;
}

SceneSample DrawWoven(uint64_t stream, int defect) {
  SeededRandom rng(stream);
  const int w = kSize, h = kSize;
  SceneSample s = NewSceneSample(w, h);
  const uint64_t texture = rng.Next();
  const double ox = rng.Uniform(0, 2 * kPeriod), oy = rng.Uniform(0, 2 * kPeriod);
  const double light = rng.Uniform(0.93, 1.07);
  WeaveFault fault;
  if (defect >= 0) {
    fault.kind = defect;
    const int crossings = w / static_cast<int>(kPeriod);
    const int length = defect == kBrokenThread ? 2 + rng.Below(4) : 3 + rng.Below(4);
    fault.column = 3 + rng.Below(crossings - 6);
    fault.row = 3 + rng.Below(crossings - 6);
    fault.first = 3 + rng.Below(crossings - 6 - length);
    fault.last = fault.first + length - 1;
  }
  const WeaveFault none;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double clean[3], cloth[3];
      Cloth(texture, x, y, ox, oy, none, clean);
      Cloth(texture, x, y, ox, oy, fault, cloth);
      const double n = rng.Uniform(-3, 3);
      uint8_t* p = s.image.at(x, y);
      for (int c = 0; c < 3; ++c) p[c] = ToByte(cloth[c] * light + n);
      // The mask is exactly where the fault changes the cloth.
      if (clean[0] != cloth[0] || clean[1] != cloth[1] || clean[2] != cloth[2]) s.mask[static_cast<size_t>(y) * w + x] = 255;
    }
  }
  return s;
}

}  // namespace

Scene WovenScene() {
  return {"woven",
          "plain-weave fabric, 288x288 px, threads 10 px apart; broken warp threads and weft floats",
          {"broken-thread", "float"},
          32,
          16,
          16,
          DrawWoven};
}

}  // namespace anomalens
