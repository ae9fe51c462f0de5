#include "native/server/metrics.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace anomalens {
namespace {

std::string LabelText(const MetricLabels& labels, const std::string& extra_name = "",
                      const std::string& extra_value = "") {
  std::string out;
  auto add = [&out](const std::string& name, const std::string& value) {
    out += out.empty() ? "{" : ",";
    out += name + "=\"" + EscapeLabelValue(value) + "\"";
  };
  for (const auto& [name, value] : labels) add(name, value);
  if (!extra_name.empty()) add(extra_name, extra_value);
  if (!out.empty()) out += "}";
  return out;
}

// Numbers as Prometheus reads them: integers without a fraction, +Inf/-Inf/NaN spelled its way.
std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // The shortest of 15 to 17 digits that reads back as the same double: 0.1, not 0.10000000000000001.
  char text[64];
  for (int digits = 15; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, v);
    if (std::strtod(text, nullptr) == v) break;
  }
  return text;
}

std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

const std::vector<double>& DefaultTimeBuckets() {
  static const std::vector<double> buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                              0.5,   1,      2.5,   5,    10,    30,   60};
  return buckets;
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void Metrics::Declare(const std::string& name, MetricType type, const std::string& help,
                      std::vector<double> buckets) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (families_.count(name)) return;
  Family& family = families_[name];
  family.type = type;
  family.help = help;
  if (type == MetricType::kHistogram) family.buckets = std::move(buckets);
}

Metrics::Series& Metrics::SeriesOf(const std::string& name, const MetricLabels& labels, MetricType expected) {
  auto family = families_.find(name);
  // A programming error, not bad input: every name is declared at start.
  if (family == families_.end()) throw std::logic_error("metric " + name + " was not declared");
  if (family->second.type != expected) throw std::logic_error("metric " + name + " has another type");
  Series& series = family->second.series[LabelText(labels)];
  if (series.labels.empty() && !labels.empty()) series.labels = labels;
  if (expected == MetricType::kHistogram && series.bucket_counts.empty()) {
    series.bucket_counts.assign(family->second.buckets.size(), 0);
  }
  return series;
}

void Metrics::Add(const std::string& name, const MetricLabels& labels, double delta) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto family = families_.find(name);
  const MetricType type = family == families_.end() ? MetricType::kCounter : family->second.type;
  if (type == MetricType::kCounter && delta < 0) throw std::logic_error("counter " + name + " cannot decrease");
  if (type == MetricType::kHistogram) throw std::logic_error("histogram " + name + " takes Observe");
  SeriesOf(name, labels, type).value += delta;
}

void Metrics::Set(const std::string& name, const MetricLabels& labels, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  SeriesOf(name, labels, MetricType::kGauge).value = value;
}

void Metrics::Observe(const std::string& name, const MetricLabels& labels, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  Series& series = SeriesOf(name, labels, MetricType::kHistogram);
  const std::vector<double>& buckets = families_.at(name).buckets;
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (value <= buckets[i]) {
      ++series.bucket_counts[i];
      break;
    }
  }
  ++series.count;
  series.value += value;
}

std::string Metrics::Exposition() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + EscapeHelp(family.help) + "\n";
    out += std::string("# TYPE ") + name + " " + TypeName(family.type) + "\n";
    for (const auto& [label_text, series] : family.series) {
      if (family.type != MetricType::kHistogram) {
        out += name + label_text + " " + Number(series.value) + "\n";
        continue;
      }
      unsigned long long cumulative = 0;
      for (size_t i = 0; i < family.buckets.size(); ++i) {
        cumulative += series.bucket_counts[i];
        out += name + "_bucket" + LabelText(series.labels, "le", Number(family.buckets[i])) + " " +
               std::to_string(cumulative) + "\n";
      }
      out += name + "_bucket" + LabelText(series.labels, "le", "+Inf") + " " + std::to_string(series.count) + "\n";
      out += name + "_sum" + label_text + " " + Number(series.value) + "\n";
      out += name + "_count" + label_text + " " + std::to_string(series.count) + "\n";
    }
  }
  return out;
}

}  // namespace anomalens
