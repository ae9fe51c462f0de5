// AnomalyMap: per-pixel anomaly scores on the padded working grid, from the
// patch scores upsampled and smoothed. The image's score is its maximum over
// the image's own pixels (the padding excluded).
#ifndef ANOMALENS_CORE_SCORING_ANOMALY_MAP_H_
#define ANOMALENS_CORE_SCORING_ANOMALY_MAP_H_

#include <vector>

#include "core/base/parallel.h"
#include "core/features/working_geometry.h"

namespace anomalens {

struct AnomalyMap {
  WorkingGeometry geometry;
  std::vector<float> values;  // padded.width x padded.height

  // The maximum over the content region.
  float ContentMax() const;
  // The map on the original image's pixels: cropped to the content and
  // resized by 1 / scale. original.width x original.height values.
  // (`parallel`: as ResizePlane's; the same values.)
  std::vector<float> ToOriginal(const ParallelFor& parallel = {}) const;
};

// patch_scores: grid_width x grid_height, row-major, on the padded grid.
// `parallel`: the upsampling's and smoothing's rows on the platform's
// threads; the same values.
AnomalyMap BuildAnomalyMap(const std::vector<float>& patch_scores, int grid_width, int grid_height,
                           const WorkingGeometry& geometry, float smoothing_sigma, const ParallelFor& parallel = {});

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SCORING_ANOMALY_MAP_H_
