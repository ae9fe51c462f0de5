// Smooth random fields for defect outlines and masks: value noise (random
// values on an integer lattice, blended with a smoothstep polynomial), a
// cheap cousin of Perlin noise made of + - * only, so every target computes
// the same bits.
#ifndef ANOMALENS_CORE_SELFCHECK_VALUE_NOISE_H_
#define ANOMALENS_CORE_SELFCHECK_VALUE_NOISE_H_

#include <cstdint>

namespace anomalens {

// Noise in [0, 1) at (x, y), with one lattice cell a unit square; the field
// named by `seed` is continuous and smooth between lattice points.
double ValueNoise(uint64_t seed, double x, double y);

// Two octaves of ValueNoise with cells of `scale` and `scale / 2` pixels,
// weighted 2:1, in [0, 1).
double SmoothNoise(uint64_t seed, double x, double y, double scale);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SELFCHECK_VALUE_NOISE_H_
