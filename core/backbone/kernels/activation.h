#ifndef ANOMALENS_CORE_BACKBONE_KERNELS_ACTIVATION_H_
#define ANOMALENS_CORE_BACKBONE_KERNELS_ACTIVATION_H_

namespace anomalens {

// The activation a convolution kernel applies to its output before storing it.
enum class Activation { kLinear, kRelu6 };

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BACKBONE_KERNELS_ACTIVATION_H_
