// The server's metrics for Prometheus: counters, gauges and histograms with
// labels, written in Prometheus' text exposition format (version 0.0.4) for
// `GET /metrics`. Thread-safe; the request path only takes a short lock.
//
//   Metrics m;
//   m.Declare("lookoutvision_ProcessedImageCount_total", MetricType::kCounter, "Images DetectAnomalies analysed");
//   m.Add("lookoutvision_ProcessedImageCount_total", {{"ProjectName", "p"}, {"ModelVersion", "1"}});
//   std::string text = m.Exposition();
#ifndef ANOMALENS_NATIVE_SERVER_METRICS_H_
#define ANOMALENS_NATIVE_SERVER_METRICS_H_

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace anomalens {

enum class MetricType { kCounter, kGauge, kHistogram };

// Label names and values, in the order they are written.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Request-time buckets in seconds: from a cached Describe (1 ms) to a 4096 x
// 4096 detection on one core (about 30 s, docs/scaling.md).
const std::vector<double>& DefaultTimeBuckets();

class Metrics {
 public:
  // A family must be declared before it is used; a histogram gets `buckets`
  // (upper bounds, ascending; +Inf is implied). Declaring again is a no-op.
  void Declare(const std::string& name, MetricType type, const std::string& help,
               std::vector<double> buckets = DefaultTimeBuckets());
  // Counter: adds `delta` (>= 0). Gauge: adds `delta` (may be negative).
  void Add(const std::string& name, const MetricLabels& labels, double delta = 1);
  // Gauge only.
  void Set(const std::string& name, const MetricLabels& labels, double value);
  // Histogram only: one observation.
  void Observe(const std::string& name, const MetricLabels& labels, double value);

  // Every family with its HELP and TYPE lines, then its samples; families
  // and label sets in sorted order, so two scrapes line up.
  std::string Exposition() const;

 private:
  struct Series {
    MetricLabels labels;
    double value = 0;                 // counter, gauge; histogram: sum
    std::vector<unsigned long long> bucket_counts;  // histogram: per bucket, not cumulative
    unsigned long long count = 0;     // histogram
  };
  struct Family {
    MetricType type = MetricType::kCounter;
    std::string help;
    std::vector<double> buckets;
    std::map<std::string, Series> series;  // by the written label set
  };
  Series& SeriesOf(const std::string& name, const MetricLabels& labels, MetricType expected);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

// A label value as the text format writes it: backslash, double quote and
// newline escaped.
std::string EscapeLabelValue(const std::string& value);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_METRICS_H_
