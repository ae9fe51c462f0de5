// AnomalyMap: per-pixel anomaly scores at the model's working size, from the
// patch distances upsampled and smoothed. Its maximum is the image's score.
#ifndef ANOMALENS_CORE_ANOMALY_MAP_H_
#define ANOMALENS_CORE_ANOMALY_MAP_H_

#include <vector>

#include "core/working_size.h"

namespace anomalens {

struct AnomalyMap {
  int width = 0;
  int height = 0;
  std::vector<float> values;

  float Max() const;
};

// patch_scores: grid_width x grid_height, row-major.
AnomalyMap BuildAnomalyMap(const std::vector<float>& patch_scores, int grid_width, int grid_height, Size working,
                           float smoothing_sigma);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_ANOMALY_MAP_H_
