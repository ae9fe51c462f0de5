// The one serializer of DetectAnomalies results. The CLI, the server and the
// wasm API all print what this returns, so results compare byte for byte.
//
//   {"DetectAnomalyResult":{"Source":{"Type":"direct"},"IsAnomalous":true,"Confidence":0.984}}
//
// Segmentation models add, as Lookout did, "Anomalies" (background first;
// areas rounded to 6 decimals and summing to 1) and "AnomalyMask" (the PNG in
// base64).
#ifndef ANOMALENS_CORE_LOOKOUT_RESULT_JSON_H_
#define ANOMALENS_CORE_LOOKOUT_RESULT_JSON_H_

#include <string>

#include "core/lookout/detect_result.h"

namespace anomalens {

// Returns the compact JSON document, keys in Lookout's order, Confidence
// rounded to 6 decimals and printed in its shortest round-trip form.
std::string DetectAnomalyResultJson(const DetectAnomalyResult& result);

// Rounds to 6 decimals, the precision every float in our JSON carries: enough
// for a confidence, and short enough that platform differences in the last
// bits never show.
double RoundForJson(double value);

// The shortest decimal that reads back as exactly `value` ("%.Ng" for the
// smallest N), with ".0" added to whole numbers; "null" for NaN and
// infinities. (nlohmann::json's printer is not always shortest: it printed
// 0.87994 as 0.8799400000000001.) Assumes the C locale's decimal point.
std::string JsonNumber(double value);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_LOOKOUT_RESULT_JSON_H_
