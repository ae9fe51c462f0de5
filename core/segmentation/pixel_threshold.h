// PixelThresholdCalibration: chooses how a segmentation model turns an
// anomalous image's anomaly map into defect pixels, from held-out maps of
// labelled anomalous training images.
//
// The rule: a pixel is a defect when its score is at least
//     max(threshold, relative_to_peak x the image's peak score)
// (never above the peak, so an anomalous image always shows a defect). The
// absolute part holds what "anomalous" means across images; the relative
// part trims the low shoulders a smoothed map spreads around a strong
// defect. Both are chosen to maximize the mean per-image IoU with the masks,
// the quantity Lookout reports as AIOU.
#ifndef ANOMALENS_CORE_SEGMENTATION_PIXEL_THRESHOLD_H_
#define ANOMALENS_CORE_SEGMENTATION_PIXEL_THRESHOLD_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/scoring/anomaly_map.h"

namespace anomalens {

struct PixelThresholdRule {
  double threshold = 0;
  double relative_to_peak = 0;
  double mean_iou = 0;  // on the held-out images it was chosen on
};

// The score above which pixels of an image with peak `peak` are defects.
double DefectCutoff(const PixelThresholdRule& rule, double peak);

class PixelThresholdCalibration {
 public:
  // At most this many pixels are kept over all images: larger sets are
  // sampled on a regular stride (the same for defect and normal pixels).
  static constexpr size_t kMaxPixels = 8u << 20;
  explicit PixelThresholdCalibration(size_t expected_pixels);

  // One held-out image: its map (content region used) and its defect mask
  // on the same padded working grid (WorkingDefectMask).
  void Add(const AnomalyMap& map, const std::vector<uint8_t>& working_mask);

  size_t images() const { return images_.size(); }

  // The best rule; {0, 0, 0} when no image has a defect pixel.
  PixelThresholdRule Best() const;

 private:
  struct Image {
    std::vector<float> defect, normal;  // sorted ascending
    float peak = 0;
  };
  size_t stride_;
  size_t position_ = 0;
  std::vector<Image> images_;
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SEGMENTATION_PIXEL_THRESHOLD_H_
