#include "core/lookout/result_json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/base64.h"
#include "core/lookout/anomaly_classes.h"

namespace anomalens {

double RoundForJson(double value) { return std::round(value * 1e6) / 1e6; }

std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  char text[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  std::string out = text;
  if (out.find_first_of(".eEn") == std::string::npos) out += ".0";  // 1 -> 1.0, as a float
  return out;
}

std::string DetectAnomalyResultJson(const DetectAnomalyResult& result) {
  // Written by hand, in Lookout's field order, so that every number is
  // printed in its shortest round-trip form (JsonNumber); strings are
  // escaped by the JSON library.
  auto quoted = [](const std::string& text) { return nlohmann::json(text).dump(); };
  std::string out = "{\"DetectAnomalyResult\":{\"Source\":{\"Type\":\"direct\"},\"IsAnomalous\":";
  out += result.is_anomalous ? "true" : "false";
  out += ",\"Confidence\":" + JsonNumber(RoundForJson(result.confidence));
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
    out += ",\"Anomalies\":[";
    for (size_t i = 0; i < result.anomalies.size(); ++i) {
      const Anomaly& a = result.anomalies[i];
      if (i > 0) out += ",";
      out += "{\"Name\":" + quoted(a.name) + ",\"PixelAnomaly\":{\"TotalPercentageArea\":" +
             JsonNumber(millionths[i] / 1e6) + ",\"Color\":\"" + HexColor(a.pixel_anomaly.color) + "\"}}";
    }
    out += "],\"AnomalyMask\":\"" + Base64Encode(result.anomaly_mask_png) + "\"";
  }
  out += "}}";
  return out;
}

}  // namespace anomalens
