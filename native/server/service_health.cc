// LookoutService: what operators ask of it besides the API: readiness for
// `GET /readyz` and the metrics for `GET /metrics`.
#include <set>

#include "native/server/lookout_errors.h"
#include "native/server/lookout_service.h"
#include "native/server/service_metrics.h"

namespace anomalens {

void LookoutService::DeclareMetrics() {
  metrics_.Declare(kMetricProcessedImages, MetricType::kCounter,
                   "Images DetectAnomalies analysed (Lookout's ProcessedImageCount)");
  metrics_.Declare(kMetricDetectedAnomalies, MetricType::kCounter,
                   "Images DetectAnomalies found anomalous (Lookout's DetectedAnomalyCount)");
  metrics_.Declare(kMetricInvalidImages, MetricType::kCounter,
                   "DetectAnomalies calls whose image could not be analysed: not PNG or JPEG, another type than "
                   "Content-Type, over the size limits (Lookout's InvalidImageCount)");
  metrics_.Declare(kMetricErrors, MetricType::kCounter,
                   "DetectAnomalies calls on an existing model that failed, invalid images included (Lookout's "
                   "ErrorCount)");
  metrics_.Declare(kMetricSuccessfulRequests, MetricType::kCounter,
                   "DetectAnomalies calls that succeeded (Lookout's SuccessfulRequestCount)");
  metrics_.Declare(kMetricDetectTime, MetricType::kHistogram,
                   "Time of a successful DetectAnomalies in seconds, from the model lookup to the result "
                   "(Lookout's Time)");
  metrics_.Declare(kMetricTrainingJobs, MetricType::kCounter, "Training jobs ended, by outcome");
  metrics_.Declare(kMetricTrainingRunning, MetricType::kGauge, "Training jobs running on this server");
  metrics_.Declare(kMetricTrainingQueue, MetricType::kGauge, "Training jobs queued in the store and not yet claimed by any server");
  metrics_.Declare(kMetricHostedModels, MetricType::kGauge, "Hosted models whose detector this server has loaded");
}

void LookoutService::UpdateGauges() {
  {
    std::lock_guard<std::mutex> lock(jobs_mutex_);
    metrics_.Set(kMetricTrainingRunning, {}, training_ ? 1 : 0);
  }
  // The queue is the store's, shared by every server on it.
  auto queued = store_->Query("SELECT COUNT(*) FROM training_jobs WHERE owner = ''");
  if (queued.ok() && !queued->empty()) metrics_.Set(kMetricTrainingQueue, {}, std::stod((*queued)[0][0]));
  std::lock_guard<std::mutex> lock(hosted_mutex_);
  size_t loaded = 0;
  for (const auto& [key, detector] : hosted_) loaded += detector != nullptr;
  metrics_.Set(kMetricHostedModels, {}, static_cast<double>(loaded));
}

Status LookoutService::Readiness() {
  auto rows = store_->Query("SELECT project, version, description FROM models");
  if (!rows.ok()) return Internal("the store does not answer: " + rows.status().message());
  // Detectors of models no longer hosted (StopModel or DeleteModel on another
  // server) are dropped here, so a load balancer's probes keep every
  // replica's memory to the hosted models.
  {
    std::set<std::string> hosted;
    for (const Row& row : *rows) {
      const Json d = Json::parse(row[2], nullptr, false);
      const std::string status = d.is_object() ? d.value("Status", "") : "";
      if (status == "HOSTED" || status == "STARTING_HOSTING") hosted.insert(row[0] + "/" + row[1]);
    }
    std::lock_guard<std::mutex> lock(hosted_mutex_);
    for (auto it = hosted_.begin(); it != hosted_.end();) {
      it = hosted.count(it->first) ? std::next(it) : hosted_.erase(it);
    }
  }
  for (const Row& row : *rows) {
    const Json d = Json::parse(row[2], nullptr, false);
    if (!d.is_object() || d.value("Status", "") != "HOSTED") continue;
    try {
      HostedDetector(row[0], row[1]);
    } catch (const ApiError& e) {
      // Stopped meanwhile: not this server's to host any more.
      if (e.type() == "ConflictException") continue;
      return Internal("hosted model " + row[0] + "/" + row[1] + " is not loaded: " + e.what());
    } catch (const std::exception& e) {
      return Internal("hosted model " + row[0] + "/" + row[1] + " is not loaded: " + e.what());
    }
  }
  return Status::Ok();
}

}  // namespace anomalens
