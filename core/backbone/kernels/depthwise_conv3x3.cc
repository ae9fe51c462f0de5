#include "core/backbone/kernels/depthwise_conv3x3.h"

#include "core/base/simd.h"

namespace anomalens {

Tensor DepthwiseConv3x3(const Tensor& input, const float* kernel, const float* bias, int stride,
                        Activation activation) {
  const int c = input.channels;
  // Stride 1 centres the window (offset -1); stride 2 starts it at the output
  // position times two, with the padding only past the bottom and right edges.
  const int offset = stride == 1 ? -1 : 0;
  Tensor out(stride == 1 ? input.height : input.height / 2,
             stride == 1 ? input.width : input.width / 2, c);
  for (int oy = 0; oy < out.height; ++oy) {
    for (int ox = 0; ox < out.width; ++ox) {
      float* dst = out.at(oy, ox);
      for (int ch = 0; ch < c; ch += 4) {
        f32x4 acc = Load4(bias + ch);
        for (int ky = 0; ky < 3; ++ky) {
          const int iy = oy * stride + ky + offset;
          if (iy < 0 || iy >= input.height) continue;
          for (int kx = 0; kx < 3; ++kx) {
            const int ix = ox * stride + kx + offset;
            if (ix < 0 || ix >= input.width) continue;
            acc += Load4(input.at(iy, ix) + ch) * Load4(kernel + (ky * 3 + kx) * c + ch);
          }
        }
        Store4(dst + ch, activation == Activation::kRelu6 ? Relu6x4(acc) : acc);
      }
    }
  }
  return out;
}

}  // namespace anomalens
