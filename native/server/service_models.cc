// LookoutService: models. CreateModel queues training on one background
// thread (TRAINING -> TRAINED or TRAINING_FAILED); StartModel and StopModel
// load and drop the detector (STARTING_HOSTING -> HOSTED, STOPPING_HOSTING ->
// TRAINED); DetectAnomalies answers only on a hosted model.
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <thread>

#include "core/base/byte_span.h"
#include "core/lookout/result_json.h"
#include "native/jobs/evaluation_job.h"
#include "native/jobs/file_io.h"
#include "native/jobs/train_model.h"
#include "native/server/lookout_errors.h"
#include "native/server/lookout_service.h"
#include "native/server/rate_limiter.h"
#include "native/server/service_metrics.h"

namespace anomalens {
namespace {

constexpr const char* kModelFile = "model.anml";

Json ModelMetadata(const Json& d) {
  Json m;
  for (const char* field : {"CreationTimestamp", "ModelVersion", "ModelArn", "Description", "Status", "StatusMessage",
                            "Performance"}) {
    if (d.contains(field)) m[field] = d[field];
  }
  return m;
}

std::string Key(const std::string& project, const std::string& version) { return project + "/" + version; }

}  // namespace

Json LookoutService::RequireModel(const std::string& project, const std::string& version, std::string* number) {
  CheckProjectName(project);
  CheckModelVersion(version);
  std::vector<Row> rows;
  if (version == "latest") {
    rows = ValueOrThrow(store_->Query(
        "SELECT version, description FROM models WHERE project = ? ORDER BY version DESC LIMIT 1", {project}));
  } else {
    rows = ValueOrThrow(
        store_->Query("SELECT version, description FROM models WHERE project = ? AND version = ?", {project, version}));
  }
  if (rows.empty()) {
    RequireProject(project);
    throw ApiError::NotFound("The model " + version + " of project " + project + " does not exist.");
  }
  if (number) *number = rows[0][0];
  return Json::parse(rows[0][1]);
}

void LookoutService::SaveModel(const std::string& project, const std::string& version, const Json& d) {
  ThrowIfError(store_->Exec("INSERT INTO models VALUES (?, ?, ?) "
                            "ON CONFLICT (project, version) DO UPDATE SET description = excluded.description", {project, version, d.dump()}));
}

void LookoutService::UpdateModel(const std::string& project, const std::string& version, const Json& fields) {
  Store::Transaction tx(*store_);
  auto rows = ValueOrThrow(
      store_->Query("SELECT description FROM models WHERE project = ? AND version = ?", {project, version}));
  if (rows.empty()) return;  // deleted meanwhile
  Json d = Json::parse(rows[0][0]);
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (it.value().is_null()) {
      d.erase(it.key());
    } else {
      d[it.key()] = it.value();
    }
  }
  SaveModel(project, version, d);
  ThrowIfError(tx.Commit());
}

ApiResponse LookoutService::CreateModel(const ApiRequest& r) {
  const std::string project = RequireProject(r.path.at("projectName"))[0];
  const Json body = r.JsonBody();
  const std::string description = OptionalString(body, "Description");
  if (body.contains("Description")) CheckString(description, "description", 1, 500, "[0-9A-Za-z\\.\\-_]*");
  const std::string kms = OptionalString(body, "KmsKeyId");
  if (body.contains("KmsKeyId")) CheckString(kms, "kmsKeyId", 1, 2048, "^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$");
  const Json& location = RequiredObject(RequiredObject(body, "OutputConfig"), "S3Location");
  const std::string bucket =
      CheckString(RequiredString(location, "Bucket"), "outputConfig.s3Location.bucket", 3, 63, "[0-9A-Za-z\\.\\-_]*");
  const std::string prefix = CheckString(OptionalString(location, "Prefix"), "outputConfig.s3Location.prefix", 0, 1024,
                                         "^([a-zA-Z0-9!_.*'()-][/a-zA-Z0-9!_.*'()-]*)?$");
  ValueOrThrow(buckets_.Resolve(bucket, prefix));  // an unmapped bucket is the caller's mistake
  Json tags = Json::array();
  if (body.contains("Tags")) {
    if (!body["Tags"].is_array()) throw ApiError::Validation("Tags must be a list");
    tags = body["Tags"];
  }
  const double now = NowSeconds();
  std::string version;
  {
    Store::Transaction tx(*store_);
    auto train = ValueOrThrow(store_->Query(
        "SELECT COUNT(*) FROM entries WHERE project = ? AND type = 'train'", {project}));
    if (std::stoi(train[0][0]) == 0) {
      throw ApiError::Validation("The project " + project + " has no training dataset with images.");
    }
    for (const Row& m : ValueOrThrow(store_->Query("SELECT description FROM models WHERE project = ?", {project}))) {
      if (Json::parse(m[0]).value("Status", "") == "TRAINING") {
        throw ApiError::Conflict("A model of project " + project + " is already training.", project, "PROJECT");
      }
    }
    auto last = ValueOrThrow(store_->Query("SELECT MAX(version) FROM models WHERE project = ?", {project}));
    version = std::to_string(last[0][0].empty() ? 1 : std::stoll(last[0][0]) + 1);
    Json d = {{"ModelVersion", version},
              {"ModelArn", ModelArn(project, version)},
              {"CreationTimestamp", now},
              {"Status", "TRAINING"},
              {"StatusMessage", "Training in progress."},
              {"OutputConfig", {{"S3Location", {{"Bucket", bucket}, {"Prefix", prefix}}}}}};
    if (!description.empty()) d["Description"] = description;
    if (!kms.empty()) d["KmsKeyId"] = kms;
    SaveModel(project, version, d);
    // The model, its tags and its training job commit together: a crash
    // never leaves one without the others.
    if (!tags.empty()) InsertTags(ModelArn(project, version), tags);
    ThrowIfError(store_->Exec("INSERT INTO training_jobs VALUES (?, ?, ?, '', 0)",
                              {project, version, std::to_string(now)}));
    ThrowIfError(tx.Commit());
  }
  {
    std::lock_guard<std::mutex> lock(jobs_mutex_);
    wake_ = true;
  }
  jobs_ready_.notify_one();
  return JsonResponse({{"ModelMetadata", ModelMetadata(RequireModel(project, version))}}, 202);
}

