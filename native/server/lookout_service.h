// The Lookout for Vision operations over a Store: projects, datasets, models
// (trained on a background thread, hosted in memory), detection and tags.
// Each handler takes the decoded request and returns the response body, or
// throws ApiError (lookout_errors.h); server.cc routes HTTP to them.
#ifndef ANOMALENS_NATIVE_SERVER_LOOKOUT_SERVICE_H_
#define ANOMALENS_NATIVE_SERVER_LOOKOUT_SERVICE_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/backbone/mobilenet_v2.h"
#include "core/base/parallel.h"
#include "core/model/detector.h"
#include "native/engine/compute_slots.h"
#include "native/server/api_request.h"
#include "native/server/metrics.h"
#include "native/server/s3_paths.h"
#include "native/server/store.h"

namespace anomalens {

struct ServiceOptions {
  std::string region = "us-east-1";
  std::string account = "000000000000";  // ARNs need one; there is no AWS account
  std::string backbone_path;             // copied into model packages
  // DetectAnomalies calls allowed to run at once; more get a
  // ThrottlingException (429), which clients retry. 0: no limit.
  int max_concurrent_detects = 0;
  // CreateModel trains a single dataset without labelled anomalies (serve
  // --allow-normal-only-training); false keeps Lookout's minimums.
  bool allow_normal_only_training = false;
  // CreateModel trains one model with the defaults instead of running the
  // configuration search (serve --quick-training; for tests and slow hosts).
  bool quick_training = false;
  ParallelFor parallel;  // the compute threads' hook, for scoring
  // DetectAnomalies computes holding a slot (compute_slots.h): one request a
  // core at once, the pool for a request alone. nullptr: no gate.
  std::shared_ptr<ComputeSlots> compute_slots;
  BuildSearch search;    // the nearest-neighbour engine for detection (empty: portable)
  BuildSearch training_search;  // and for training: exact (backend.h)
  JpegDecoder jpeg;      // the engine's JPEG decoder (empty: stb, portable)
  // Training jobs are rows of the store (training_jobs) that any server
  // sharing it may claim (service_training_queue.cc). A claim is a lease
  // this long, renewed every third of it while training runs; a job whose
  // lease ran out (its server died) ends TRAINING_FAILED. Servers' clocks
  // must agree to well within it (NTP).
  double training_lease_seconds = 60;
  // How often an idle trainer looks for jobs other servers queued and for
  // expired leases.
  double training_poll_seconds = 2;
  // This server's name in claims ("" : HOST:PID:START).
  std::string replica_id;
};

class LookoutService {
 public:
  // Marks models caught mid-training by a crash TRAINING_FAILED and finishes
  // hosting transitions a crash interrupted.
  static StatusOr<std::unique_ptr<LookoutService>> Create(std::unique_ptr<Store> store, BucketMap buckets,
                                                          std::shared_ptr<const Backbone> backbone,
                                                          ServiceOptions options);
  ~LookoutService();

  ApiResponse CreateProject(const ApiRequest& r);
  ApiResponse DescribeProject(const ApiRequest& r);
  ApiResponse ListProjects(const ApiRequest& r);
  ApiResponse DeleteProject(const ApiRequest& r);

  ApiResponse CreateDataset(const ApiRequest& r);
  ApiResponse DescribeDataset(const ApiRequest& r);
  ApiResponse ListDatasetEntries(const ApiRequest& r);
  ApiResponse UpdateDatasetEntries(const ApiRequest& r);
  ApiResponse DeleteDataset(const ApiRequest& r);

  ApiResponse CreateModel(const ApiRequest& r);
  ApiResponse DescribeModel(const ApiRequest& r);
  ApiResponse ListModels(const ApiRequest& r);
  ApiResponse StartModel(const ApiRequest& r);
  ApiResponse StopModel(const ApiRequest& r);
  ApiResponse DeleteModel(const ApiRequest& r);
  ApiResponse DetectAnomalies(const ApiRequest& r);

  // Model packaging: a folder at the job's S3OutputLocation holding the
  // model, this anomalens binary and its backbone weights, in place of
  // Lookout's Greengrass component.
  ApiResponse StartModelPackagingJob(const ApiRequest& r);
  ApiResponse DescribeModelPackagingJob(const ApiRequest& r);
  ApiResponse ListModelPackagingJobs(const ApiRequest& r);

