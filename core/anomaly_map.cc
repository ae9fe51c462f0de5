#include "core/anomaly_map.h"

#include <algorithm>

#include "core/gaussian_blur.h"
#include "core/image_resize.h"

namespace anomalens {

float AnomalyMap::Max() const { return values.empty() ? 0.0f : *std::max_element(values.begin(), values.end()); }

AnomalyMap BuildAnomalyMap(const std::vector<float>& patch_scores, int grid_width, int grid_height, Size working,
                           float smoothing_sigma) {
  AnomalyMap map;
  map.width = working.width;
  map.height = working.height;
  map.values.resize(static_cast<size_t>(working.width) * working.height);
  ResizePlane(patch_scores.data(), grid_width, grid_height, map.values.data(), working.width, working.height);
  GaussianBlur(map.values, map.width, map.height, smoothing_sigma);
  return map;
}

}  // namespace anomalens
