// Finds and loads the converted backbone weights for the native tools.
#ifndef ANOMALENS_NATIVE_BACKBONE_LOADER_H_
#define ANOMALENS_NATIVE_BACKBONE_LOADER_H_

#include <memory>
#include <string>

#include "core/backbone/mobilenet_v2.h"
#include "core/base/status.h"

namespace anomalens {

constexpr const char* kBackboneFileName = "mobilenet_v2_block10.anwb";

// The weights file LoadBackbone reads for `path` (the search below).
std::string BackbonePath(const std::string& path = "");

// Loads the weights from `path` when given; else from $ANOMALENS_BACKBONE;
// else beside the executable; else from the build directory it was built in.
StatusOr<std::shared_ptr<const MobileNetV2>> LoadBackbone(const std::string& path = "");

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_BACKBONE_LOADER_H_
