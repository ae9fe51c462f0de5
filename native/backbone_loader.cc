#include "native/backbone_loader.h"

#include <cstdlib>

#include "core/backbone/backbone_weights.h"
#include "native/file_io.h"

namespace anomalens {

std::string BackbonePath(const std::string& path) {
  std::string chosen = path;
  if (chosen.empty()) {
    if (const char* env = std::getenv("ANOMALENS_BACKBONE"); env != nullptr && *env) chosen = env;
  }
  if (chosen.empty()) {
    const std::string beside = JoinPath(ExecutableDirectory(), kBackboneFileName);
    chosen = IsRegularFile(beside) ? beside : ANOMALENS_DEFAULT_BACKBONE_FILE;
  }
  return chosen;
}

StatusOr<std::shared_ptr<const MobileNetV2>> LoadBackbone(const std::string& path) {
  const std::string chosen = BackbonePath(path);
  auto bytes = ReadFile(chosen, kMaxBackboneWeightsBytes);
  if (!bytes.ok()) {
    return Status(bytes.status().code(), "backbone weights not found (" + bytes.status().message() +
                                             "); build them with `cmake --build build` or pass --backbone FILE");
  }
  ASSIGN_OR_RETURN(BackboneWeights weights, ParseBackboneWeights(*bytes));
  ASSIGN_OR_RETURN(MobileNetV2 net, MobileNetV2::Create(std::move(weights)));
  return std::shared_ptr<const MobileNetV2>(std::make_shared<MobileNetV2>(std::move(net)));
}

}  // namespace anomalens
