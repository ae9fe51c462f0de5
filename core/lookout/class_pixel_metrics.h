// ClassPixelMetricsAccumulator: Lookout's per-label segmentation metrics
// (PixelAnomalyClassMetrics) over a test set, streamed image by image.
//
// For each class, pooled over all pixels of the images added: Precision,
// Recall and F1 of "this pixel is of this class". AIOU, the average
// intersection over union, is the mean over the images where the class is
// labelled or predicted of |predicted and labelled| / |predicted or labelled|
// (an image where it is only predicted, or only labelled, scores 0).
#ifndef ANOMALENS_CORE_LOOKOUT_CLASS_PIXEL_METRICS_H_
#define ANOMALENS_CORE_LOOKOUT_CLASS_PIXEL_METRICS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/base/status.h"

namespace anomalens {

struct ClassPixelMetrics {
  double precision = 0;  // 0 when the class was never predicted
  double recall = 0;     // NaN when it was never labelled
  double f1 = 0;
  double aiou = 0;       // NaN when no image has the class labelled or predicted
  int images = 0;        // images where it is labelled or predicted
};

class ClassPixelMetricsAccumulator {
 public:
  explicit ClassPixelMetricsAccumulator(size_t classes);

  // predicted and labelled: `pixels` class indices each (0 background,
  // k = class k - 1). An index above the class count is an error.
  Status AddImage(const uint8_t* predicted, const uint8_t* labelled, size_t pixels);

  std::vector<ClassPixelMetrics> Results() const;

 private:
  struct Counts {
    uint64_t true_positives = 0, false_positives = 0, false_negatives = 0;
    double iou_sum = 0;
    int images = 0;
  };
  std::vector<Counts> counts_;
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_LOOKOUT_CLASS_PIXEL_METRICS_H_
