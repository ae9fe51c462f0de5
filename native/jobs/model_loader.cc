#include "native/jobs/model_loader.h"

#include <cstdlib>

#include "core/backbone/backbone_weights.h"
#include "native/jobs/file_io.h"

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

StatusOr<Backend> LoadBackend(const std::string& backbone_path, const BackendOptions& options) {
  ASSIGN_OR_RETURN(std::shared_ptr<const MobileNetV2> net, LoadBackbone(backbone_path));
  return StartBackend(std::move(net), options);
}

StatusOr<std::unique_ptr<Detector>> LoadDetector(const std::string& model_path, const std::string& backbone_path,
                                                 const BackendOptions& options) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFile(model_path, size_t{1} << 31));
  ASSIGN_OR_RETURN(Backend backend, LoadBackend(backbone_path, options));
  auto detector = Detector::Create(bytes, backend.backbone, backend.parallel, backend.search, backend.jpeg);
  if (!detector.ok()) return Status(detector.status().code(), model_path + ": " + detector.status().message());
  return detector;
}

}  // namespace anomalens