void LookoutService::TrainingLoop() {
  bool look_now = true;  // at start: jobs queued before this server started
  for (;;) {
    std::pair<std::string, std::string> job;
    {
      std::unique_lock<std::mutex> lock(jobs_mutex_);
      if (!look_now) {
        jobs_ready_.wait_for(lock, std::chrono::duration<double>(options_.training_poll_seconds),
                             [this] { return stopping_ || wake_; });
      }
      if (stopping_) return;
      wake_ = false;
    }
    look_now = false;
    try {
      ExpireTrainingLeases();
      if (!ClaimTrainingJob(&job.first, &job.second)) continue;
    } catch (const std::exception&) {
      continue;  // the store is unreachable: /readyz says so; try again at the next poll
    }
    look_now = true;  // there may be more
    {
      std::lock_guard<std::mutex> lock(jobs_mutex_);
      training_ = true;
    }
    // The lease is renewed beside the training, every third of it.
    std::mutex renew_mutex;
    std::condition_variable renew_done;
    bool done = false;
    std::thread renewer([&] {
      std::unique_lock<std::mutex> lock(renew_mutex);
      while (!renew_done.wait_for(lock, std::chrono::duration<double>(options_.training_lease_seconds / 3),
                                  [&done] { return done; })) {
        try {
          if (!RenewTrainingLease(job.first, job.second)) return;
        } catch (...) {
          // The store did not answer: the next renewal may, within the lease.
        }
      }
    });
    try {
      Train(job.first, job.second);
    } catch (const std::exception& e) {
      try {
        FinishTraining(job.first, job.second,
                       {{"Status", "TRAINING_FAILED"}, {"StatusMessage", std::string("Training failed: ") + e.what()}});
      } catch (...) {
      }
    }
    {
      std::lock_guard<std::mutex> lock(renew_mutex);
      done = true;
    }
    renew_done.notify_all();
    renewer.join();
    {
      std::lock_guard<std::mutex> lock(jobs_mutex_);
      training_ = false;
    }
    // The outcome as the store has it (Train records failures there, not by throwing).
    std::string outcome = "TRAINING_FAILED";
    try {
      outcome = RequireModel(job.first, job.second).value("Status", outcome);
    } catch (...) {
      outcome = "DELETED";
    }
    metrics_.Add(kMetricTrainingJobs, {{"ProjectName", job.first}, {"Status", outcome}});
  }
}

