// MobileNetV2 (alpha 1.0) through block_10, on the core's portable kernels.
//
//   ASSIGN_OR_RETURN(MobileNetV2 net, MobileNetV2::Create(std::move(weights)));
//   ASSIGN_OR_RETURN(MobileNetV2::Taps taps, net.Run(input));  // input in [-1, 1]
//   // taps.stride8:  block_5_add,          [H/8,  W/8,  32]
//   // taps.stride16: block_10_project_BN,  [H/16, W/16, 96]
#ifndef ANOMALENS_CORE_BACKBONE_MOBILENET_V2_H_
#define ANOMALENS_CORE_BACKBONE_MOBILENET_V2_H_

#include <string>
#include <vector>

#include "core/backbone/backbone.h"
#include "core/backbone/backbone_weights.h"
#include "core/base/status.h"
#include "core/base/tensor.h"

namespace anomalens {

class MobileNetV2 : public Backbone {
 public:
  // The id the converter writes; models record it with the weights' checksum.
  static constexpr const char* kBackboneId = "mobilenet_v2_1.0_224/block_10";
  // Input sides must be multiples of this: every stride-2 layer needs even sizes.
  static constexpr int kInputMultiple = 16;
  static constexpr int kStride8Channels = 32;
  static constexpr int kStride16Channels = 96;

  // Checks every tensor's presence and shape against the architecture.
  static StatusOr<MobileNetV2> Create(BackboneWeights weights);

  static constexpr int kStride4Channels = 24;
  // The stem's output channels and the blocks whose outputs are the taps.
  static constexpr int kStemChannels = 32;
  static constexpr int kStride4TapBlock = 2;
  static constexpr int kStride8TapBlock = 5;
  using Taps = BackboneTaps;

  // Runs the trunk on an NHWC input with 3 channels in [-1, 1].
  // With `stride4`, taps.stride4 is filled too.
  StatusOr<Taps> Run(const Tensor& input, bool stride4 = false) const override;
  // Checks Run's input: 3 channels, sides positive multiples of kInputMultiple.
  static Status CheckInput(const Tensor& input);

  const std::string& id() const override { return weights_.id; }
  uint32_t checksum() const override { return weights_.checksum; }
  const char* engine() const override { return "portable"; }

  // The architecture, for other engines running the same network.
  struct Block {
    std::string name;  // "expanded_conv" or "block_N"
    int expansion;     // 1 means no expand layer
    int out_channels;
    int stride;
  };
  const std::vector<Block>& blocks() const { return blocks_; }
  // A weight tensor's values in Keras layout (Create() checked every one exists).
  const float* Data(const std::string& name) const;

 private:
  explicit MobileNetV2(BackboneWeights weights);
  Tensor RunBlock(const Block& block, const Tensor& x) const;

  BackboneWeights weights_;
  std::vector<Block> blocks_;
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BACKBONE_MOBILENET_V2_H_
