// The metrics registry and its Prometheus text, parsed back by an
// independent reader (prometheus_text.h); the access log's JSON lines.
#include "native/server/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "native/server/access_log.h"
#include "prometheus_text.h"

namespace anomalens {
namespace {

using testing::ParsePromText;
using testing::PromText;

PromText Parse(const Metrics& metrics) {
  PromText parsed;
  std::string error;
  const std::string text = metrics.Exposition();
  EXPECT_TRUE(ParsePromText(text, &parsed, &error)) << error << "\n" << text;
  return parsed;
}

TEST(Metrics, CountersAndGaugesParseBackWithTheirLabelsAndTypes) {
  Metrics m;
  m.Declare("lookoutvision_ProcessedImageCount_total", MetricType::kCounter, "Images analysed");
  m.Declare("anomalens_training_queue_length", MetricType::kGauge, "Jobs waiting");
  const MetricLabels p1 = {{"ProjectName", "cookies"}, {"ModelVersion", "1"}};
  const MetricLabels p2 = {{"ProjectName", "cookies"}, {"ModelVersion", "2"}};
  for (int i = 0; i < 5; ++i) m.Add("lookoutvision_ProcessedImageCount_total", p1);
  m.Add("lookoutvision_ProcessedImageCount_total", p2, 3);
  m.Set("anomalens_training_queue_length", {}, 7);
  m.Add("anomalens_training_queue_length", {}, -2);

  const PromText parsed = Parse(m);
  EXPECT_EQ(parsed.families.at("lookoutvision_ProcessedImageCount_total").type, "counter");
  EXPECT_EQ(parsed.families.at("lookoutvision_ProcessedImageCount_total").help, "Images analysed");
  EXPECT_EQ(parsed.families.at("anomalens_training_queue_length").type, "gauge");
  EXPECT_EQ(parsed.Value("lookoutvision_ProcessedImageCount_total", {{"ProjectName", "cookies"}, {"ModelVersion", "1"}}),
            5);
  EXPECT_EQ(parsed.Value("lookoutvision_ProcessedImageCount_total", {{"ProjectName", "cookies"}, {"ModelVersion", "2"}}),
            3);
  EXPECT_EQ(parsed.Value("anomalens_training_queue_length"), 5);
  EXPECT_EQ(parsed.samples.size(), 3u);
}

TEST(Metrics, LabelValuesWithQuotesBackslashesAndNewlinesRoundTrip) {
  Metrics m;
  m.Declare("x_total", MetricType::kCounter, "help with a \\ backslash\nand a newline");
  const std::string awkward = "a \"quoted\" \\ path\nsecond line {braces}, commas=";
  m.Add("x_total", {{"ProjectName", awkward}, {"ModelVersion", ""}});
  const PromText parsed = Parse(m);
  ASSERT_EQ(parsed.samples.size(), 1u);
  EXPECT_EQ(parsed.samples[0].labels.at("ProjectName"), awkward);
  EXPECT_EQ(parsed.samples[0].labels.at("ModelVersion"), "");
  EXPECT_EQ(EscapeLabelValue("\"\\\n"), "\\\"\\\\\\n");
}

TEST(Metrics, HistogramBucketsAreCumulativeAndEndInCount) {
  Metrics m;
  const std::vector<double> bounds = {0.01, 0.1, 1};
  m.Declare("lookoutvision_Time_seconds", MetricType::kHistogram, "Detect time", bounds);
  const MetricLabels labels = {{"ProjectName", "p"}, {"ModelVersion", "1"}};
  const std::vector<double> observations = {0.005, 0.01, 0.05, 0.5, 0.7, 3, 100};
  double sum = 0;
  for (double v : observations) {
    m.Observe("lookoutvision_Time_seconds", labels, v);
    sum += v;
  }
  const PromText parsed = Parse(m);
  EXPECT_EQ(parsed.families.at("lookoutvision_Time_seconds").type, "histogram");
  std::map<std::string, std::string> l = {{"ProjectName", "p"}, {"ModelVersion", "1"}};
  // Expected counts from the observations, not written out by hand.
  double previous = 0;
  for (const std::string le : {"0.01", "0.1", "1", "+Inf"}) {
    auto with_le = l;
    with_le["le"] = le;
    const double bucket = parsed.Value("lookoutvision_Time_seconds_bucket", with_le);
    ASSERT_FALSE(std::isnan(bucket)) << "no bucket le=" << le;
    const double bound = le == "+Inf" ? INFINITY : std::stod(le);
    double expected = 0;
    for (double v : observations) expected += v <= bound;
    EXPECT_EQ(bucket, expected) << "le=" << le;
    EXPECT_GE(bucket, previous);
    previous = bucket;
  }
  EXPECT_EQ(parsed.Value("lookoutvision_Time_seconds_count", l), static_cast<double>(observations.size()));
  EXPECT_EQ(previous, static_cast<double>(observations.size()));
  EXPECT_DOUBLE_EQ(parsed.Value("lookoutvision_Time_seconds_sum", l), sum);
}

TEST(Metrics, MisuseIsALogicErrorNotACorruptedRegistry) {
  Metrics m;
  m.Declare("c_total", MetricType::kCounter, "c");
  m.Declare("h_seconds", MetricType::kHistogram, "h");
  EXPECT_THROW(m.Add("undeclared_total", {}), std::logic_error);
  EXPECT_THROW(m.Add("c_total", {}, -1), std::logic_error);
  EXPECT_THROW(m.Set("c_total", {}, 3), std::logic_error);
  EXPECT_THROW(m.Add("h_seconds", {}), std::logic_error);
  EXPECT_THROW(m.Observe("c_total", {}, 1), std::logic_error);
  const PromText parsed = Parse(m);
  EXPECT_TRUE(parsed.samples.empty());  // declared families without series: HELP and TYPE only
  EXPECT_EQ(parsed.families.size(), 2u);
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  Metrics m;
  m.Declare("c_total", MetricType::kCounter, "c");
  m.Declare("h_seconds", MetricType::kHistogram, "h");
  constexpr int kThreads = 4, kEach = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < kEach; ++i) {
        m.Add("c_total", {{"thread", std::to_string(t % 2)}});
        m.Observe("h_seconds", {}, 0.001 * i);
        if (i % 500 == 0) (void)m.Exposition();
      }
    });
  }
  for (auto& t : threads) t.join();
  const PromText parsed = Parse(m);
  EXPECT_EQ(parsed.Value("c_total", {{"thread", "0"}}) + parsed.Value("c_total", {{"thread", "1"}}),
            kThreads * kEach);
  EXPECT_EQ(parsed.Value("h_seconds_count"), kThreads * kEach);
}

