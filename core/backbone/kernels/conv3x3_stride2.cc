#include "core/backbone/kernels/conv3x3_stride2.h"

#include <vector>

#include "core/base/simd.h"

namespace anomalens {

Tensor Conv3x3Stride2(const Tensor& input, const float* kernel, const float* bias, int cout,
                      Activation activation) {
  const int cin = input.channels;
  Tensor out(input.height / 2, input.width / 2, cout);
  const int vectors = cout / 4;
  std::vector<f32x4> acc(vectors);
  for (int oy = 0; oy < out.height; ++oy) {
    for (int ox = 0; ox < out.width; ++ox) {
      for (int v = 0; v < vectors; ++v) acc[v] = Load4(bias + 4 * v);
      for (int ky = 0; ky < 3; ++ky) {
        const int iy = 2 * oy + ky;
        if (iy >= input.height) continue;  // the zero row Keras pads at the bottom
        for (int kx = 0; kx < 3; ++kx) {
          const int ix = 2 * ox + kx;
          if (ix >= input.width) continue;  // the zero column at the right
          const float* pixel = input.at(iy, ix);
          const float* w = kernel + (ky * 3 + kx) * cin * cout;
          for (int ci = 0; ci < cin; ++ci) {
            const f32x4 a = Splat4(pixel[ci]);
            const float* wrow = w + ci * cout;
            for (int v = 0; v < vectors; ++v) acc[v] += a * Load4(wrow + 4 * v);
          }
        }
      }
      float* dst = out.at(oy, ox);
      for (int v = 0; v < vectors; ++v) {
        Store4(dst + 4 * v, activation == Activation::kRelu6 ? Relu6x4(acc[v]) : acc[v]);
      }
    }
  }
  return out;
}

}  // namespace anomalens
