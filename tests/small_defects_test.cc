// The small-defect study (bench/small_defect_study.h) at a reduced size, with
// floors: faint round defects from 1% down to 0.05% of the image stay
// detectable at every image size. bench/small_defects prints the full table.
#include <gtest/gtest.h>

#include "bench/small_defect_study.h"
#include "test_support.h"

namespace anomalens {
namespace {

TEST(SmallDefects, DetectionHoldsAsDefectsShrink) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  SmallDefectStudyOptions options;
  options.sizes = {{320, 240}, {1600, 1200}};
  options.areas = {0.01, 0.001, 0.0005};
  options.train_normals = 8;
  options.test_per_class = 12;
  auto results = RunSmallDefectStudy(testing::SharedBackbone(), options);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(results->size(), 6u);
  for (const SmallDefectResult& r : *results) {
    const std::string name = std::to_string(r.c.width) + "x" + std::to_string(r.c.height) + " area " +
                             std::to_string(r.c.defect_area);
    RecordProperty(name + " recall", std::to_string(r.recall));
    RecordProperty(name + " roc_auc", std::to_string(r.roc_auc));
    // Measured with the defaults: ROCAUC 0.94 to 0.98 and recall 0.75 to
    // 0.92, except for a 38-pixel defect in a 320 x 240 image (about 3
    // working pixels across): ROCAUC 0.90, recall 0.42.
    const bool tiny = r.c.defect_area < 0.001 && r.c.width < 1000;
    EXPECT_GE(r.roc_auc, tiny ? 0.8 : 0.85) << name;
    EXPECT_GE(r.recall, tiny ? 0.3 : 0.65) << name << " at FPR " << r.false_positive_rate;
  }
}

}  // namespace
}  // namespace anomalens
