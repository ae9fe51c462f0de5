#include "core/segmentation/segmentation_calibration.h"

namespace anomalens {

std::vector<MapRefinement> MapRefinementCandidates() {
  // On the cookies' held-out folds (issue 19) the wide windows won: the map
  // is smooth over a cell or two, so a window must span the defect and
  // some intact surface to learn how score follows brightness there.
  return {MapRefinement{}, {8, 1e-2}, {16, 1e-2}, {24, 1e-2}, {32, 1e-2}, {24, 3e-3}, {24, 3e-2}};
}

SegmentationCalibration::SegmentationCalibration(size_t expected_pixels, std::vector<MapRefinement> candidates)
    : candidates_(std::move(candidates)) {
  if (candidates_.empty()) candidates_.push_back(MapRefinement{});
  calibrations_.assign(candidates_.size(), PixelThresholdCalibration(expected_pixels));
}

void SegmentationCalibration::Add(const AnomalyMap& map, const std::vector<float>& guide,
                                  const std::vector<uint8_t>& working_mask) {
  for (size_t c = 0; c < candidates_.size(); ++c) {
    if (!candidates_[c].enabled()) {
      calibrations_[c].Add(map, working_mask);
      continue;
    }
    AnomalyMap refined = map;
    RefineMap(candidates_[c], guide, &refined);
    calibrations_[c].Add(refined, working_mask);
  }
}

SegmentationRule SegmentationCalibration::Best() const {
  SegmentationRule best{candidates_[0], calibrations_[0].Best()};
  for (size_t c = 1; c < candidates_.size(); ++c) {
    const PixelThresholdRule rule = calibrations_[c].Best();
    if (rule.mean_iou > best.pixel_rule.mean_iou) best = {candidates_[c], rule};
  }
  return best;
}

}  // namespace anomalens
