// Procedural texture pieces the synthetic scenes are drawn from: smooth
// lattice noise, its fractal sum, a cellular (Voronoi) pattern of grains,
// and a few geometric helpers. Only + - * / and sqrt (correctly rounded in
// IEEE arithmetic), so every target draws the same bytes; no sin, cos or pow,
// whose libm results differ in the last bit between platforms.
#ifndef ANOMALENS_CORE_SYNTHETIC_PROCEDURAL_TEXTURE_H_
#define ANOMALENS_CORE_SYNTHETIC_PROCEDURAL_TEXTURE_H_

#include <cstdint>

#include "core/synthetic/seeded_random.h"

namespace anomalens {

// 3t^2 - 2t^3 of x's position between e0 and e1, clamped to [0, 1].
double Smoothstep(double e0, double e1, double x);

// Rounds to the nearest byte value, clamped to [0, 255].
uint8_t ToByte(double v);

// Smooth noise in [0, 1): random values on the integer lattice, blended by
// smoothstep. (x, y) in lattice units; scale them for the feature size.
double SceneValueNoise(uint64_t seed, double x, double y);

// `octaves` layers of SceneValueNoise, each at twice the frequency and half the
// amplitude of the last, normalised back to [0, 1).
double FractalNoise(uint64_t seed, double x, double y, int octaves);

// The nearest two grain centres of a cellular pattern: one jittered centre
// in each `cell` x `cell` square of the plane.
struct CellularSample {
  double f1 = 0, f2 = 0;              // distances to the nearest and the second nearest centre
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;  // those centres
  uint64_t id1 = 0, id2 = 0;          // their grains' hashes (stable per grain)
};
CellularSample Cellular(uint64_t seed, double x, double y, double cell);

// A direction of unit length, uniform over angles, drawn without trigonometry
// (rejection from the unit disc).
void RandomDirection(SeededRandom& rng, double* dx, double* dy);

// Distance from (px, py) to the segment (ax, ay)-(bx, by); `t` receives the
// position of the nearest point along it, 0 at a and 1 at b.
double DistanceToSegment(double px, double py, double ax, double ay, double bx, double by, double* t = nullptr);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SYNTHETIC_PROCEDURAL_TEXTURE_H_
