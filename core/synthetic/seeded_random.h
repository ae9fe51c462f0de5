// SeededRandom: SplitMix64, small, fast and the same on every target (no
// std:: distributions, whose output differs between standard libraries).
// HashCoordinates gives the same kind of number for a lattice point, so
// procedural textures need no stored tables.
#ifndef ANOMALENS_CORE_SYNTHETIC_SEEDED_RANDOM_H_
#define ANOMALENS_CORE_SYNTHETIC_SEEDED_RANDOM_H_

#include <cstdint>

namespace anomalens {

// SplitMix64's output function: a well-mixed 64-bit value for any input.
inline uint64_t MixBits(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A mixed value for integer lattice point (x, y) of the texture named by `seed`.
inline uint64_t HashCoordinates(uint64_t seed, int64_t x, int64_t y) {
  return MixBits(seed ^ MixBits(static_cast<uint64_t>(x) * 0x9E3779B97F4A7C15ull +
                                static_cast<uint64_t>(y) * 0xC2B2AE3D27D4EB4Full));
}

// Uniform in [0, 1) from the top 53 bits of `bits`.
inline double UnitFromBits(uint64_t bits) { return (bits >> 11) * (1.0 / 9007199254740992.0); }

class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return MixBits(state_ += 0x9E3779B97F4A7C15ull); }
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * UnitFromBits(Next()); }
  // Uniform integer in [0, n); n > 0.
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }

 private:
  uint64_t state_;
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SYNTHETIC_SEEDED_RANDOM_H_
