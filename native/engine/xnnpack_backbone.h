// XnnpackBackbone: the core's MobileNetV2 (same weights, same taps) run as an
// XNNPACK subgraph on the native build's thread pool: the default native
// engine. The portable kernels stay the reference and the wasm path; the two
// agree within the tolerances tests/xnnpack_backbone_test.cc checks.
//
// XNNPACK's 2022 runtime has fixed shapes, so a runtime is built per input
// size (and tap set) on first use and kept; a runtime serves one call at a
// time, so concurrent callers of one size each get their own. A run takes
// the shared pool when it is free (ThreadPool::TryAcquire) and otherwise runs
// on the calling thread, on a runtime built without the pool: a runtime is
// tied to its pool when built, so each size has pooled and unpooled ones.
#ifndef ANOMALENS_NATIVE_ENGINE_XNNPACK_BACKBONE_H_
#define ANOMALENS_NATIVE_ENGINE_XNNPACK_BACKBONE_H_

#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "core/backbone/backbone.h"
#include "core/backbone/mobilenet_v2.h"
#include "native/engine/thread_pool.h"

namespace anomalens {

class XnnpackBackbone : public Backbone {
 public:
  // Fails when XNNPACK cannot start on this CPU.
  static StatusOr<std::shared_ptr<const XnnpackBackbone>> Create(std::shared_ptr<const MobileNetV2> net,
                                                                 std::shared_ptr<const ThreadPool> pool);
  ~XnnpackBackbone() override;

  StatusOr<BackboneTaps> Run(const Tensor& input, bool stride4 = false) const override;
  const std::string& id() const override { return net_->id(); }
  uint32_t checksum() const override { return net_->checksum(); }
  const char* engine() const override { return "xnnpack"; }

 private:
  struct Runtime;
  using ShapeKey = std::tuple<int, int, bool, bool>;  // height, width, stride4, on the pool
  // Most idle runtimes kept: a server seeing many image sizes must not grow without bound.
  static constexpr size_t kMaxIdleRuntimes = 8;

  XnnpackBackbone(std::shared_ptr<const MobileNetV2> net, std::shared_ptr<const ThreadPool> pool);
  StatusOr<std::unique_ptr<Runtime>> Build(int height, int width, bool stride4, bool pooled) const;
  StatusOr<std::unique_ptr<Runtime>> Take(const ShapeKey& key) const;
  void Give(const ShapeKey& key, std::unique_ptr<Runtime> runtime) const;

  std::shared_ptr<const MobileNetV2> net_;
  std::shared_ptr<const ThreadPool> pool_;
  // Weights in XNNPACK's layouts; runtimes point into them, so they live as long as this.
  std::map<std::string, std::vector<float>> filters_;
  mutable std::mutex mutex_;
  mutable std::map<ShapeKey, std::vector<std::unique_ptr<Runtime>>> idle_;
  mutable size_t idle_count_ = 0;
};

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_XNNPACK_BACKBONE_H_
