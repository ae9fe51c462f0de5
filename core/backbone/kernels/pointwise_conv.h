// 1x1 convolution as a matrix product: [pixels x cin] times [cin x cout].
// MobileNetV2 spends most of its multiply-adds here.
#ifndef ANOMALENS_CORE_BACKBONE_KERNELS_POINTWISE_CONV_H_
#define ANOMALENS_CORE_BACKBONE_KERNELS_POINTWISE_CONV_H_

#include "core/backbone/kernels/activation.h"
#include "core/base/tensor.h"

namespace anomalens {

// kernel: [cin][cout] (Keras [1,1,cin,cout]), bias: [cout]; cout % 4 == 0.
// When `residual` is non-null (same shape as the output) it is added after the
// activation, which is how MobileNetV2's block_N_add follows a linear project.
Tensor PointwiseConv(const Tensor& input, const float* kernel, const float* bias, int cout,
                     Activation activation, const Tensor* residual = nullptr);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BACKBONE_KERNELS_POINTWISE_CONV_H_
