#include "native/engine/xnnpack_backbone.h"

#include <xnnpack.h>

#include <array>
#include <limits>
#include <mutex>

namespace anomalens {
namespace {

// External value ids: the input and the three taps.
constexpr uint32_t kInputId = 0;
constexpr uint32_t kStride4Id = 1;
constexpr uint32_t kStride8Id = 2;
constexpr uint32_t kStride16Id = 3;
constexpr uint32_t kExternalIds = 4;

constexpr float kNoMin = -std::numeric_limits<float>::infinity();
constexpr float kNoMax = std::numeric_limits<float>::infinity();

Status XnnError(const char* what, xnn_status status) {
  return Internal(std::string("XNNPACK ") + what + " failed (status " + std::to_string(static_cast<int>(status)) + ")");
}

#define XNN_RETURN_IF_ERROR(what, call)               \
  do {                                                \
    const xnn_status xnn_status_ = (call);            \
    if (xnn_status_ != xnn_status_success) return XnnError(what, xnn_status_); \
  } while (0)

Status InitializeOnce() {
  static const xnn_status status = xnn_initialize(nullptr);
  if (status != xnn_status_success) return XnnError("initialization", status);
  return Status::Ok();
}

// Keras convolution kernels are [kh][kw][cin][cout]; XNNPACK wants [cout][kh][kw][cin].
std::vector<float> KerasToOhwi(const float* hwio, int kh, int kw, int cin, int cout) {
  std::vector<float> ohwi(static_cast<size_t>(kh) * kw * cin * cout);
  for (int y = 0; y < kh; ++y)
    for (int x = 0; x < kw; ++x)
      for (int i = 0; i < cin; ++i)
        for (int o = 0; o < cout; ++o)
          ohwi[((static_cast<size_t>(o) * kh + y) * kw + x) * cin + i] =
              hwio[((static_cast<size_t>(y) * kw + x) * cin + i) * cout + o];
  return ohwi;
}

// Builds a subgraph value by value; each helper returns the output value's id.
class GraphBuilder {
 public:
  explicit GraphBuilder(xnn_subgraph_t graph) : graph_(graph) {}

  StatusOr<uint32_t> Value(int height, int width, int channels, uint32_t external_id = XNN_INVALID_VALUE_ID,
                           uint32_t flags = 0) {
    const std::array<size_t, 4> dims = {1, size_t(height), size_t(width), size_t(channels)};
    uint32_t id = 0;
    XNN_RETURN_IF_ERROR("tensor definition", xnn_define_tensor_value(graph_, xnn_datatype_fp32, dims.size(),
                                                                      dims.data(), nullptr, external_id, flags, &id));
    return id;
  }

  StatusOr<uint32_t> Static(std::vector<size_t> dims, const float* data) {
    uint32_t id = 0;
    XNN_RETURN_IF_ERROR("weight definition", xnn_define_tensor_value(graph_, xnn_datatype_fp32, dims.size(), dims.data(),
                                                                      data, XNN_INVALID_VALUE_ID, 0, &id));
    return id;
  }

  xnn_subgraph_t graph() const { return graph_; }