void LookoutService::Train(const std::string& project, const std::string& version) {
  auto fail = [&](const Status& status) {
    FinishTraining(project, version, {{"Status", "TRAINING_FAILED"}, {"StatusMessage", status.message()}});
  };
  const Json d = RequireModel(project, version);
  // The datasets as stored: refs are s3:// URIs resolved through the bucket map.
  std::vector<ManifestEntry> sets[2];
  bool has_test = false;
  for (int s = 0; s < 2; ++s) {
    const std::string type = s == 0 ? "train" : "test";
    auto rows = ValueOrThrow(store_->Query(
        "SELECT line FROM entries WHERE project = ? AND type = ? AND label != '' ORDER BY seq", {project, type}));
    if (s == 1) has_test = !rows.empty();
    for (const Row& row : rows) {
      auto parsed = ParseManifest(row[0]);
      if (!parsed.ok()) return fail(parsed.status());
      ManifestEntry e = std::move(parsed->front());
      const Status resolved = ResolveEntryPaths(buckets_, "", "", &e);
      if (!resolved.ok()) return fail(resolved);
      sets[s].push_back(std::move(e));
    }
  }
  auto plan = PlanTraining(std::move(sets[0]), std::move(sets[1]), has_test, 0, "project " + project,
                           options_.allow_normal_only_training ? SingleDatasetRule::kAllowNormalOnly
                                                               : SingleDatasetRule::kLookout);
  if (!plan.ok()) return fail(plan.status());
  auto dir = store_->ModelDirectory(project, version, true);
  if (!dir.ok()) return fail(dir.status());
  const std::string model_path = JoinPath(*dir, kModelFile);
  TrainOptions train_options;
  train_options.parallel = options_.parallel;
  train_options.search = options_.training_search;
  train_options.jpeg = options_.jpeg;
  train_options.quick = options_.quick_training;
  auto outcome = TrainAndEvaluate(std::move(plan).value(), train_options, backbone_,
                                  [&](const Model&, const std::vector<uint8_t>& bytes) {
                                    return WriteFileAtomic(model_path, bytes);
                                  });
  if (!outcome.ok()) return fail(outcome.status());

  const Json& location = d["OutputConfig"]["S3Location"];
  const std::string bucket = location["Bucket"].get<std::string>();
  const std::string prefix = location.value("Prefix", "");
  const std::string result_key = prefix + "EvaluationResult-" + project + "-" + version + ".json";
  const std::string manifest_key = prefix + "EvaluationManifest-" + project + "-" + version + ".json";
  auto result_path = buckets_.Resolve(bucket, result_key);
  auto manifest_path = buckets_.Resolve(bucket, manifest_key);
  if (!result_path.ok()) return fail(result_path.status());
  if (!manifest_path.ok()) return fail(manifest_path.status());
  const Status made = MakeDirectories(ParentDirectory(*result_path));
  if (!made.ok()) return fail(made);
  EvaluationDetails details;
  details.model_arn = ModelArn(project, version);
  details.end_timestamp = NowIso8601();
  details.training_images = outcome->training_images;
  details.self_check = &outcome->self_check;
  const EvaluationRun& run = outcome->evaluation;
  const Status wrote = WriteEvaluation(run.metrics, details, outcome->test_entries, run.images, *result_path,
                                       *manifest_path, true);
  if (!wrote.ok()) return fail(wrote);
  auto number = [](double v) { return std::isfinite(v) ? Json(RoundForJson(v)) : Json(nullptr); };
  FinishTraining(project, version,
              {{"Status", "TRAINED"},
               {"StatusMessage", "Training completed successfully."},
               {"Performance",
                {{"F1Score", number(run.metrics.f1)},
                 {"Recall", number(run.metrics.recall)},
                 {"Precision", number(run.metrics.precision)}}},
               {"EvaluationResult", {{"Bucket", bucket}, {"Key", result_key}}},
               {"EvaluationManifest", {{"Bucket", bucket}, {"Key", manifest_key}}},
               {"EvaluationEndTimestamp", NowSeconds()}});
}

ApiResponse LookoutService::DescribeModel(const ApiRequest& r) {
  return JsonResponse({{"ModelDescription", RequireModel(r.path.at("projectName"), r.path.at("modelVersion"))}});
}

ApiResponse LookoutService::ListModels(const ApiRequest& r) {
  const std::string project = RequireProject(r.path.at("projectName"))[0];
  const Page page = ReadPage(r, "models/" + project);
  auto rows =
      ValueOrThrow(store_->Query("SELECT description FROM models WHERE project = ? ORDER BY version", {project}));
  Json models = Json::array();
  for (size_t i = page.offset; i < rows.size() && i < page.offset + page.limit; ++i) {
    models.push_back(ModelMetadata(Json::parse(rows[i][0])));
  }
  Json out = {{"Models", models}};
  const std::string next = NextToken(page, rows.size(), "models/" + project);
  if (!next.empty()) out["NextToken"] = next;
  return JsonResponse(out);
}

