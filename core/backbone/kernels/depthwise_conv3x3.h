// 3x3 depthwise convolution: each channel filtered on its own.
#ifndef ANOMALENS_CORE_BACKBONE_KERNELS_DEPTHWISE_CONV3X3_H_
#define ANOMALENS_CORE_BACKBONE_KERNELS_DEPTHWISE_CONV3X3_H_

#include "core/backbone/kernels/activation.h"
#include "core/base/tensor.h"

namespace anomalens {

// kernel: [3][3][c] (Keras [3,3,c,1]), bias: [c]; c % 4 == 0.
// stride 1: 'same' padding (one zero on every side).
// stride 2: Keras's ZeroPadding2D [[0,1],[0,1]] then 'valid'; height and
// width must be even, and the output is [H/2, W/2, c].
Tensor DepthwiseConv3x3(const Tensor& input, const float* kernel, const float* bias, int stride,
                        Activation activation);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BACKBONE_KERNELS_DEPTHWISE_CONV3X3_H_
