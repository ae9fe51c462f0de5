// The native engine behind every command: which backbone runs (XNNPACK by
// default, or the core's portable kernels) and on how many threads.
//
//   backend: xnnpack|portable   (the CLI's --backend, default xnnpack)
//   threads: N                  (the CLI's --threads, default 0: the cores not
//                                already busy, IdleCores())
//
// The thread pool runs the XNNPACK backbone and the core's parallel loops
// (nearest-neighbour search). The portable backbone itself stays on one
// thread: it is the reference the wasm build matches byte for byte.
//
// Why every idle core by default for the one-shot commands: on an otherwise
// idle machine two threads run the backbone about 1.8x faster than one. Why
// only idle ones: a pool's parallel loop waits for every worker, so on a
// machine with more runnable threads than cores a descheduled worker stalls
// each of XNNPACK's ~60 operator steps (docs/speed.md measured a 2 ms
// backbone taking hundreds of ms that way). `serve` (--compute-threads)
// reads the idle cores the same way, at start: its compute slots
// (compute_slots.h) give the pool to a request only when it computes alone,
// so no other request's thread competes with the pool's workers, but other
// programs' would (docs/server.md measured 1 client on a 2-thread pool of a
// loaded machine at 5x the CPU a request, pthreadpool's workers spinning).
#ifndef ANOMALENS_NATIVE_ENGINE_BACKEND_H_
#define ANOMALENS_NATIVE_ENGINE_BACKEND_H_

#include <memory>
#include <string>
#include <vector>

#include "core/backbone/backbone.h"
#include "core/backbone/mobilenet_v2.h"
#include "core/base/parallel.h"
#include "core/base/status.h"
#include "core/image/image_decode.h"
#include "core/scoring/nearest_neighbor_search.h"
#include "native/engine/thread_pool.h"

namespace anomalens {

struct BackendOptions {
  std::string backend = "xnnpack";  // or "portable"
  int threads = 0;                  // 0: IdleCores()
  // The JPEG decoder (the CLI's --decoder). "" (default): libjpeg-turbo on
  // xnnpack, stb on portable. "libjpeg-turbo" (xnnpack only): its entropy
  // decoding and stb's reconstruction, so stb's pixels, faster
  // (turbo_jpeg_decoder.h). "stb": the core's stb_image, the portable
  // engine's and wasm's decoder.
  std::string jpeg_decoder;
  // The nearest-neighbour search on xnnpack (the CLI's --exact-search):
  // false (default), the approximate search
  // (XnnpackSearch::kDefaultApproximation, xnnpack_search.h); true, the
  // exact search. The portable engine is
  // always exact.
  bool exact_search = false;
};

struct Backend {
  std::string name;  // "xnnpack" or "portable"
  int threads = 1;
  std::shared_ptr<const ThreadPool> pool;
  std::shared_ptr<const Backbone> backbone;
  ParallelFor parallel;  // the core's hook, on `pool`
  // The nearest-neighbour searches' engine: XNNPACK on `pool` with the
  // XNNPACK backbone; empty (the portable index on `parallel`) with portable.
  BuildSearch search;
  // Training's searches (calibration, the configuration search, the held-out
  // evaluation): always exact, whatever exact_search says, so a trained
  // model's bytes do not depend on the approximation (and match wasm's).
  BuildSearch training_search;
  // JPEG decoding: libjpeg-turbo (turbo_jpeg_decoder.h); empty: stb at full
  // size.
  JpegDecoder jpeg;
};

// Starts the chosen engine on the backbone's weights: a thread pool, and on
// xnnpack the XNNPACK backbone and search. (jobs/model_loader.h reads the
// weights from a file first.)
StatusOr<Backend> StartBackend(std::shared_ptr<const MobileNetV2> net, const BackendOptions& options);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_BACKEND_H_
