// DetectAnomalyResult: Lookout for Vision's DetectAnomalies answer as a plain
// struct. result_json.h turns it into the JSON every target prints.
#ifndef ANOMALENS_CORE_LOOKOUT_DETECT_RESULT_H_
#define ANOMALENS_CORE_LOOKOUT_DETECT_RESULT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace anomalens {

struct PixelAnomaly {
  // Fraction of the image's pixels, 0 to 1, despite the name (as Lookout).
  double total_percentage_area = 0;
  uint32_t color = 0;  // 0xRRGGBB
};

// One entry of Lookout's Anomalies list: a type found, however many regions.
struct Anomaly {
  std::string name;
  PixelAnomaly pixel_anomaly;
};

struct DetectAnomalyResult {
  bool is_anomalous = false;
  double confidence = 0;  // in the IsAnomalous decision, 0 to 1 (calibration.h)
  double score = 0;       // the raw image score, for evaluation; not in Lookout's JSON
  // Segmentation models only; both empty for classification models.
  std::vector<Anomaly> anomalies;         // "background" first, then each type found
  std::vector<uint8_t> anomaly_mask_png;  // the input's size; background #FFFFFF

  bool has_segmentation() const { return !anomalies.empty(); }
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_LOOKOUT_DETECT_RESULT_H_
