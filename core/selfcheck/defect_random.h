// The synthetic defects' random numbers: SplitMix64, small and the same on
// every target (no std:: distributions, whose output differs between
// standard libraries), and a hash of lattice points for the value noise.
#ifndef ANOMALENS_CORE_SELFCHECK_DEFECT_RANDOM_H_
#define ANOMALENS_CORE_SELFCHECK_DEFECT_RANDOM_H_

#include <cstdint>

namespace anomalens {

// SplitMix64's output function: a well-mixed 64-bit hash of `z`.
inline uint64_t MixBits(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class DefectRandom {
 public:
  explicit DefectRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return MixBits(state_ += 0x9E3779B97F4A7C15ull); }
  // Uniform in [0, 1), 53 bits.
  double Unit() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Unit(); }
  // Uniform integer in [0, n), n >= 1.
  int Below(int n) { return static_cast<int>(Unit() * n); }
  bool Coin() { return (Next() >> 63) != 0; }

 private:
  uint64_t state_;
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SELFCHECK_DEFECT_RANDOM_H_
