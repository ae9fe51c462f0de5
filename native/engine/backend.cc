#include "native/engine/backend.h"

#include <mutex>

#include "native/engine/heap_reuse.h"
#include "native/engine/huge_pages.h"
#include "native/engine/turbo_jpeg_decoder.h"
#include "native/engine/wide_resize_kernels.h"
#include "native/engine/wide_row_sum.h"
#include "native/engine/xnnpack_backbone.h"
#include "native/engine/xnnpack_search.h"

namespace anomalens {

StatusOr<Backend> StartBackend(std::shared_ptr<const MobileNetV2> net, const BackendOptions& options) {
  KeepFreedMemoryForReuse();  // a detect's planes reused, not faulted in anew (heap_reuse.h)
  UseHugePagesForLargeBlocks();  // training's features on huge pages, fewer faults (huge_pages.h)
  Backend backend;
  backend.name = options.backend;
  auto pool = std::make_shared<const ThreadPool>(options.threads > 0 ? options.threads : IdleCores());
  backend.threads = pool->threads();
  backend.parallel = ParallelOn(pool);
  backend.pool = pool;
  if (!options.jpeg_decoder.empty() && options.jpeg_decoder != "stb" && options.jpeg_decoder != "libjpeg-turbo") {
    return InvalidInput("the JPEG decoder must be stb or libjpeg-turbo, got '" + options.jpeg_decoder + "'");
  }
  if (options.backend == "portable") {
    if (options.jpeg_decoder == "libjpeg-turbo") {
      return InvalidInput("the portable engine decodes with stb, as wasm does, so that their bytes match");
    }
    backend.backbone = std::move(net);
    return backend;
  }
  // The blurs' inner loop (wide_row_sum.h) and the decoder's streamed
  // resize (wide_resize_kernels.h) in wider vectors where
  // the CPU has them. Set by the native default only, so a process that runs
  // the portable engine alone keeps the core's loops; the kernels give the
  // core's floats, so a portable engine started after this one (they are
  // process-wide) still gives the reference's bytes. Once, before this
  // engine's first detect: a server may start another engine while
  // requests compute.
  static std::once_flag row_sum_once;
  std::call_once(row_sum_once, [] {
    SetWeightedRowSumKernel(WideRowSumForThisCpu());
    SetRgbaRowResampleKernel(WideRgbaResampleForThisCpu());
    SetRowSumToBytesKernel(WideRowSumToBytesForThisCpu());
  });
  ASSIGN_OR_RETURN(std::shared_ptr<const XnnpackBackbone> xnn, XnnpackBackbone::Create(std::move(net), pool));
  backend.backbone = std::move(xnn);
  backend.search = XnnpackSearchBuilder(backend.parallel, options.exact_search);
  backend.training_search = XnnpackSearchBuilder(backend.parallel, /*exact=*/true);
  // The native default is held to tolerances of the portable engine, not to
  // its bytes (docs/speed.md), so it takes the faster decoder unless told.
  if (options.jpeg_decoder != "stb") backend.jpeg = TurboJpegDecoder(backend.parallel);
  return backend;
}

}  // namespace anomalens