  ApiResponse TagResource(const ApiRequest& r);
  ApiResponse UntagResource(const ApiRequest& r);
  ApiResponse ListTagsForResource(const ApiRequest& r);

  // Runs `handler` once per ClientToken: a repeat with the same token and
  // request returns the first response; with another request, a
  // ConflictException. Without a token it just runs.
  ApiResponse Idempotent(const std::string& operation, const ApiRequest& r,
                         ApiResponse (LookoutService::*handler)(const ApiRequest&));

  // On a drain: every job this server has claimed ends now as
  // TRAINING_FAILED, its lease released, rather than when the lease runs
  // out; the trainer claims no more. (Training still running finishes, and
  // FinishTraining drops its outcome.)
  void ReleaseTraining();

  // For `GET /readyz`: OK when the store answers and every model the store
  // says is HOSTED has its detector loaded (loading any that is not yet, as
  // after a restart); otherwise what is missing.
  Status Readiness();

  // The service's metrics (Lookout's CloudWatch metrics per project and
  // model, training); the server adds its own. UpdateGauges sets the gauges
  // read at scrape time (queue length, running jobs, hosted models).
  Metrics& metrics() { return metrics_; }
  void UpdateGauges();

 private:
  LookoutService(std::unique_ptr<Store> store, BucketMap buckets, std::shared_ptr<const Backbone> backbone,
                 ServiceOptions options);

  std::string ProjectArn(const std::string& project) const;
  std::string ModelArn(const std::string& project, const std::string& version) const;
  // The project's row (name, arn, created); ResourceNotFoundException otherwise.
  Row RequireProject(const std::string& project);
  // The model's stored description and its version number ("latest" resolved).
  Json RequireModel(const std::string& project, const std::string& version, std::string* number = nullptr);
  void SaveModel(const std::string& project, const std::string& version, const Json& description);
  // Sets fields of a stored model description under the store's lock.
  void UpdateModel(const std::string& project, const std::string& version, const Json& fields);
  std::string ResourceForArn(const std::string& arn);
  // Validates and stores tags of `arn`, inside the caller's transaction.
  void InsertTags(const std::string& arn, const Json& tags);

  void Package(const std::string& project, const std::string& job);
  void UpdateJob(const std::string& project, const std::string& job, const Json& fields);

  // Runs `task` on a thread of its own (hosting transitions, packaging);
  // the destructor waits for every such task, which may use `this`.
  void RunInBackground(std::function<void()> task);

  void DeclareMetrics();
  // DetectAnomalies past the model lookup (`model`, its stored description,
  // read once a request), counted in Lookout's metrics.
  ApiResponse DetectOnModel(const std::string& project, const std::string& version, const Json& model,
                            const ApiRequest& r, bool* invalid_image, bool* anomalous);

  void TrainingLoop();
  // The training queue (service_training_queue.cc). Claims the oldest
  // unclaimed job for this server; false when there is none.
  bool ClaimTrainingJob(std::string* project, std::string* version);
  // Fails the models whose job's lease ran out and drops those jobs.
  void ExpireTrainingLeases();
  // Extends this server's lease on the job; false when it is no longer ours.
  bool RenewTrainingLease(const std::string& project, const std::string& version);
  // Records the job's outcome and drops the job, if this server still holds
  // it (a job whose lease expired meanwhile was already failed elsewhere).
  void FinishTraining(const std::string& project, const std::string& version, const Json& fields);
  void Train(const std::string& project, const std::string& version);
  std::shared_ptr<const Detector> HostedDetector(const std::string& project, const std::string& version);

  std::unique_ptr<Store> store_;
  BucketMap buckets_;
  std::shared_ptr<const Backbone> backbone_;
  ServiceOptions options_;

  std::mutex jobs_mutex_;
  std::condition_variable jobs_ready_;
  bool wake_ = false;       // under jobs_mutex_: a job was queued here; look now
  bool stopping_ = false;
  bool training_ = false;  // under jobs_mutex_: the trainer is running a job
  bool released_ = false;  // under jobs_mutex_: drained; claim no more jobs
  std::string replica_id_;
  std::thread trainer_;

  std::mutex background_mutex_;
  std::condition_variable background_done_;
  int background_tasks_ = 0;

  std::atomic<int> detects_in_flight_{0};
  std::mutex hosted_mutex_;
  std::map<std::string, std::shared_ptr<const Detector>> hosted_;  // "project/version"

  Metrics metrics_;
};

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_LOOKOUT_SERVICE_H_
