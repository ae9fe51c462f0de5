// PlanTraining's minimums: Lookout's for the server by default, and the
// normal-only relief the CLI (and `serve --allow-normal-only-training`) gives.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/lookout/dataset_split.h"
#include "native/jobs/train_model.h"

namespace anomalens {
namespace {

std::vector<ManifestEntry> Entries(int normal, int anomaly) {
  std::vector<ManifestEntry> entries;
  for (int i = 0; i < normal + anomaly; ++i) {
    ManifestEntry e;
    e.line_number = i + 1;
    e.source_ref = "s3://b/image-" + std::to_string(i) + ".png";
    e.raw_json = std::to_string(i);
    e.label = i < normal ? ImageLabel::kNormal : ImageLabel::kAnomaly;
    entries.push_back(e);
  }
  return entries;
}

TEST(PlanTraining, LookoutRuleRefusesANormalOnlyDataset) {
  auto plan = PlanTraining(Entries(200, 0), {}, false, 0, "test");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message(),
            "the dataset has 200 normal and 0 anomalous images; a single-dataset project needs at least 20 normal "
            "and 10 anomalous images");
}

TEST(PlanTraining, NormalOnlyRuleTrainsNormalImagesAndHoldsAFifthOut) {
  auto plan = PlanTraining(Entries(200, 0), {}, false, 0, "test", SingleDatasetRule::kAllowNormalOnly);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->train.size(), 160u);
  EXPECT_EQ(plan->test.size(), 40u);
  auto few = PlanTraining(Entries(19, 0), {}, false, 0, "test", SingleDatasetRule::kAllowNormalOnly);
  ASSERT_FALSE(few.ok());
  EXPECT_EQ(few.status().message(),
            "the dataset has 19 normal images; a normal-only dataset needs at least 20 normal images");
}

TEST(PlanTraining, SomeAnomaliesStillNeedLookoutsMinimumUnlessNormalOnly) {
  // 3 labelled anomalies: a labelled project short of Lookout's 10...
  EXPECT_FALSE(PlanTraining(Entries(30, 3), {}, false, 0, "test", SingleDatasetRule::kAllowNormalOnly).ok());
  // ...unless training uses the normal images alone (--normal-only): they then only test.
  auto plan = PlanTraining(Entries(30, 3), {}, false, 0, "test", SingleDatasetRule::kAllowNormalOnly, true);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(CountLabels(plan->test).anomaly, 1);
}

}  // namespace
}  // namespace anomalens
