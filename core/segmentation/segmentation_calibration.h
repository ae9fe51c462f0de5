// SegmentationCalibration: chooses a segmentation model's map refinement
// (map_refinement.h) and pixel rule (pixel_threshold.h) together, from the
// held-out maps of labelled anomalous training images: each candidate
// refinement is applied to every held-out map, the best pixel rule found for
// it, and the pair with the highest held-out mean IoU wins (no refinement
// among the candidates, so a refinement is kept only where it pays).
#ifndef ANOMALENS_CORE_SEGMENTATION_SEGMENTATION_CALIBRATION_H_
#define ANOMALENS_CORE_SEGMENTATION_SEGMENTATION_CALIBRATION_H_

#include <cstdint>
#include <vector>

#include "core/scoring/anomaly_map.h"
#include "core/segmentation/map_refinement.h"
#include "core/segmentation/pixel_threshold.h"

namespace anomalens {

// The refinements tried, "none" first.
std::vector<MapRefinement> MapRefinementCandidates();

struct SegmentationRule {
  MapRefinement refinement;
  PixelThresholdRule pixel_rule;
};

class SegmentationCalibration {
 public:
  // expected_pixels: as PixelThresholdCalibration's.
  SegmentationCalibration(size_t expected_pixels, std::vector<MapRefinement> candidates);

  // One held-out image: its map, its guide (WorkingGuide) and its defect
  // mask, all on the padded working grid.
  void Add(const AnomalyMap& map, const std::vector<float>& guide, const std::vector<uint8_t>& working_mask);

  size_t images() const { return calibrations_.empty() ? 0 : calibrations_[0].images(); }

  // The best pair; ties keep the earlier candidate (the simpler: none first).
  SegmentationRule Best() const;

 private:
  std::vector<MapRefinement> candidates_;
  std::vector<PixelThresholdCalibration> calibrations_;
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SEGMENTATION_SEGMENTATION_CALIBRATION_H_
