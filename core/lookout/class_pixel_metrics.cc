#include "core/lookout/class_pixel_metrics.h"

#include <limits>
#include <string>

namespace anomalens {

ClassPixelMetricsAccumulator::ClassPixelMetricsAccumulator(size_t classes) : counts_(classes) {}

Status ClassPixelMetricsAccumulator::AddImage(const uint8_t* predicted, const uint8_t* labelled, size_t pixels) {
  const size_t classes = counts_.size();
  // Per image first, so that a bad index adds nothing.
  std::vector<Counts> image(classes);
  for (size_t i = 0; i < pixels; ++i) {
    const uint8_t p = predicted[i], l = labelled[i];
    if (p > classes || l > classes) {
      return InvalidInput("pixel class index " + std::to_string(p > classes ? p : l) + " is above the " +
                          std::to_string(classes) + " classes");
    }
    if (p != 0 && p == l) {
      ++image[p - 1].true_positives;
    } else {
      if (p != 0) ++image[p - 1].false_positives;
      if (l != 0) ++image[l - 1].false_negatives;
    }
  }
  for (size_t k = 0; k < classes; ++k) {
    const Counts& c = image[k];
    const uint64_t union_pixels = c.true_positives + c.false_positives + c.false_negatives;
    Counts& total = counts_[k];
    total.true_positives += c.true_positives;
    total.false_positives += c.false_positives;
    total.false_negatives += c.false_negatives;
    if (union_pixels == 0) continue;
    total.iou_sum += static_cast<double>(c.true_positives) / union_pixels;
    ++total.images;
  }
  return Status::Ok();
}

std::vector<ClassPixelMetrics> ClassPixelMetricsAccumulator::Results() const {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<ClassPixelMetrics> out;
  for (const Counts& c : counts_) {
    ClassPixelMetrics m;
    const double tp = static_cast<double>(c.true_positives);
    m.precision = c.true_positives + c.false_positives > 0 ? tp / (c.true_positives + c.false_positives) : 0;
    m.recall = c.true_positives + c.false_negatives > 0 ? tp / (c.true_positives + c.false_negatives) : nan;
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
    m.aiou = c.images > 0 ? c.iou_sum / c.images : nan;
    m.images = c.images;
    out.push_back(m);
  }
  return out;
}

}  // namespace anomalens
