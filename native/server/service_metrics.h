// The names of the metrics `GET /metrics` exposes. Lookout's own are its
// CloudWatch metrics (namespace AWS/LookoutVision, dimensions ProjectName
// and ModelVersion) under a `lookoutvision_` prefix, so dashboards built on
// them map name for name; docs/operations.md lists them all.
#ifndef ANOMALENS_NATIVE_SERVER_SERVICE_METRICS_H_
#define ANOMALENS_NATIVE_SERVER_SERVICE_METRICS_H_

namespace anomalens {

// DetectAnomalies on an existing model, labelled ProjectName and ModelVersion.
inline constexpr const char* kMetricProcessedImages = "lookoutvision_ProcessedImageCount_total";
inline constexpr const char* kMetricDetectedAnomalies = "lookoutvision_DetectedAnomalyCount_total";
inline constexpr const char* kMetricInvalidImages = "lookoutvision_InvalidImageCount_total";
inline constexpr const char* kMetricErrors = "lookoutvision_ErrorCount_total";
inline constexpr const char* kMetricSuccessfulRequests = "lookoutvision_SuccessfulRequestCount_total";
inline constexpr const char* kMetricDetectTime = "lookoutvision_Time_seconds";

// Training, labelled ProjectName and Status (TRAINED, TRAINING_FAILED).
inline constexpr const char* kMetricTrainingJobs = "anomalens_training_jobs_total";
inline constexpr const char* kMetricTrainingRunning = "anomalens_training_jobs_running";
inline constexpr const char* kMetricTrainingQueue = "anomalens_training_queue_length";
inline constexpr const char* kMetricHostedModels = "anomalens_hosted_models_loaded";

// The server's, for every request: labelled operation (and code).
inline constexpr const char* kMetricHttpRequests = "anomalens_http_requests_total";
inline constexpr const char* kMetricHttpDuration = "anomalens_http_request_duration_seconds";
inline constexpr const char* kMetricInFlight = "anomalens_http_requests_in_flight";

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_SERVICE_METRICS_H_