 private:
  xnn_subgraph_t graph_;
};

// Padding for a 3x3 stride-s layer as Keras does it: 'same' (one all round)
// at stride 1; ZeroPadding2D [[0,1],[0,1]] then 'valid' at stride 2.
struct Padding {
  uint32_t top, right, bottom, left;
};
Padding Pad3x3(int stride) { return stride == 1 ? Padding{1, 1, 1, 1} : Padding{0, 1, 1, 0}; }

}  // namespace

struct XnnpackBackbone::Runtime {
  xnn_runtime_t runtime = nullptr;
  bool stride4 = false;
  ~Runtime() {
    if (runtime != nullptr) xnn_delete_runtime(runtime);
  }
};

XnnpackBackbone::XnnpackBackbone(std::shared_ptr<const MobileNetV2> net, std::shared_ptr<const ThreadPool> pool)
    : net_(std::move(net)), pool_(std::move(pool)) {}

XnnpackBackbone::~XnnpackBackbone() = default;

StatusOr<std::shared_ptr<const XnnpackBackbone>> XnnpackBackbone::Create(std::shared_ptr<const MobileNetV2> net,
                                                                         std::shared_ptr<const ThreadPool> pool) {
  RETURN_IF_ERROR(InitializeOnce());
  std::shared_ptr<XnnpackBackbone> b(new XnnpackBackbone(std::move(net), std::move(pool)));
  const MobileNetV2& n = *b->net_;
  b->filters_["Conv1/kernel"] = KerasToOhwi(n.Data("Conv1/kernel"), 3, 3, 3, MobileNetV2::kStemChannels);
  int in = MobileNetV2::kStemChannels;
  for (const MobileNetV2::Block& block : n.blocks()) {
    const int hidden = in * block.expansion;
    if (block.expansion != 1) {
      b->filters_[block.name + "_expand/kernel"] = KerasToOhwi(n.Data(block.name + "_expand/kernel"), 1, 1, in, hidden);
    }
    b->filters_[block.name + "_project/kernel"] =
        KerasToOhwi(n.Data(block.name + "_project/kernel"), 1, 1, hidden, block.out_channels);
    in = block.out_channels;
  }
  // Build the common 224x224 runtime now: a bad XNNPACK setup fails at load, not at the first image.
  const bool pooled = b->pool_->get() != nullptr;
  ASSIGN_OR_RETURN(std::unique_ptr<Runtime> first, b->Build(224, 224, false, pooled));
  b->Give({224, 224, false, pooled}, std::move(first));
  return std::shared_ptr<const XnnpackBackbone>(std::move(b));
}

StatusOr<std::unique_ptr<XnnpackBackbone::Runtime>> XnnpackBackbone::Build(int height, int width, bool stride4,
                                                                           bool pooled) const {
  xnn_subgraph_t graph = nullptr;
  XNN_RETURN_IF_ERROR("subgraph creation", xnn_create_subgraph(kExternalIds, 0, &graph));
  std::unique_ptr<xnn_subgraph, decltype(&xnn_delete_subgraph)> owned(graph, &xnn_delete_subgraph);
  GraphBuilder g(graph);
  const MobileNetV2& n = *net_;

  // Defines a convolution (1x1 or the 3x3 stem) with its weights; returns the output id.
  auto conv = [&](uint32_t input, int cin, int cout, int kernel, int stride, const std::string& name,
                  float out_min, float out_max, uint32_t output) -> StatusOr<uint32_t> {
    ASSIGN_OR_RETURN(uint32_t filter, g.Static({size_t(cout), size_t(kernel), size_t(kernel), size_t(cin)},
                                               filters_.at(name + "/kernel").data()));
    ASSIGN_OR_RETURN(uint32_t bias, g.Static({size_t(cout)}, n.Data(name + "/bias")));
    const Padding pad = kernel == 1 ? Padding{0, 0, 0, 0} : Pad3x3(stride);
    XNN_RETURN_IF_ERROR("convolution definition",
                        xnn_define_convolution_2d(graph, pad.top, pad.right, pad.bottom, pad.left, kernel, kernel,
                                                  stride, stride, 1, 1, 1, cin, cout, out_min, out_max, input, filter,
                                                  bias, output, 0));
    return output;
  };

  ASSIGN_OR_RETURN(uint32_t x, g.Value(height, width, 3, kInputId, XNN_VALUE_FLAG_EXTERNAL_INPUT));
  int h = height / 2, w = width / 2, channels = MobileNetV2::kStemChannels;
  ASSIGN_OR_RETURN(uint32_t stem_out, g.Value(h, w, channels));
  ASSIGN_OR_RETURN(x, conv(x, 3, channels, 3, 2, "Conv1", 0.0f, 6.0f, stem_out));

  const std::vector<MobileNetV2::Block>& blocks = n.blocks();
  for (size_t i = 0; i < blocks.size(); ++i) {
    const MobileNetV2::Block& b = blocks[i];
    const int hidden = channels * b.expansion;
    uint32_t expanded = x;
    if (b.expansion != 1) {
      ASSIGN_OR_RETURN(uint32_t out, g.Value(h, w, hidden));
      ASSIGN_OR_RETURN(expanded, conv(x, channels, hidden, 1, 1, b.name + "_expand", 0.0f, 6.0f, out));
    }
    const int oh = h / b.stride, ow = w / b.stride;
    ASSIGN_OR_RETURN(uint32_t dw, g.Value(oh, ow, hidden));
    {
      ASSIGN_OR_RETURN(uint32_t filter, g.Static({1, 3, 3, size_t(hidden)}, n.Data(b.name + "_depthwise/kernel")));
      ASSIGN_OR_RETURN(uint32_t bias, g.Static({size_t(hidden)}, n.Data(b.name + "_depthwise/bias")));
      const Padding pad = Pad3x3(b.stride);
      XNN_RETURN_IF_ERROR("depthwise convolution definition",
                          xnn_define_depthwise_convolution_2d(graph, pad.top, pad.right, pad.bottom, pad.left, 3, 3,
                                                              b.stride, b.stride, 1, 1, 1, hidden, 0.0f, 6.0f,
                                                              expanded, filter, bias, dw, 0));
    }
    // The block's output is a tap when it is block_2 (asked for), block_5 or the last.
    uint32_t external = XNN_INVALID_VALUE_ID;
    if (stride4 && static_cast<int>(i) == MobileNetV2::kStride4TapBlock) external = kStride4Id;
    if (static_cast<int>(i) == MobileNetV2::kStride8TapBlock) external = kStride8Id;
    if (i + 1 == blocks.size()) external = kStride16Id;
    const uint32_t flags = external == XNN_INVALID_VALUE_ID ? 0 : XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
    const bool residual = b.stride == 1 && channels == b.out_channels;
    ASSIGN_OR_RETURN(uint32_t out, g.Value(oh, ow, b.out_channels, residual ? XNN_INVALID_VALUE_ID : external,
                                           residual ? 0 : flags));
    ASSIGN_OR_RETURN(uint32_t projected,
                     conv(dw, hidden, b.out_channels, 1, 1, b.name + "_project", kNoMin, kNoMax, out));
    if (residual) {
      ASSIGN_OR_RETURN(uint32_t sum, g.Value(oh, ow, b.out_channels, external, flags));
      XNN_RETURN_IF_ERROR("add definition", xnn_define_add2(graph, kNoMin, kNoMax, projected, x, sum, 0));
      projected = sum;
    }
    x = projected;
    h = oh, w = ow, channels = b.out_channels;
  }

  auto runtime = std::make_unique<Runtime>();
  runtime->stride4 = stride4;
  // On the pool, its workers sleep once the run ends rather than spin for
  // the next: requests running beside it need those cores.
  XNN_RETURN_IF_ERROR("runtime creation", xnn_create_runtime_v2(graph, pooled ? pool_->get() : nullptr,
                                                                pooled ? XNN_FLAG_YIELD_WORKERS : 0,
                                                                &runtime->runtime));
  return runtime;
}

StatusOr<std::unique_ptr<XnnpackBackbone::Runtime>> XnnpackBackbone::Take(const ShapeKey& key) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = idle_.find(key);
    if (it != idle_.end() && !it->second.empty()) {
      std::unique_ptr<Runtime> r = std::move(it->second.back());
      it->second.pop_back();
      --idle_count_;
      return r;
    }
  }
  // Outside the lock: building takes a while.
  return Build(std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key));
}

