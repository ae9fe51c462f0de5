// The DetectAnomalyResult serializer against the golden file that every
// target's tests share.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/lookout/evaluation.h"
#include "core/lookout/result_json.h"
#include "test_support.h"

namespace anomalens {
namespace {

TEST(DetectAnomalyResultJson, MatchesGoldenFile) {
  const std::vector<uint8_t> bytes =
      testing::ReadFileOrDie(std::string(ANOMALENS_GOLDEN_DIR) + "/detect_anomaly_results.json");
  const nlohmann::json golden = nlohmann::json::parse(bytes.begin(), bytes.end());
  ASSERT_GE(golden.size(), 5u);
  for (const nlohmann::json& c : golden) {
    DetectAnomalyResult r;
    r.is_anomalous = c["is_anomalous"].get<bool>();
    r.confidence = c["confidence"].get<double>();
    r.score = 123.0;  // never serialized
    EXPECT_EQ(DetectAnomalyResultJson(r), c["json"].get<std::string>());
  }
}

TEST(EvaluationResultJson, HasLookoutsShapeAndNullForUndefined) {
  EvaluationMetrics m;
  m.roc_auc = std::nan("");
  m.average_precision = 0.75;
  m.precision = 1.0;
  m.recall = 0.5;
  m.f1 = 2.0 / 3.0;
  m.test_images = 4;
  EvaluationDetails d{"arn:model", "2026-11-26T10:00:00.000Z", 20};
  EXPECT_EQ(EvaluationResultJson(m, d),
            "{\"Version\":1,\"EvaluationDetails\":{\"ModelArn\":\"arn:model\",\"EvaluationEndTimestamp\":"
            "\"2026-11-26T10:00:00.000Z\",\"NumberOfTrainingImages\":20,\"NumberOfTestingImages\":4},"
            "\"AggregatedEvaluationResults\":{\"Metrics\":{\"ROCAUC\":null,\"AveragePrecision\":0.75,"
            "\"Precision\":1.0,\"Recall\":0.5,\"F1Score\":0.666667}}}");
}

TEST(Evaluate, CountsDecisionsAndRanksScores) {
  std::vector<EvaluatedImage> images = {
      {false, {false, 0.9, 1.0}}, {false, {true, 0.6, 3.0}}, {true, {true, 0.9, 5.0}}, {true, {false, 0.7, 2.0}}};
  const EvaluationMetrics m = Evaluate(images);
  EXPECT_EQ(m.test_images, 4);
  EXPECT_EQ(m.correct, 2);
  EXPECT_DOUBLE_EQ(m.precision, 0.5);
  EXPECT_DOUBLE_EQ(m.recall, 0.5);
  EXPECT_DOUBLE_EQ(m.roc_auc, 0.75);  // pairs: (5>1,5>3,2>1,2<3) = 3/4
}

}  // namespace
}  // namespace anomalens

namespace anomalens {
namespace {

TEST(JsonNumber, Prints_the_shortest_round_trip_form) {
  EXPECT_EQ(JsonNumber(0.87994), "0.87994");  // nlohmann::json printed 0.8799400000000001
  EXPECT_EQ(JsonNumber(1.0), "1.0");
  EXPECT_EQ(JsonNumber(0.0), "0.0");
  EXPECT_EQ(JsonNumber(0.5), "0.5");
  EXPECT_EQ(JsonNumber(1e-06), "1e-06");
  EXPECT_EQ(JsonNumber(0.1 + 0.2), "0.30000000000000004");  // not 0.3: that is another double
  EXPECT_EQ(JsonNumber(std::nan("")), "null");
  for (double v : {0.123456, 0.999999, 0.000001, 0.654321, 0.87994}) {
    EXPECT_EQ(std::strtod(JsonNumber(v).c_str(), nullptr), v);
  }
}

TEST(JsonNumber, Confidence_is_printed_shortest_in_the_result) {
  DetectAnomalyResult r;
  r.confidence = 0.87994;
  EXPECT_EQ(DetectAnomalyResultJson(r),
            R"({"DetectAnomalyResult":{"Source":{"Type":"direct"},"IsAnomalous":false,"Confidence":0.87994}})");
}

}  // namespace
}  // namespace anomalens