std::shared_ptr<const Detector> LookoutService::HostedDetector(const std::string& project,
                                                               const std::string& version) {
  std::lock_guard<std::mutex> lock(hosted_mutex_);
  auto& slot = hosted_[Key(project, version)];
  if (!slot) {
    // Load only for a model being hosted: a detection racing StopModel must
    // not load the detector again after the stop dropped it.
    auto rows = ValueOrThrow(
        store_->Query("SELECT description FROM models WHERE project = ? AND version = ?", {project, version}));
    const std::string status = rows.empty() ? "" : Json::parse(rows[0][0]).value("Status", "");
    if (status != "HOSTED" && status != "STARTING_HOSTING") {
      hosted_.erase(Key(project, version));
      throw ApiError::Conflict("The model " + version + " of project " + project + " is not hosted (status " +
                                   status + "); start it with StartModel.",
                               ModelArn(project, version), "MODEL");
    }
    const std::string path = JoinPath(ValueOrThrow(store_->ModelDirectory(project, version, false)), kModelFile);
    const std::vector<uint8_t> bytes = ValueOrThrow(ReadFile(path, size_t{1} << 31));
    auto detector = Detector::Create(bytes, backbone_, options_.parallel, options_.search, options_.jpeg);
    if (!detector.ok()) {
      hosted_.erase(Key(project, version));
      throw ApiError::Internal("cannot load model " + Key(project, version) + ": " + detector.status().message());
    }
    slot = std::shared_ptr<const Detector>(std::move(detector).value());
  }
  return slot;
}

ApiResponse LookoutService::StartModel(const ApiRequest& r) {
  std::string version;
  const std::string project = r.path.at("projectName");
  const Json d = RequireModel(project, r.path.at("modelVersion"), &version);
  const Json body = r.JsonBody();
  const auto min_units = body.find("MinInferenceUnits");
  if (min_units == body.end() || !min_units->is_number_integer() || min_units->get<long long>() < 1) {
    throw ApiError::Validation("MinInferenceUnits is required and must be at least 1");
  }
  Json fields = {{"MinInferenceUnits", *min_units}};
  if (body.contains("MaxInferenceUnits")) {
    const Json& max_units = body["MaxInferenceUnits"];
    if (!max_units.is_number_integer() || max_units.get<long long>() < min_units->get<long long>()) {
      throw ApiError::Validation("MaxInferenceUnits must be an integer no smaller than MinInferenceUnits");
    }
    fields["MaxInferenceUnits"] = max_units;
  }
  const std::string status = d.value("Status", "");
  if (status == "HOSTED" || status == "STARTING_HOSTING") return JsonResponse({{"Status", status}}, 202);
  if (status != "TRAINED" && status != "HOSTING_FAILED") {
    throw ApiError::Conflict("The model " + version + " of project " + project + " is " + status +
                                 "; only a trained model can be started.",
                             ModelArn(project, version), "MODEL");
  }
  fields["Status"] = "STARTING_HOSTING";
  fields["StatusMessage"] = "Hosting starting.";
  UpdateModel(project, version, fields);
  // Loading takes a moment; answer first, as Lookout did.
  RunInBackground([this, project, version] {
    try {
      HostedDetector(project, version);
      UpdateModel(project, version, {{"Status", "HOSTED"}, {"StatusMessage", "Model is hosted."}});
    } catch (const std::exception& e) {
      try {
        UpdateModel(project, version, {{"Status", "HOSTING_FAILED"}, {"StatusMessage", e.what()}});
      } catch (...) {
      }
    }
  });
  return JsonResponse({{"Status", "STARTING_HOSTING"}}, 202);
}

ApiResponse LookoutService::StopModel(const ApiRequest& r) {
  std::string version;
  const std::string project = r.path.at("projectName");
  const Json d = RequireModel(project, r.path.at("modelVersion"), &version);
  const std::string status = d.value("Status", "");
  if (status != "HOSTED" && status != "HOSTING_FAILED") {
    throw ApiError::Conflict("The model " + version + " of project " + project + " is " + status +
                                 "; only a hosted model can be stopped.",
                             ModelArn(project, version), "MODEL");
  }
  UpdateModel(project, version, {{"Status", "STOPPING_HOSTING"}, {"StatusMessage", "Hosting stopping."}});
  RunInBackground([this, project, version] {
    {
      std::lock_guard<std::mutex> lock(hosted_mutex_);
      hosted_.erase(Key(project, version));
    }
    try {
      UpdateModel(project, version, {{"Status", "TRAINED"}, {"StatusMessage", "Model hosting stopped."}});
    } catch (...) {
    }
  });
  return JsonResponse({{"Status", "STOPPING_HOSTING"}}, 202);
}

