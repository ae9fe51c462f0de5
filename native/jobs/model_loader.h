// Loads what detection needs from files: the converted backbone weights, the
// engine started on them, and a model file's detector.
#ifndef ANOMALENS_NATIVE_JOBS_MODEL_LOADER_H_
#define ANOMALENS_NATIVE_JOBS_MODEL_LOADER_H_

#include <memory>
#include <string>

#include "core/backbone/mobilenet_v2.h"
#include "core/base/status.h"
#include "core/model/detector.h"
#include "native/engine/backend.h"

namespace anomalens {

constexpr const char* kBackboneFileName = "mobilenet_v2_block10.anwb";

// The weights file LoadBackbone reads for `path` (the search below).
std::string BackbonePath(const std::string& path = "");

// Loads the weights from `path` when given; else from $ANOMALENS_BACKBONE;
// else beside the executable; else from the build directory it was built in.
StatusOr<std::shared_ptr<const MobileNetV2>> LoadBackbone(const std::string& path = "");

// Loads the backbone weights (LoadBackbone's search for `backbone_path`) and
// starts the chosen engine on them.
StatusOr<Backend> LoadBackend(const std::string& backbone_path, const BackendOptions& options);

// Reads a model file and loads the backbone it needs on the chosen engine.
StatusOr<std::unique_ptr<Detector>> LoadDetector(const std::string& model_path, const std::string& backbone_path,
                                                 const BackendOptions& backend = {});

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_JOBS_MODEL_LOADER_H_
