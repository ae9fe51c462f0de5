// Full 3x3 convolution, stride 2, as MobileNetV2's stem: Keras pads the input
// with one zero row at the bottom and one zero column at the right
// (ZeroPadding2D [[0,1],[0,1]]) and then convolves with 'valid' padding.
#ifndef ANOMALENS_CORE_BACKBONE_KERNELS_CONV3X3_STRIDE2_H_
#define ANOMALENS_CORE_BACKBONE_KERNELS_CONV3X3_STRIDE2_H_

#include "core/backbone/kernels/activation.h"
#include "core/base/tensor.h"

namespace anomalens {

// kernel: [3][3][cin][cout] (Keras layout), bias: [cout]; cout % 4 == 0 and
// input height and width even. Returns the [H/2, W/2, cout] output.
Tensor Conv3x3Stride2(const Tensor& input, const float* kernel, const float* bias, int cout,
                      Activation activation);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BACKBONE_KERNELS_CONV3X3_STRIDE2_H_
