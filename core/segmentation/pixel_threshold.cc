#include "core/segmentation/pixel_threshold.h"

#include <algorithm>

namespace anomalens {
namespace {

// Pixels of a sorted list at or above `cutoff`.
size_t AtLeast(const std::vector<float>& sorted, double cutoff) {
  return sorted.end() - std::lower_bound(sorted.begin(), sorted.end(), static_cast<float>(cutoff));
}

}  // namespace

double DefectCutoff(const PixelThresholdRule& rule, double peak) {
  return std::min(std::max(rule.threshold, rule.relative_to_peak * peak), peak);
}

PixelThresholdCalibration::PixelThresholdCalibration(size_t expected_pixels)
    : stride_(expected_pixels / kMaxPixels + 1) {}

void PixelThresholdCalibration::Add(const AnomalyMap& map, const std::vector<uint8_t>& working_mask) {
  const Size c = map.geometry.content, p = map.geometry.padded;
  Image image;
  image.peak = map.ContentMax();
  if (std::none_of(working_mask.begin(), working_mask.end(), [](uint8_t v) { return v != 0; })) return;
  for (int y = 0; y < c.height; ++y)
    for (int x = 0; x < c.width; ++x, ++position_) {
      if (position_ % stride_ != 0) continue;
      const size_t i = static_cast<size_t>(y) * p.width + x;
      (working_mask[i] ? image.defect : image.normal).push_back(map.values[i]);
    }
  std::sort(image.defect.begin(), image.defect.end());
  std::sort(image.normal.begin(), image.normal.end());
  images_.push_back(std::move(image));
}

PixelThresholdRule PixelThresholdCalibration::Best() const {
  // Candidate absolute thresholds: quantiles of the defect pixels' scores
  // (where a useful threshold lies), plus 0 (no absolute part).
  std::vector<float> defect;
  for (const Image& image : images_) defect.insert(defect.end(), image.defect.begin(), image.defect.end());
  PixelThresholdRule best;
  if (defect.empty()) return best;
  std::sort(defect.begin(), defect.end());
  constexpr int kQuantiles = 256;
  std::vector<double> thresholds{0.0};
  for (int q = 0; q < kQuantiles; ++q) thresholds.push_back(defect[defect.size() * q / kQuantiles]);
  const double relatives[] = {0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
  best.mean_iou = -1;
  for (double relative : relatives) {
    for (double threshold : thresholds) {
      const PixelThresholdRule rule{threshold, relative, 0};
      double iou_sum = 0;
      for (const Image& image : images_) {
        const double cutoff = DefectCutoff(rule, image.peak);
        const size_t hits = AtLeast(image.defect, cutoff), false_alarms = AtLeast(image.normal, cutoff);
        const size_t union_pixels = image.defect.size() + false_alarms;
        iou_sum += union_pixels > 0 ? static_cast<double>(hits) / union_pixels : 0;
      }
      const double mean_iou = iou_sum / images_.size();
      // Strictly better only: ties keep the simpler rule found first.
      if (mean_iou > best.mean_iou) best = {threshold, relative, mean_iou};
    }
  }
  return best;
}

}  // namespace anomalens
