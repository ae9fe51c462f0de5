#include "core/backbone/kernels/pointwise_conv.h"

#include "core/base/simd.h"

namespace anomalens {
namespace {

// Register tile: kPixels output pixels by 8 output channels (two vectors).
// Each output lane sums over cin in ascending order whatever the tile, so the
// result does not depend on the tiling or the vector width.
constexpr int kPixels = 4;

inline f32x4 Finish(f32x4 v, Activation activation, const float* residual) {
  if (activation == Activation::kRelu6) v = Relu6x4(v);
  if (residual != nullptr) v += Load4(residual);
  return v;
}

}  // namespace

Tensor PointwiseConv(const Tensor& input, const float* kernel, const float* bias, int cout,
                     Activation activation, const Tensor* residual) {
  const int cin = input.channels;
  const size_t pixels = input.pixels();
  Tensor out(input.height, input.width, cout);
  const float* in = input.data.data();
  const float* res = residual != nullptr ? residual->data.data() : nullptr;
  float* dst = out.data.data();

  size_t p = 0;
  for (; p + kPixels <= pixels; p += kPixels) {
    int co = 0;
    for (; co + 8 <= cout; co += 8) {
      f32x4 acc[kPixels][2];
      const f32x4 b0 = Load4(bias + co), b1 = Load4(bias + co + 4);
      for (int i = 0; i < kPixels; ++i) acc[i][0] = b0, acc[i][1] = b1;
      for (int ci = 0; ci < cin; ++ci) {
        const f32x4 w0 = Load4(kernel + ci * cout + co);
        const f32x4 w1 = Load4(kernel + ci * cout + co + 4);
        for (int i = 0; i < kPixels; ++i) {
          const f32x4 a = Splat4(in[(p + i) * cin + ci]);
          acc[i][0] += a * w0;
          acc[i][1] += a * w1;
        }
      }
      for (int i = 0; i < kPixels; ++i) {
        const size_t o = (p + i) * cout + co;
        Store4(dst + o, Finish(acc[i][0], activation, res ? res + o : nullptr));
        Store4(dst + o + 4, Finish(acc[i][1], activation, res ? res + o + 4 : nullptr));
      }
    }
    for (; co < cout; co += 4) {
      f32x4 acc[kPixels];
      for (int i = 0; i < kPixels; ++i) acc[i] = Load4(bias + co);
      for (int ci = 0; ci < cin; ++ci) {
        const f32x4 w = Load4(kernel + ci * cout + co);
        for (int i = 0; i < kPixels; ++i) acc[i] += Splat4(in[(p + i) * cin + ci]) * w;
      }
      for (int i = 0; i < kPixels; ++i) {
        const size_t o = (p + i) * cout + co;
        Store4(dst + o, Finish(acc[i], activation, res ? res + o : nullptr));
      }
    }
  }
  for (; p < pixels; ++p) {  // the last pixels that do not fill a tile
    for (int co = 0; co < cout; co += 4) {
      f32x4 acc = Load4(bias + co);
      for (int ci = 0; ci < cin; ++ci) acc += Splat4(in[p * cin + ci]) * Load4(kernel + ci * cout + co);
      const size_t o = p * cout + co;
      Store4(dst + o, Finish(acc, activation, res ? res + o : nullptr));
    }
  }
  return out;
}

}  // namespace anomalens
