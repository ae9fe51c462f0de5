// Four-lane float vectors through the compiler's vector extensions. The same
// source compiles to SSE on x86-64 and to SIMD128 under Emscripten -msimd128,
// and every lane does the same arithmetic in the same order on both, so the
// kernels give bit-identical results on every target.
#ifndef ANOMALENS_CORE_BASE_SIMD_H_
#define ANOMALENS_CORE_BASE_SIMD_H_

#include <cstdint>
#include <cstring>

namespace anomalens {

typedef float f32x4 __attribute__((vector_size(16)));
typedef int32_t i32x4 __attribute__((vector_size(16)));

// Unaligned load and store: tensors are plain std::vector<float>.
inline f32x4 Load4(const float* p) {
  f32x4 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void Store4(float* p, f32x4 v) { std::memcpy(p, &v, sizeof(v)); }
inline f32x4 Splat4(float x) { return f32x4{x, x, x, x}; }

// Lane-wise select by comparison mask (GCC and Clang both support vector
// comparisons yielding all-ones lanes; ?: on vectors is less portable).
inline f32x4 Select4(i32x4 mask, f32x4 a, f32x4 b) {
  return reinterpret_cast<f32x4>((mask & reinterpret_cast<i32x4>(a)) |
                                 (~mask & reinterpret_cast<i32x4>(b)));
}
inline f32x4 Max4(f32x4 a, f32x4 b) { return Select4(a > b, a, b); }
inline f32x4 Min4(f32x4 a, f32x4 b) { return Select4(a < b, a, b); }
inline f32x4 Relu6x4(f32x4 v) { return Min4(Max4(v, Splat4(0.0f)), Splat4(6.0f)); }
// Lane-wise conversion toward zero, as static_cast<int32_t> does a float
// (the lanes must be in int32_t's range).
inline i32x4 TruncateToInt4(f32x4 v) { return __builtin_convertvector(v, i32x4); }

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BASE_SIMD_H_
