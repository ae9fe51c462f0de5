// DetectAnomalyResult: Lookout for Vision's DetectAnomalies answer as a plain
// struct. result_json.h turns it into the JSON every target prints.
#ifndef ANOMALENS_CORE_DETECT_RESULT_H_
#define ANOMALENS_CORE_DETECT_RESULT_H_

namespace anomalens {

struct DetectAnomalyResult {
  bool is_anomalous = false;
  double confidence = 0;  // in the IsAnomalous decision, 0 to 1 (calibration.h)
  double score = 0;       // the raw image score, for evaluation; not in Lookout's JSON
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_DETECT_RESULT_H_
