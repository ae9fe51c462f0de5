#include "native/backend.h"

#include "native/backbone_loader.h"
#include "native/xnnpack_backbone.h"
#include "native/xnnpack_search.h"

namespace anomalens {

StatusOr<BackendOptions> ParseBackendOptions(const CommandLine& cl, const char* threads_option, int default_threads) {
  BackendOptions options;
  options.backend = cl.Get("backend", "xnnpack");
  if (options.backend != "xnnpack" && options.backend != "portable") {
    return InvalidInput("--backend must be xnnpack or portable, got '" + options.backend + "'");
  }
  ASSIGN_OR_RETURN(double threads, cl.GetNumber(threads_option, default_threads, 0, 256));
  options.threads = static_cast<int>(threads);
  return options;
}

StatusOr<Backend> LoadBackend(const std::string& backbone_path, const BackendOptions& options) {
  ASSIGN_OR_RETURN(std::shared_ptr<const MobileNetV2> net, LoadBackbone(backbone_path));
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