TEST(ParsePromText, RejectsWhatPrometheusWould) {
  // The reader must be able to fail, or the tests above prove nothing.
  PromText parsed;
  std::string error;
  EXPECT_FALSE(ParsePromText("x_total 1\n", &parsed, &error));  // no TYPE
  parsed = {};
  EXPECT_FALSE(ParsePromText("# TYPE x_total counter\nx_total{a=\"1} 1\n", &parsed, &error));
  parsed = {};
  EXPECT_FALSE(ParsePromText("# TYPE x_total counter\nx_total{a=1} 1\n", &parsed, &error));
  parsed = {};
  EXPECT_FALSE(ParsePromText("# TYPE x_total counter\nx_total one\n", &parsed, &error));
  parsed = {};
  EXPECT_FALSE(ParsePromText("# TYPE x_total counter\nx_total 1", &parsed, &error));  // no final newline
  parsed = {};
  EXPECT_TRUE(ParsePromText("# TYPE x_total counter\nx_total{a=\"\\\"\"} 1\n", &parsed, &error)) << error;
}

TEST(AccessLog, OneJsonObjectALineWithTheRequestId) {
  AccessRecord record;
  record.request_id = "6755a1b2-0000000000000007";
  record.remote_addr = "127.0.0.1";
  record.method = "POST";
  record.path = "/2020-11-20/projects/\"odd\"\n\xff";  // a client's bytes, not valid UTF-8
  record.operation = "DetectAnomalies";
  record.status = 200;
  record.bytes_in = 48213;
  record.bytes_out = 131;
  record.duration_seconds = 0.21243;
  const std::string line = AccessLogLine(record, 1796540462.345);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["request_id"], record.request_id);
  EXPECT_EQ(parsed["operation"], "DetectAnomalies");
  EXPECT_EQ(parsed["status"], 200);
  EXPECT_EQ(parsed["bytes_in"], 48213);
  EXPECT_DOUBLE_EQ(parsed["duration_ms"].get<double>(), 212.4);
  EXPECT_EQ(parsed["time"], "2026-12-06T07:01:02.345Z");
}

}  // namespace
}  // namespace anomalens
