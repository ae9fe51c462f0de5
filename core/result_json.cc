#include "core/result_json.h"

#include <cmath>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/anomaly_classes.h"
#include "core/base64.h"

namespace anomalens {

double RoundForJson(double value) { return std::round(value * 1e6) / 1e6; }

std::string DetectAnomalyResultJson(const DetectAnomalyResult& result) {
  // ordered_json keeps insertion order: Lookout's field order.
  nlohmann::ordered_json body;
  body["Source"] = {{"Type", "direct"}};
  body["IsAnomalous"] = result.is_anomalous;
  body["Confidence"] = RoundForJson(result.confidence);
  if (result.has_segmentation()) {
    // Areas in whole millionths (the 6 decimals printed). Each type's is
    // rounded; should they then exceed the image (types covering all of it,
    // rounded up), the largest gives back the excess. Background takes what
    // is left, so the printed areas sum to exactly 1 and none is negative.
    std::vector<long long> millionths(result.anomalies.size(), 0);
    long long types = 0;
    size_t largest = 0;
    for (size_t i = 1; i < result.anomalies.size(); ++i) {
      millionths[i] = std::llround(result.anomalies[i].pixel_anomaly.total_percentage_area * 1e6);
      types += millionths[i];
      if (largest == 0 || millionths[i] > millionths[largest]) largest = i;
    }
    if (types > 1000000) millionths[largest] -= types - 1000000, types = 1000000;
    millionths[0] = 1000000 - types;
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (size_t i = 0; i < result.anomalies.size(); ++i) {
      const Anomaly& a = result.anomalies[i];
      nlohmann::ordered_json entry;
      entry["Name"] = a.name;
      entry["PixelAnomaly"] = {{"TotalPercentageArea", millionths[i] / 1e6}, {"Color", HexColor(a.pixel_anomaly.color)}};
      list.push_back(std::move(entry));
    }
    body["Anomalies"] = std::move(list);
    body["AnomalyMask"] = Base64Encode(result.anomaly_mask_png);
  }
  nlohmann::ordered_json doc;
  doc["DetectAnomalyResult"] = std::move(body);
  return doc.dump();
}

}  // namespace anomalens
