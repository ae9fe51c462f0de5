#include "core/base/half_float.h"

#include <cstring>

namespace anomalens {

uint16_t FloatToHalf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u) return static_cast<uint16_t>(sign | 0x7E00u);  // NaN
  // 65520 and up round past the largest finite half (65504): saturate.
  if (magnitude >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7BFFu);
  if (magnitude < 0x38800000u) {
    // Below the smallest normal half (2^-14): a subnormal half, in units of
    // 2^-24, rounded to nearest even; 0 below 2^-25.
    if (magnitude < 0x33000000u) return sign;
    const uint32_t exponent = magnitude >> 23;
    const uint32_t mantissa = (magnitude & 0x7FFFFFu) | 0x800000u;
    const int shift = static_cast<int>(126 - exponent);  // 14 to 24: value = mantissa x 2^(exponent - 150)
    const uint32_t half_mantissa = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    const uint32_t rounded = half_mantissa + (rest > halfway || (rest == halfway && (half_mantissa & 1u)) ? 1u : 0u);
    return static_cast<uint16_t>(sign | rounded);
  }
  // A normal half: rebias the exponent (127 -> 15), round the mantissa's 13
  // dropped bits to nearest even (a carry may step the exponent: still right).
  const uint32_t rebased = magnitude - 0x38000000u;
  const uint32_t rest = rebased & 0x1FFFu;
  uint32_t half = rebased >> 13;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return static_cast<uint16_t>(sign | half);
}

float HalfToFloat(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1Fu;
  uint32_t mantissa = half & 0x3FFu;
  uint32_t bits;
  if (exponent == 0x1Fu) {
    bits = sign | 0x7F800000u | (mantissa << 13);  // infinity or NaN
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal: normalize.
    int e = 113;
    while (!(mantissa & 0x400u)) mantissa <<= 1, --e;
    bits = sign | (static_cast<uint32_t>(e) << 23) | ((mantissa & 0x3FFu) << 13);
  }
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

bool HalfIsFinite(uint16_t half) { return (half & 0x7C00u) != 0x7C00u; }

}  // namespace anomalens
