// The one serializer of DetectAnomalies results. The CLI, the server and the
// wasm API all print what this returns, so results compare byte for byte.
//
//   {"DetectAnomalyResult":{"Source":{"Type":"direct"},"IsAnomalous":true,"Confidence":0.984}}
//
// Segmentation models add, as Lookout did, "Anomalies" (background first;
// areas rounded to 6 decimals and summing to 1) and "AnomalyMask" (the PNG in
// base64).
#ifndef ANOMALENS_CORE_RESULT_JSON_H_
#define ANOMALENS_CORE_RESULT_JSON_H_

#include <string>

#include "core/detect_result.h"

namespace anomalens {

// Returns the compact JSON document, keys in Lookout's order, Confidence
// rounded to 6 decimals and printed in its shortest round-trip form.
std::string DetectAnomalyResultJson(const DetectAnomalyResult& result);

// Rounds to 6 decimals, the precision every float in our JSON carries: enough
// for a confidence, and short enough that platform differences in the last
// bits never show.
double RoundForJson(double value);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_RESULT_JSON_H_
