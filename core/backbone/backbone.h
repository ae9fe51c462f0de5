// Backbone: what turns a backbone input into the feature taps the detector
// scores. The core's own MobileNetV2 (portable kernels, mobilenet_v2.h) is one;
// a platform may supply a faster one with the same taps (native/ runs the same
// network and weights on XNNPACK). Models record the backbone's id and
// checksum, so every implementation reports the weights it runs.
#ifndef ANOMALENS_CORE_BACKBONE_BACKBONE_H_
#define ANOMALENS_CORE_BACKBONE_BACKBONE_H_

#include <cstdint>
#include <string>

#include "core/base/status.h"
#include "core/base/tensor.h"

namespace anomalens {

struct BackboneTaps {
  Tensor stride4;   // block_2_add, only when asked for
  Tensor stride8;   // block_5_add
  Tensor stride16;  // block_10_project_BN
};

class Backbone {
 public:
  virtual ~Backbone() = default;

  // Runs the trunk on an NHWC input with 3 channels in [-1, 1], each side a
  // positive multiple of MobileNetV2::kInputMultiple. With `stride4`,
  // taps.stride4 is filled too. Safe to call from several threads at once.
  virtual StatusOr<BackboneTaps> Run(const Tensor& input, bool stride4 = false) const = 0;

  // The weights' id and checksum (backbone_weights.h).
  virtual const std::string& id() const = 0;
  virtual uint32_t checksum() const = 0;
  // What runs it, for reports: "portable", "xnnpack".
  virtual const char* engine() const = 0;
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BACKBONE_BACKBONE_H_
