// LookoutService: model packaging jobs. Lookout built a Greengrass component;
// we write a folder that runs anywhere the native binary does:
//
//   s3://BUCKET/PREFIX<ComponentName>/<ComponentVersion>/
//     anomalens                   this server's binary
//     mobilenet_v2_block10.anwb   its backbone weights (found beside the binary)
//     model.anml                  the model
//     package.json                component name, version, model ARN, usage
//
//   ./anomalens detect model.anml image.jpg
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "native/jobs/file_io.h"
#include "native/jobs/model_loader.h"
#include "native/server/lookout_errors.h"
#include "native/server/lookout_service.h"

namespace anomalens {
namespace {

constexpr const char* kJobDescriptionPattern = "[a-zA-Z0-9-_. ()':,;?]+";

Json JobMetadata(const Json& d) {
  Json m;
  for (const char* field : {"JobName", "ProjectName", "ModelVersion", "ModelPackagingJobDescription",
                            "ModelPackagingMethod", "Status", "StatusMessage", "CreationTimestamp",
                            "LastUpdatedTimestamp"}) {
    if (d.contains(field)) m[field] = d[field];
  }
  return m;
}

Status CopyFile(const std::string& from, const std::string& to, bool executable) {
  std::error_code ec;
  const std::string tmp = to + ".tmp-" + std::to_string(::getpid());
  std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return Internal("cannot copy " + from + ": " + ec.message());
  if (executable) ::chmod(tmp.c_str(), 0755);
  std::filesystem::rename(tmp, to, ec);
  if (ec) return Internal("cannot write " + to + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

void LookoutService::UpdateJob(const std::string& project, const std::string& job, const Json& fields) {
  Store::Transaction tx(*store_);
  auto rows = ValueOrThrow(
      store_->Query("SELECT description FROM packaging_jobs WHERE project = ? AND name = ?", {project, job}));
  if (rows.empty()) return;
  Json d = Json::parse(rows[0][0]);
  for (auto it = fields.begin(); it != fields.end(); ++it) d[it.key()] = it.value();
  d["LastUpdatedTimestamp"] = NowSeconds();
  ThrowIfError(store_->Exec("UPDATE packaging_jobs SET description = ? WHERE project = ? AND name = ?",
                            {d.dump(), project, job}));
  ThrowIfError(tx.Commit());
}

ApiResponse LookoutService::StartModelPackagingJob(const ApiRequest& r) {
  const std::string project = RequireProject(r.path.at("projectName"))[0];
  const Json body = r.JsonBody();
  std::string version;
  const Json model = RequireModel(project, CheckModelVersion(RequiredString(body, "ModelVersion")), &version);
  const std::string status = model.value("Status", "");
  if (status != "TRAINED" && status != "HOSTED" && status != "STARTING_HOSTING" && status != "STOPPING_HOSTING") {
    throw ApiError::Conflict("The model " + version + " of project " + project + " is " + status +
                                 "; only a trained model can be packaged.",
                             ModelArn(project, version), "MODEL");
  }
  const double now = NowSeconds();
  std::string job = OptionalString(body, "JobName");
  if (job.empty()) job = project.substr(0, 40) + "-" + version + "-" + std::to_string(static_cast<long long>(now * 1000));
  CheckString(job, "jobName", 1, 64, "[a-zA-Z0-9-]+");
  const std::string description = OptionalString(body, "Description");
  if (body.contains("Description")) CheckString(description, "description", 1, 256, kJobDescriptionPattern);
  const Json& greengrass = RequiredObject(RequiredObject(body, "Configuration"), "Greengrass");
  const std::string component =
      CheckString(RequiredString(greengrass, "ComponentName"), "configuration.greengrass.componentName", 1, 128,
                  "[a-zA-Z0-9-_.]+");
  const std::string component_version = CheckString(
      OptionalString(greengrass, "ComponentVersion", "1.0.0"), "configuration.greengrass.componentVersion", 1, 64,
      "^([0-9]{1,6})\\.([0-9]{1,6})\\.([0-9]{1,6})$");
  if (greengrass.contains("ComponentDescription")) {
    CheckString(OptionalString(greengrass, "ComponentDescription"), "configuration.greengrass.componentDescription", 1,
                256, kJobDescriptionPattern);
  }
  if (greengrass.contains("TargetDevice") == greengrass.contains("TargetPlatform")) {
    throw ApiError::Validation("Greengrass configuration needs exactly one of TargetDevice or TargetPlatform");
  }
  const Json& location = RequiredObject(greengrass, "S3OutputLocation");
  const std::string bucket = CheckString(RequiredString(location, "Bucket"),
                                         "configuration.greengrass.s3OutputLocation.bucket", 3, 63, "[0-9A-Za-z\\.\\-_]*");
  const std::string prefix = CheckString(OptionalString(location, "Prefix"),
                                         "configuration.greengrass.s3OutputLocation.prefix", 0, 1024,
                                         "^([a-zA-Z0-9!_.*'()-][/a-zA-Z0-9!_.*'()-]*)?$");
  ValueOrThrow(buckets_.Resolve(bucket, prefix));

  Json d = {{"JobName", job},
            {"ProjectName", project},
            {"ModelVersion", version},
            {"ModelPackagingConfiguration", body["Configuration"]},
            {"ModelPackagingMethod", "Greengrass"},
            {"ModelPackagingOutputDetails",
             {{"Greengrass",
               {{"ComponentVersionArn", "arn:aws:greengrass:" + options_.region + ":" + options_.account +
                                            ":components:" + component + ":versions:" + component_version},
                {"ComponentName", component},
                {"ComponentVersion", component_version}}}}},
            {"Status", "RUNNING"},
            {"StatusMessage", "Packaging the model."},
            {"CreationTimestamp", now},
            {"LastUpdatedTimestamp", now}};
  if (!description.empty()) d["ModelPackagingJobDescription"] = description;
  {
    Store::Transaction tx(*store_);
    if (!ValueOrThrow(store_->Query("SELECT name FROM packaging_jobs WHERE project = ? AND name = ?", {project, job}))
             .empty()) {
      throw ApiError::Conflict("The model packaging job " + job + " already exists.", job, "MODEL_PACKAGE_JOB");
    }
    ThrowIfError(store_->Exec("INSERT INTO packaging_jobs VALUES (?, ?, ?, ?)",
                              {project, job, std::to_string(now), d.dump()}));
    ThrowIfError(tx.Commit());
  }
  RunInBackground([this, project, job] {
    try {
      Package(project, job);
    } catch (const std::exception& e) {
      try {
        UpdateJob(project, job, {{"Status", "FAILED"}, {"StatusMessage", e.what()}});
      } catch (...) {
      }
    }
  });
  return JsonResponse({{"JobName", job}});
}

void LookoutService::Package(const std::string& project, const std::string& job) {
  auto rows = ValueOrThrow(
      store_->Query("SELECT description FROM packaging_jobs WHERE project = ? AND name = ?", {project, job}));
  if (rows.empty()) return;
  const Json d = Json::parse(rows[0][0]);
  const Json& greengrass = d["ModelPackagingConfiguration"]["Greengrass"];
  const Json& output = d["ModelPackagingOutputDetails"]["Greengrass"];
  const std::string version = d["ModelVersion"].get<std::string>();
  const std::string component = output["ComponentName"].get<std::string>();
  const std::string component_version = output["ComponentVersion"].get<std::string>();
  const std::string key = greengrass["S3OutputLocation"].value("Prefix", "") + component + "/" + component_version;
  const std::string dir = ValueOrThrow(buckets_.Resolve(greengrass["S3OutputLocation"]["Bucket"].get<std::string>(), key));
  ThrowIfError(MakeDirectories(dir));
  const std::string model_dir = ValueOrThrow(store_->ModelDirectory(project, version, false));
  ThrowIfError(CopyFile(JoinPath(model_dir, "model.anml"), JoinPath(dir, "model.anml"), false));
  ThrowIfError(CopyFile("/proc/self/exe", JoinPath(dir, "anomalens"), true));
  ThrowIfError(CopyFile(options_.backbone_path, JoinPath(dir, kBackboneFileName), false));
  const Json package = {{"ComponentName", component},
                        {"ComponentVersion", component_version},
                        {"ComponentDescription", greengrass.value("ComponentDescription", "")},
                        {"ProjectName", project},
                        {"ModelVersion", version},
                        {"ModelArn", ModelArn(project, version)},
                        {"Files", {"anomalens", kBackboneFileName, "model.anml"}},
                        {"Usage", "./anomalens detect model.anml IMAGE.jpg   or   ./anomalens serve ..."}};
  ThrowIfError(WriteFileAtomic(JoinPath(dir, "package.json"), package.dump(2) + "\n"));
  UpdateJob(project, job,
            {{"Status", "SUCCEEDED"},
             {"StatusMessage", "Model packaged to s3://" + greengrass["S3OutputLocation"]["Bucket"].get<std::string>() +
                                   "/" + key + "/"}});
}

ApiResponse LookoutService::DescribeModelPackagingJob(const ApiRequest& r) {
  const std::string project = RequireProject(r.path.at("projectName"))[0];
  const std::string job = CheckString(r.path.at("jobName"), "jobName", 1, 64, "[a-zA-Z0-9-]+");
  auto rows = ValueOrThrow(
      store_->Query("SELECT description FROM packaging_jobs WHERE project = ? AND name = ?", {project, job}));
  if (rows.empty()) throw ApiError::NotFound("The model packaging job " + job + " does not exist.");
  return JsonResponse({{"ModelPackagingDescription", Json::parse(rows[0][0])}});
}

ApiResponse LookoutService::ListModelPackagingJobs(const ApiRequest& r) {
  const std::string project = RequireProject(r.path.at("projectName"))[0];
  const Page page = ReadPage(r, "jobs/" + project);
  auto rows = ValueOrThrow(store_->Query(
      "SELECT description FROM packaging_jobs WHERE project = ? ORDER BY created, name", {project}));
  Json jobs = Json::array();
  for (size_t i = page.offset; i < rows.size() && i < page.offset + page.limit; ++i) {
    jobs.push_back(JobMetadata(Json::parse(rows[i][0])));
  }
  Json out = {{"ModelPackagingJobs", jobs}};
  const std::string next = NextToken(page, rows.size(), "jobs/" + project);
  if (!next.empty()) out["NextToken"] = next;
  return JsonResponse(out);
}

}  // namespace anomalens