ApiResponse LookoutService::DeleteModel(const ApiRequest& r) {
  std::string version;
  const std::string project = r.path.at("projectName");
  const Json d = RequireModel(project, r.path.at("modelVersion"), &version);
  const std::string status = d.value("Status", "");
  if (status != "TRAINED" && status != "TRAINING_FAILED" && status != "HOSTING_FAILED") {
    throw ApiError::Conflict("The model " + version + " of project " + project + " is " + status +
                                 "; stop it (or wait for training to end) before deleting it.",
                             ModelArn(project, version), "MODEL");
  }
  {
    Store::Transaction tx(*store_);
    ThrowIfError(store_->Exec("DELETE FROM models WHERE project = ? AND version = ?", {project, version}));
    ThrowIfError(store_->Exec("DELETE FROM tags WHERE arn = ?", {ModelArn(project, version)}));
    // The files go once the deletion has committed (with a ClientToken, the
    // outer transaction). Files a crash left behind are removed at the next
    // start (LookoutService::Create).
    const std::string files = ValueOrThrow(store_->ModelDirectory(project, version, false));
    store_->RunAfterCommit([files] { (void)RemoveTree(files); });
    ThrowIfError(tx.Commit());
  }
  return JsonResponse({{"ModelArn", ModelArn(project, version)}}, 202);
}

ApiResponse LookoutService::DetectAnomalies(const ApiRequest& r) {
  struct InFlight {
    std::atomic<int>& count;
    ~InFlight() { --count; }
  } in_flight{detects_in_flight_};
  if (++detects_in_flight_ > options_.max_concurrent_detects && options_.max_concurrent_detects > 0) {
    throw ApiError::Throttling("more than " + std::to_string(options_.max_concurrent_detects) +
                               " DetectAnomalies requests at once; retry");
  }
  std::string version;
  const std::string project = r.path.at("projectName");
  const Json model = RequireModel(project, r.path.at("modelVersion"), &version);
  // From here the call is on a model that exists, so it counts in Lookout's
  // per-model metrics (service_health.cc); a missing project or model only
  // in the server's request counts, which keeps labels to real models.
  const MetricLabels labels = {{"ProjectName", project}, {"ModelVersion", version}};
  const double start = MonotonicSeconds();
  bool invalid_image = false;
  bool anomalous = false;
  try {
    ApiResponse response = DetectOnModel(project, version, model, r, &invalid_image, &anomalous);
    metrics_.Add(kMetricSuccessfulRequests, labels);
    metrics_.Add(kMetricProcessedImages, labels);
    if (anomalous) metrics_.Add(kMetricDetectedAnomalies, labels);
    metrics_.Observe(kMetricDetectTime, labels, MonotonicSeconds() - start);
    return response;
  } catch (...) {
    metrics_.Add(kMetricErrors, labels);
    if (invalid_image) metrics_.Add(kMetricInvalidImages, labels);
    throw;
  }
}

ApiResponse LookoutService::DetectOnModel(const std::string& project, const std::string& version, const Json& d,
                                          const ApiRequest& r, bool* invalid_image, bool* anomalous) {
  if (d.value("Status", "") != "HOSTED") {
    // Stopped, perhaps through another server: drop this server's detector too.
    {
      std::lock_guard<std::mutex> lock(hosted_mutex_);
      hosted_.erase(Key(project, version));
    }
    throw ApiError::Conflict("The model " + version + " of project " + project + " is not hosted (status " +
                                 d.value("Status", "") + "); start it with StartModel.",
                             ModelArn(project, version), "MODEL");
  }
  const std::string content_type = r.Header("content-type");
  if (content_type.empty()) {
    *invalid_image = true;
    throw ApiError::Validation("Content-Type is required (image/png or image/jpeg)");
  }
  const std::shared_ptr<const Detector> detector = HostedDetector(project, version);
  // The image as the request holds it (up to kMaxRequestBytes), not copied.
  const ByteSpan bytes(r.body);
  StatusOr<DetectAnomalyResult> result = [&] {
    // The turn at the cores, for the computing only: the response's JSON and
    // the HTTP exchange need none.
    std::unique_ptr<ComputeSlots::Grant> turn;
    if (options_.compute_slots) turn = options_.compute_slots->Acquire();
    return detector->Detect(bytes, content_type);
  }();
  // Anything but an internal failure is the image's fault: not an image,
  // another type than Content-Type says, over the size limits.
  if (!result.ok() && result.status().code() != StatusCode::kInternal) *invalid_image = true;
  *anomalous = result.ok() && result->is_anomalous;
  ApiResponse response;
  response.body = DetectAnomalyResultJson(ValueOrThrow(std::move(result)));
  return response;
}

}  // namespace anomalens
