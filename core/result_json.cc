#include "core/result_json.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace anomalens {

double RoundForJson(double value) { return std::round(value * 1e6) / 1e6; }

std::string DetectAnomalyResultJson(const DetectAnomalyResult& result) {
  // ordered_json keeps insertion order: Lookout's field order.
  nlohmann::ordered_json body;
  body["Source"] = {{"Type", "direct"}};
  body["IsAnomalous"] = result.is_anomalous;
  body["Confidence"] = RoundForJson(result.confidence);
  nlohmann::ordered_json doc;
  doc["DetectAnomalyResult"] = std::move(body);
  return doc.dump();
}

}  // namespace anomalens
