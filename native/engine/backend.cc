#include "native/engine/backend.h"

#include "native/engine/xnnpack_backbone.h"
#include "native/engine/xnnpack_search.h"

namespace anomalens {

StatusOr<Backend> StartBackend(std::shared_ptr<const MobileNetV2> net, const BackendOptions& options) {
  Backend backend;
  backend.name = options.backend;
  auto pool = std::make_shared<const ThreadPool>(options.threads > 0 ? options.threads : IdleCores());
  backend.threads = pool->threads();
  backend.parallel = ParallelOn(pool);
  backend.pool = pool;
  if (options.backend == "portable") {
    backend.backbone = std::move(net);
    return backend;
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const XnnpackBackbone> xnn, XnnpackBackbone::Create(std::move(net), pool));
  backend.backbone = std::move(xnn);
  backend.search = XnnpackSearchBuilder(backend.parallel);
  return backend;
}

}  // namespace anomalens