void XnnpackBackbone::Give(const ShapeKey& key, std::unique_ptr<Runtime> runtime) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_count_ >= kMaxIdleRuntimes) {
    // Make room by dropping an idle runtime of another shape, else this one.
    for (auto& [k, list] : idle_) {
      if (k != key && !list.empty()) {
        list.pop_back();
        --idle_count_;
        break;
      }
    }
    if (idle_count_ >= kMaxIdleRuntimes) return;
  }
  idle_[key].push_back(std::move(runtime));
  ++idle_count_;
}

StatusOr<BackboneTaps> XnnpackBackbone::Run(const Tensor& input, bool stride4) const {
  RETURN_IF_ERROR(MobileNetV2::CheckInput(input));
  // The pool when it is free, for this whole run; else this thread alone.
  struct PoolTurn {
    const ThreadPool& pool;
    const bool held;
    ~PoolTurn() {
      if (held) pool.Release();
    }
  } turn{*pool_, pool_->TryAcquire()};
  const ShapeKey key{input.height, input.width, stride4, turn.held};
  ASSIGN_OR_RETURN(std::unique_ptr<Runtime> runtime, Take(key));
  BackboneTaps taps;
  // Not zero-filled: XNNPACK writes its external outputs whole.
  taps.stride8 = Tensor::Uninitialized(input.height / 8, input.width / 8, MobileNetV2::kStride8Channels);
  taps.stride16 = Tensor::Uninitialized(input.height / 16, input.width / 16, MobileNetV2::kStride16Channels);
  std::vector<xnn_external_value> externals = {
      {kInputId, const_cast<float*>(input.data.data())},  // XNNPACK only reads inputs
      {kStride8Id, taps.stride8.data.data()},
      {kStride16Id, taps.stride16.data.data()},
  };
  if (stride4) {
    taps.stride4 = Tensor::Uninitialized(input.height / 4, input.width / 4, MobileNetV2::kStride4Channels);
    externals.push_back({kStride4Id, taps.stride4.data.data()});
  }
  XNN_RETURN_IF_ERROR("runtime setup", xnn_setup_runtime(runtime->runtime, externals.size(), externals.data()));
  XNN_RETURN_IF_ERROR("inference", xnn_invoke_runtime(runtime->runtime));
  Give(key, std::move(runtime));
  return taps;
}

}  // namespace anomalens
