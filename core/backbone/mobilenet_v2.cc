#include "core/backbone/mobilenet_v2.h"

#include "core/backbone/kernels/conv3x3_stride2.h"
#include "core/backbone/kernels/depthwise_conv3x3.h"
#include "core/backbone/kernels/pointwise_conv.h"

namespace anomalens {
namespace {

constexpr int kLastBlock = 10;

Status CheckShape(const BackboneWeights& w, const std::string& name, std::vector<uint32_t> dims) {
  const WeightTensor* t = w.Find(name);
  if (t == nullptr) return InvalidInput("backbone weights lack tensor '" + name + "'");
  if (t->dims != dims) {
    std::string want, got;
    for (uint32_t d : dims) want += (want.empty() ? "" : "x") + std::to_string(d);
    for (uint32_t d : t->dims) got += (got.empty() ? "" : "x") + std::to_string(d);
    return InvalidInput("backbone tensor '" + name + "' has shape " + got + "; expected " + want);
  }
  return Status::Ok();
}

}  // namespace

MobileNetV2::MobileNetV2(BackboneWeights weights) : weights_(std::move(weights)) {
  // MobileNetV2's inverted-residual settings (expansion t, output channels c,
  // stride s) from the paper, one row a block, cut after block_10.
  struct Setting { int t, c, s; };
  const Setting settings[kLastBlock + 1] = {
      {1, 16, 1},                                        // expanded_conv
      {6, 24, 2}, {6, 24, 1},                            // blocks 1-2
      {6, 32, 2}, {6, 32, 1}, {6, 32, 1},                // blocks 3-5
      {6, 64, 2}, {6, 64, 1}, {6, 64, 1}, {6, 64, 1},    // blocks 6-9
      {6, 96, 1},                                        // block 10
  };
  for (int i = 0; i <= kLastBlock; ++i) {
    blocks_.push_back({i == 0 ? "expanded_conv" : "block_" + std::to_string(i), settings[i].t,
                       settings[i].c, settings[i].s});
  }
}

StatusOr<MobileNetV2> MobileNetV2::Create(BackboneWeights weights) {
  if (weights.id != kBackboneId) {
    return InvalidInput("backbone weights are '" + weights.id + "'; this build needs '" + kBackboneId + "'");
  }
  MobileNetV2 net(std::move(weights));
  const BackboneWeights& w = net.weights_;
  RETURN_IF_ERROR(CheckShape(w, "Conv1/kernel", {3, 3, 3, kStemChannels}));
  RETURN_IF_ERROR(CheckShape(w, "Conv1/bias", {kStemChannels}));
  uint32_t in = kStemChannels;
  for (const Block& b : net.blocks_) {
    const uint32_t hidden = in * b.expansion;
    if (b.expansion != 1) {
      RETURN_IF_ERROR(CheckShape(w, b.name + "_expand/kernel", {1, 1, in, hidden}));
      RETURN_IF_ERROR(CheckShape(w, b.name + "_expand/bias", {hidden}));
    }
    RETURN_IF_ERROR(CheckShape(w, b.name + "_depthwise/kernel", {3, 3, hidden, 1}));
    RETURN_IF_ERROR(CheckShape(w, b.name + "_depthwise/bias", {hidden}));
    RETURN_IF_ERROR(CheckShape(w, b.name + "_project/kernel", {1, 1, hidden, uint32_t(b.out_channels)}));
    RETURN_IF_ERROR(CheckShape(w, b.name + "_project/bias", {uint32_t(b.out_channels)}));
    in = b.out_channels;
  }
  return net;
}

const float* MobileNetV2::Data(const std::string& name) const {
  return weights_.Find(name)->values.data();  // Create() checked that every tensor exists
}

Tensor MobileNetV2::RunBlock(const Block& b, const Tensor& x) const {
  Tensor hidden;
  const Tensor* h = &x;
  if (b.expansion != 1) {
    hidden = PointwiseConv(x, Data(b.name + "_expand/kernel"), Data(b.name + "_expand/bias"),
                           x.channels * b.expansion, Activation::kRelu6);
    h = &hidden;
  }
  Tensor dw = DepthwiseConv3x3(*h, Data(b.name + "_depthwise/kernel"), Data(b.name + "_depthwise/bias"),
                               b.stride, Activation::kRelu6);
  hidden = Tensor();  // free the expanded tensor before the next allocation
  // The block adds its input back only when the shape is unchanged.
  const bool residual = b.stride == 1 && x.channels == b.out_channels;
  return PointwiseConv(dw, Data(b.name + "_project/kernel"), Data(b.name + "_project/bias"), b.out_channels,
                       Activation::kLinear, residual ? &x : nullptr);
}

Status MobileNetV2::CheckInput(const Tensor& input) {
  if (input.channels != 3) return InvalidInput("backbone input must have 3 channels, got " + std::to_string(input.channels));
  if (input.height < kInputMultiple || input.width < kInputMultiple || input.height % kInputMultiple != 0 ||
      input.width % kInputMultiple != 0) {
    return InvalidInput("backbone input is " + std::to_string(input.width) + "x" + std::to_string(input.height) +
                        "; each side must be a positive multiple of " + std::to_string(kInputMultiple));
  }
  return Status::Ok();
}

StatusOr<MobileNetV2::Taps> MobileNetV2::Run(const Tensor& input, bool stride4) const {
  RETURN_IF_ERROR(CheckInput(input));
  Taps taps;
  Tensor x = Conv3x3Stride2(input, Data("Conv1/kernel"), Data("Conv1/bias"), kStemChannels, Activation::kRelu6);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    x = RunBlock(blocks_[i], x);
    if (stride4 && static_cast<int>(i) == kStride4TapBlock) taps.stride4 = x;
    if (static_cast<int>(i) == kStride8TapBlock) taps.stride8 = x;
  }
  taps.stride16 = std::move(x);
  return taps;
}

}  // namespace anomalens
