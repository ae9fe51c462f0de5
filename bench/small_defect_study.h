// The small-defect study: how detection holds as defects shrink, on the
// synthetic plate at several image sizes with round defects of a chosen
// share of the image area. Shared by bench/small_defects (the table) and the
// GoogleTest floor in tests/small_defects_test.cc.
#ifndef ANOMALENS_BENCH_SMALL_DEFECT_STUDY_H_
#define ANOMALENS_BENCH_SMALL_DEFECT_STUDY_H_

#include <memory>
#include <vector>

#include "core/backbone/mobilenet_v2.h"
#include "core/base/status.h"
#include "core/model/model.h"

namespace anomalens {

struct SmallDefectCase {
  int width = 0;
  int height = 0;
  double defect_area = 0;  // fraction of the image
};

struct SmallDefectResult {
  SmallDefectCase c;
  double scale = 0;           // the working scale training chose
  double recall = 0;          // at the false-positive rate below
  double false_positive_rate = 0;
  double roc_auc = 0;
  int normals = 0, anomalies = 0;
};

struct SmallDefectStudyOptions {
  std::vector<std::pair<int, int>> sizes = {{320, 240}, {1024, 768}, {2048, 1536}};
  std::vector<double> areas = {0.01, 0.003, 0.001, 0.0005};
  int train_normals = 10;
  int test_per_class = 20;
  double false_positive_rate = 0.05;
  double defect_contrast = 0.15;  // faint marks: strong ones are found at any size
  ModelConfig config;  // the defaults unless a caller studies an option
};

// Trains one model per size on normal images, then scores normal and
// anomalous test images per defect area. Recall is measured at the threshold
// that lets `false_positive_rate` of the normal test images through.
StatusOr<std::vector<SmallDefectResult>> RunSmallDefectStudy(std::shared_ptr<const Backbone> backbone,
                                                              const SmallDefectStudyOptions& options);

}  // namespace anomalens

#endif  // ANOMALENS_BENCH_SMALL_DEFECT_STUDY_H_
