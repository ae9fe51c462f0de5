// IEEE 754 half precision (binary16), converted by integer arithmetic alone,
// so every target (native and wasm) gets the same bits. The dark-spot bank
// stores its vectors as halves: the model file's largest section, halved,
// at no measured cost (bsdata-pitting: the same image ROCAUC, F1 and pixel
// ROCAUC to six digits; docs/model.md).
#ifndef ANOMALENS_CORE_BASE_HALF_FLOAT_H_
#define ANOMALENS_CORE_BASE_HALF_FLOAT_H_

#include <cstdint>

namespace anomalens {

// The nearest half (ties to even). Magnitudes past the largest finite half
// (65504) become that largest half of the same sign; NaN becomes a quiet NaN.
uint16_t FloatToHalf(float value);

// The half's value, exactly (every half is a float).
float HalfToFloat(uint16_t half);

// Whether the half is finite (not an infinity or NaN).
bool HalfIsFinite(uint16_t half);

// value rounded to the nearest half: HalfToFloat(FloatToHalf(value)).
inline float RoundToHalf(float value) { return HalfToFloat(FloatToHalf(value)); }

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BASE_HALF_FLOAT_H_
