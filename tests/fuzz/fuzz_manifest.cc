// Manifest line parsing: JSON Lines written by people and tools, then the
// evaluation-manifest line the server writes back from each entry.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/lookout/anomaly_classes.h"
#include "core/lookout/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace anomalens;
  auto entries = ParseManifest(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!entries.ok()) return 0;
  (void)CollectAnomalyClasses(*entries);
  DetectedLabel detected;
  detected.is_anomalous = size % 2 == 0;
  detected.confidence = 0.5;
  for (const ManifestEntry& entry : *entries) {
    if (entry.source_ref.empty()) __builtin_trap();  // the parser promises a source-ref
    const std::string line = EvaluationManifestLine(entry, detected);
    // What we write must be one JSON object a reader can parse again.
    if (!nlohmann::json::accept(line) || line.find('\n') != std::string::npos) __builtin_trap();
  }
  return 0;
}
