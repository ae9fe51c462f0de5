// ClassPixelMetricsAccumulator: Lookout's per-label Precision, Recall, F1 and
// AIOU, hand-computed over tiny images.
#include "core/lookout/class_pixel_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace anomalens {
namespace {

void Add(ClassPixelMetricsAccumulator& acc, const std::vector<uint8_t>& predicted, const std::vector<uint8_t>& labelled) {
  ASSERT_EQ(predicted.size(), labelled.size());
  const Status status = acc.AddImage(predicted.data(), labelled.data(), predicted.size());
  ASSERT_TRUE(status.ok()) << status.ToString();
}

TEST(ClassPixelMetrics, Pooled_precision_recall_f1_and_per_image_aiou) {
  ClassPixelMetricsAccumulator acc(3);
  // Image 1: class 1 TP 2 (px 0, 1), FP 1 (px 2), FN 1 (px 3): IoU 2/4.
  //          class 2 only predicted (px 4): IoU 0, and the image counts.
  Add(acc, {1, 1, 1, 0, 2, 0}, {1, 1, 0, 1, 0, 0});
  // Image 2: class 1 TP 1, FN 1: IoU 1/2. Class 2 absent: not counted.
  Add(acc, {1, 0, 0, 0}, {1, 1, 0, 0});
  // Image 3: px 0 class 2 TP; px 1 predicted 2, labelled 1: class 2 FP and
  //          class 1 FN; px 2 class 1 TP. Class 1 IoU 1/2, class 2 IoU 1/2.
  Add(acc, {2, 2, 1, 0}, {2, 1, 1, 0});
  const std::vector<ClassPixelMetrics> m = acc.Results();
  ASSERT_EQ(m.size(), 3u);

  // Class 1: TP 4, FP 1, FN 3. Precision 4/5, recall 4/7,
  // F1 = 2TP / (2TP + FP + FN) = 8/12; AIOU (1/2 + 1/2 + 1/2) / 3.
  EXPECT_DOUBLE_EQ(m[0].precision, 0.8);
  EXPECT_DOUBLE_EQ(m[0].recall, 4.0 / 7.0);
  EXPECT_DOUBLE_EQ(m[0].f1, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m[0].aiou, 0.5);
  EXPECT_EQ(m[0].images, 3);

  // Class 2: TP 1, FP 2, FN 0. Precision 1/3, recall 1, F1 2/4;
  // AIOU (0 + 1/2) / 2 over images 1 and 3.
  EXPECT_DOUBLE_EQ(m[1].precision, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(m[1].recall, 1.0);
  EXPECT_DOUBLE_EQ(m[1].f1, 0.5);
  EXPECT_DOUBLE_EQ(m[1].aiou, 0.25);
  EXPECT_EQ(m[1].images, 2);

  // Class 3: never labelled nor predicted.
  EXPECT_EQ(m[2].precision, 0.0);
  EXPECT_TRUE(std::isnan(m[2].recall));
  EXPECT_EQ(m[2].f1, 0.0);
  EXPECT_TRUE(std::isnan(m[2].aiou));
  EXPECT_EQ(m[2].images, 0);
}

TEST(ClassPixelMetrics, Class_only_predicted_has_precision_0_recall_nan_and_aiou_0) {
  ClassPixelMetricsAccumulator acc(2);
  // Class 2 is predicted on 2 pixels of image 1 and 1 of image 2, never labelled.
  Add(acc, {2, 2, 1, 0}, {0, 0, 1, 0});
  Add(acc, {0, 2, 0}, {0, 0, 0});
  const std::vector<ClassPixelMetrics> m = acc.Results();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_DOUBLE_EQ(m[0].precision, 1.0);
  EXPECT_DOUBLE_EQ(m[0].recall, 1.0);
  EXPECT_DOUBLE_EQ(m[0].f1, 1.0);
  EXPECT_DOUBLE_EQ(m[0].aiou, 1.0);  // image 1 only; image 2 lacks class 1
  EXPECT_EQ(m[0].images, 1);
  EXPECT_EQ(m[1].precision, 0.0);  // TP 0 of 3 predicted
  EXPECT_TRUE(std::isnan(m[1].recall));
  EXPECT_EQ(m[1].f1, 0.0);
  EXPECT_EQ(m[1].aiou, 0.0);  // 0/2 and 0/1: counted, not skipped
  EXPECT_EQ(m[1].images, 2);
}

TEST(ClassPixelMetrics, Class_only_labelled_has_recall_0_and_aiou_0) {
  ClassPixelMetricsAccumulator acc(1);
  Add(acc, {0, 0, 0}, {1, 1, 0});
  const std::vector<ClassPixelMetrics> m = acc.Results();
  EXPECT_EQ(m[0].precision, 0.0);
  EXPECT_EQ(m[0].recall, 0.0);
  EXPECT_EQ(m[0].f1, 0.0);
  EXPECT_EQ(m[0].aiou, 0.0);
  EXPECT_EQ(m[0].images, 1);
}

TEST(ClassPixelMetrics, Out_of_range_index_is_rejected_and_adds_nothing) {
  ClassPixelMetricsAccumulator acc(2);
  Add(acc, {1, 0}, {1, 1});  // class 1: TP 1, FN 1
  const std::vector<ClassPixelMetrics> before = acc.Results();

  // Valid pixels come first (they would add class 1 TP 2, class 2 TP 1), then
  // a labelled index 3 with only 2 classes.
  const std::vector<uint8_t> predicted = {1, 1, 2, 0}, labelled = {1, 1, 2, 3};
  const Status status = acc.AddImage(predicted.data(), labelled.data(), 4);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidInput);
  EXPECT_NE(status.message().find("index 3"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("2 classes"), std::string::npos) << status.message();

  // A predicted index out of range too.
  const std::vector<uint8_t> bad_prediction = {7};
  const std::vector<uint8_t> background = {0};
  const Status predicted_status = acc.AddImage(bad_prediction.data(), background.data(), 1);
  ASSERT_FALSE(predicted_status.ok());
  EXPECT_EQ(predicted_status.code(), StatusCode::kInvalidInput);
  EXPECT_NE(predicted_status.message().find("index 7"), std::string::npos) << predicted_status.message();

  const std::vector<ClassPixelMetrics> after = acc.Results();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_DOUBLE_EQ(after[0].precision, before[0].precision);
  EXPECT_DOUBLE_EQ(after[0].recall, 0.5);
  EXPECT_DOUBLE_EQ(after[0].aiou, 0.5);
  EXPECT_EQ(after[0].images, 1);
  EXPECT_EQ(after[1].images, 0);
  EXPECT_TRUE(std::isnan(after[1].aiou));
}

}  // namespace
}  // namespace anomalens
