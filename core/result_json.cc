#include "core/result_json.h"

#include <cmath>

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
    // Each type's area is rounded; background takes what they leave, so the
    // printed areas sum to 1 exactly as decimals.
    double types = 0;
    for (size_t i = 1; i < result.anomalies.size(); ++i)
      types += RoundForJson(result.anomalies[i].pixel_anomaly.total_percentage_area);
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (size_t i = 0; i < result.anomalies.size(); ++i) {
      const Anomaly& a = result.anomalies[i];
      const double area = i == 0 ? RoundForJson(1.0 - types) : RoundForJson(a.pixel_anomaly.total_percentage_area);
      nlohmann::ordered_json entry;
      entry["Name"] = a.name;
      entry["PixelAnomaly"] = {{"TotalPercentageArea", area}, {"Color", HexColor(a.pixel_anomaly.color)}};
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
