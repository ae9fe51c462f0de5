// BackboneWeights: the converted MobileNetV2 weights file (docs/backbone-weights-format.md)
// parsed from bytes.
//
//   ASSIGN_OR_RETURN(BackboneWeights weights, ParseBackboneWeights(file_bytes));
//   const WeightTensor* k = weights.Find("Conv1/kernel");
#ifndef ANOMALENS_CORE_BACKBONE_BACKBONE_WEIGHTS_H_
#define ANOMALENS_CORE_BACKBONE_BACKBONE_WEIGHTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/base/byte_span.h"
#include "core/base/status.h"

namespace anomalens {

struct WeightTensor {
  std::vector<uint32_t> dims;
  std::vector<float> values;
};

struct BackboneWeights {
  std::string id;         // e.g. "mobilenet_v2_1.0_224/block_10"
  uint32_t checksum = 0;  // the file's CRC-32: models record it to refuse a different backbone
  std::map<std::string, WeightTensor> tensors;

  // Returns the tensor or nullptr.
  const WeightTensor* Find(const std::string& name) const;
};

// Largest weights file we accept (MobileNetV2 through block_10 is about 2 MB of floats).
constexpr size_t kMaxBackboneWeightsBytes = 64u << 20;

// Parses and checks a weights file: magic, version, checksum, table bounds.
StatusOr<BackboneWeights> ParseBackboneWeights(ByteSpan bytes);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BACKBONE_BACKBONE_WEIGHTS_H_
