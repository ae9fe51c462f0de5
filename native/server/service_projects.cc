// LookoutService: construction, ARNs, idempotency, projects and tags.
#include <algorithm>
#include <set>
#include <unistd.h>

#include "native/jobs/file_io.h"
#include "native/server/lookout_errors.h"
#include "native/server/lookout_service.h"

namespace anomalens {

LookoutService::LookoutService(std::unique_ptr<Store> store, BucketMap buckets,
                               std::shared_ptr<const Backbone> backbone, ServiceOptions options)
    : store_(std::move(store)), buckets_(std::move(buckets)), backbone_(std::move(backbone)), options_(std::move(options)) {
  DeclareMetrics();
  replica_id_ = options_.replica_id;
  if (replica_id_.empty()) {
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    replica_id_ = std::string(host) + ":" + std::to_string(getpid()) + ":" + std::to_string(NowSeconds());
  }
}

StatusOr<std::unique_ptr<LookoutService>> LookoutService::Create(std::unique_ptr<Store> store, BucketMap buckets,
                                                                 std::shared_ptr<const Backbone> backbone,
                                                                 ServiceOptions options) {
  std::unique_ptr<LookoutService> service(
      new LookoutService(std::move(store), std::move(buckets), std::move(backbone), std::move(options)));
  // Recovery: hosting survives a restart (a hosted model's detector is
  // loaded again on its first request). Training on SQLite, whose file has
  // one server, does not: its jobs were this server's. On PostgreSQL other
  // servers may be training: their jobs end only when their lease runs out
  // (service_training_queue.cc); a model TRAINING without a job is failed.
  const bool single_server = std::string(service->store_->engine()) == "sqlite";
  if (single_server) RETURN_IF_ERROR(service->store_->Exec("DELETE FROM training_jobs"));
  ASSIGN_OR_RETURN(std::vector<Row> jobs, service->store_->Query("SELECT project, version FROM training_jobs"));
  std::set<std::pair<std::string, std::string>> queued;
  for (const Row& job : jobs) queued.emplace(job[0], job[1]);
  ASSIGN_OR_RETURN(std::vector<Row> models, service->store_->Query("SELECT project, version, description FROM models"));
  for (const Row& row : models) {
    Json d = Json::parse(row[2], nullptr, false);
    if (!d.is_object()) continue;
    const std::string status = d.value("Status", "");
    if (status == "TRAINING" && queued.count({row[0], row[1]})) {
      continue;
    } else if (status == "TRAINING") {
      d["Status"] = "TRAINING_FAILED";
      d["StatusMessage"] = "The server stopped while the model was training. Train a new model.";
    } else if (status == "STARTING_HOSTING") {
      d["Status"] = "HOSTED";
      d["StatusMessage"] = "Model is hosted.";
    } else if (status == "STOPPING_HOSTING") {
      d["Status"] = "TRAINED";
      d["StatusMessage"] = "Model hosting stopped.";
    } else {
      continue;
    }
    RETURN_IF_ERROR(service->store_->Exec("UPDATE models SET description = ? WHERE project = ? AND version = ?",
                                          {d.dump(), row[0], row[1]}));
  }
  // Model folders without a model: a crash between DeleteModel's commit and
  // the removal of its files.
  const std::string models_dir = JoinPath(service->store_->dir(), "models");
  if (IsDirectory(models_dir)) {
    ASSIGN_OR_RETURN(std::vector<std::string> projects, ListDirectory(models_dir));
    for (const std::string& project : projects) {
      const std::string project_dir = JoinPath(models_dir, project);
      if (!IsDirectory(project_dir)) continue;
      ASSIGN_OR_RETURN(std::vector<std::string> versions, ListDirectory(project_dir));
      for (const std::string& version : versions) {
        // Only version folders are ours (and only numbers compare with the version column).
        if (version.empty() || version.size() > 18 ||
            version.find_first_not_of("0123456789") != std::string::npos) {
          continue;
        }
        ASSIGN_OR_RETURN(std::vector<Row> rows, service->store_->Query(
                             "SELECT 1 FROM models WHERE project = ? AND version = ?", {project, version}));
        if (rows.empty()) RETURN_IF_ERROR(RemoveTree(JoinPath(project_dir, version)));
      }
    }
  }
  service->trainer_ = std::thread(&LookoutService::TrainingLoop, service.get());
  return service;
}

LookoutService::~LookoutService() {
  {
    std::lock_guard<std::mutex> lock(jobs_mutex_);
    stopping_ = true;
  }
  jobs_ready_.notify_all();
  if (trainer_.joinable()) trainer_.join();
  std::unique_lock<std::mutex> lock(background_mutex_);
  background_done_.wait(lock, [this] { return background_tasks_ == 0; });
}

void LookoutService::RunInBackground(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(background_mutex_);
    ++background_tasks_;
  }
  std::thread([this, task = std::move(task)] {
    task();
    // Notify under the lock: the destructor may run as soon as the count is 0.
    std::lock_guard<std::mutex> lock(background_mutex_);
    --background_tasks_;
    background_done_.notify_all();
  }).detach();
}

std::string LookoutService::ProjectArn(const std::string& project) const {
  return "arn:aws:lookoutvision:" + options_.region + ":" + options_.account + ":project/" + project;
}

std::string LookoutService::ModelArn(const std::string& project, const std::string& version) const {
  return "arn:aws:lookoutvision:" + options_.region + ":" + options_.account + ":model/" + project + "/" + version;
}

Row LookoutService::RequireProject(const std::string& project) {
  CheckProjectName(project);
  auto rows = ValueOrThrow(store_->Query("SELECT name, arn, created FROM projects WHERE name = ?", {project}));
  if (rows.empty()) throw ApiError::NotFound("The project " + project + " does not exist.");
  return rows[0];
}

ApiResponse LookoutService::Idempotent(const std::string& operation, const ApiRequest& r,
                                       ApiResponse (LookoutService::*handler)(const ApiRequest&)) {
  const std::string token = ClientToken(r);
  if (token.empty()) return (this->*handler)(r);
  // The operation's changes and the token's record commit as one
  // transaction, so a crash between them cannot make a retry run it twice.
  Store::Transaction tx(*store_);
  Json fingerprint = {{"path", r.path}, {"body", r.body}};
  const std::string request = fingerprint.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto seen = ValueOrThrow(store_->Query(
      "SELECT request, response FROM client_tokens WHERE operation = ? AND token = ?", {operation, token}));
  if (!seen.empty()) {
    if (seen[0][0] != request) {
      throw ApiError::Conflict("ClientToken " + token + " was already used with different parameters for " +
                                   operation,
                               token, operation.find("Model") != std::string::npos     ? "MODEL"
                                      : operation.find("Dataset") != std::string::npos ? "DATASET"
                                                                                       : "PROJECT");
    }
    Json stored = Json::parse(seen[0][1]);
    ApiResponse response;
    response.status = stored["status"].get<int>();
    response.body = stored["body"].get<std::string>();
    return response;
  }
  ApiResponse response = (this->*handler)(r);
  const Json stored = {{"status", response.status}, {"body", response.body}};
  ThrowIfError(store_->Exec("INSERT INTO client_tokens VALUES (?, ?, ?, ?) ON CONFLICT (operation, token) "
                            "DO UPDATE SET request = excluded.request, response = excluded.response",
                            {operation, token, request, stored.dump()}));
  ThrowIfError(tx.Commit());
  return response;
}

ApiResponse LookoutService::CreateProject(const ApiRequest& r) {
  const Json body = r.JsonBody();
  const std::string name = CheckProjectName(RequiredString(body, "ProjectName"));
  const double now = NowSeconds();
  {
    Store::Transaction tx(*store_);
    auto rows = ValueOrThrow(store_->Query("SELECT name FROM projects WHERE name = ?", {name}));
    if (!rows.empty()) throw ApiError::Conflict("The project " + name + " already exists.", name, "PROJECT");
    ThrowIfError(store_->Exec("INSERT INTO projects VALUES (?, ?, ?)", {name, ProjectArn(name), std::to_string(now)}));
    ThrowIfError(tx.Commit());
  }
  return JsonResponse(
      {{"ProjectMetadata", {{"ProjectArn", ProjectArn(name)}, {"ProjectName", name}, {"CreationTimestamp", now}}}});
}

ApiResponse LookoutService::DescribeProject(const ApiRequest& r) {
  const Row project = RequireProject(r.path.at("projectName"));
  Json datasets = Json::array();
  for (const Row& d : ValueOrThrow(store_->Query(
           "SELECT type, created, status, status_message FROM datasets WHERE project = ? ORDER BY type DESC",
           {project[0]}))) {
    datasets.push_back({{"DatasetType", d[0]},
                        {"CreationTimestamp", std::stod(d[1])},
                        {"Status", d[2]},
                        {"StatusMessage", d[3]}});
  }
  return JsonResponse({{"ProjectDescription",
                        {{"ProjectArn", project[1]},
                         {"ProjectName", project[0]},
                         {"CreationTimestamp", std::stod(project[2])},
                         {"Datasets", datasets}}}});
}

ApiResponse LookoutService::ListProjects(const ApiRequest& r) {
  const Page page = ReadPage(r, "projects");
  auto rows = ValueOrThrow(store_->Query("SELECT name, arn, created FROM projects ORDER BY created, name"));
  Json projects = Json::array();
  for (size_t i = page.offset; i < rows.size() && i < page.offset + page.limit; ++i) {
    projects.push_back(
        {{"ProjectArn", rows[i][1]}, {"ProjectName", rows[i][0]}, {"CreationTimestamp", std::stod(rows[i][2])}});
  }
  Json out = {{"Projects", projects}};
  const std::string next = NextToken(page, rows.size(), "projects");
  if (!next.empty()) out["NextToken"] = next;
  return JsonResponse(out);
}

ApiResponse LookoutService::DeleteProject(const ApiRequest& r) {
  const Row project = RequireProject(r.path.at("projectName"));
  Store::Transaction tx(*store_);
  auto models = ValueOrThrow(store_->Query("SELECT version FROM models WHERE project = ?", {project[0]}));
  if (!models.empty()) {
    throw ApiError::Conflict("The project " + project[0] + " has models; delete them before the project.", project[0],
                             "PROJECT");
  }
  ThrowIfError(store_->Exec("DELETE FROM entries WHERE project = ?", {project[0]}));
  ThrowIfError(store_->Exec("DELETE FROM datasets WHERE project = ?", {project[0]}));
  ThrowIfError(store_->Exec("DELETE FROM packaging_jobs WHERE project = ?", {project[0]}));
  ThrowIfError(store_->Exec("DELETE FROM tags WHERE arn = ?", {project[1]}));
  ThrowIfError(store_->Exec("DELETE FROM projects WHERE name = ?", {project[0]}));
  ThrowIfError(tx.Commit());
  return JsonResponse({{"ProjectArn", project[1]}});
}

// Tags: on models (as Lookout) and projects. Returns the ARN if it names one.
std::string LookoutService::ResourceForArn(const std::string& arn) {
  const std::string prefix = "arn:aws:lookoutvision:" + options_.region + ":" + options_.account + ":";
  CheckString(arn, "resourceArn", 1, 1011, nullptr);
  if (arn.compare(0, prefix.size(), prefix) != 0) throw ApiError::NotFound("The resource " + arn + " does not exist.");
  const std::string rest = arn.substr(prefix.size());
  if (rest.rfind("model/", 0) == 0) {
    const std::string path = rest.substr(6);
    const size_t slash = path.find('/');
    if (slash == std::string::npos) throw ApiError::NotFound("The resource " + arn + " does not exist.");
    try {
      RequireModel(path.substr(0, slash), path.substr(slash + 1));
    } catch (const ApiError& e) {
      throw ApiError::NotFound("The resource " + arn + " does not exist.");
    }
    return arn;
  }
  if (rest.rfind("project/", 0) == 0) {
    try {
      RequireProject(rest.substr(8));
    } catch (const ApiError& e) {
      throw ApiError::NotFound("The resource " + arn + " does not exist.");
    }
    return arn;
  }
  throw ApiError::NotFound("The resource " + arn + " does not exist.");
}

namespace {

void CheckTag(const std::string& key, const std::string& value) {
  // The model's \p{L}\p{Z}\p{N} classes need Unicode; std::regex is bytewise,
  // so only lengths and the ASCII punctuation rule are checked here.
  CheckString(key, "tags.member.key", 1, 128, nullptr);
  CheckString(value, "tags.member.value", 0, 256, nullptr);
  for (const std::string* s : {&key, &value}) {
    for (unsigned char c : *s) {
      if (c < 0x80 && !std::isalnum(c) && std::string(" _.:/=+-@").find(static_cast<char>(c)) == std::string::npos) {
        throw ApiError::Validation("tag '" + *s + "' has a character outside [letters, digits, spaces, _.:/=+-@]");
      }
    }
  }
}

}  // namespace

void LookoutService::InsertTags(const std::string& arn, const Json& tags) {
  if (!tags.is_array()) throw ApiError::Validation("Tags is required and must be a list");
  if (tags.size() > 200) throw ApiError::Validation("at most 200 tags");
  for (const Json& tag : tags) {
    if (!tag.is_object()) throw ApiError::Validation("each tag must be {Key, Value}");
    const std::string key = RequiredString(tag, "Key"), value = RequiredString(tag, "Value");
    CheckTag(key, value);
    ThrowIfError(store_->Exec("INSERT INTO tags VALUES (?, ?, ?) ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value", {arn, key, value}));
  }
  auto count = ValueOrThrow(store_->Query("SELECT COUNT(*) FROM tags WHERE arn = ?", {arn}));
  if (std::stoi(count[0][0]) > 200) {
    throw ApiError::QuotaExceeded("a resource can have at most 200 tags", "tags-per-resource");
  }
}

ApiResponse LookoutService::TagResource(const ApiRequest& r) {
  const std::string arn = ResourceForArn(r.path.at("resourceArn"));
  const Json body = r.JsonBody();
  const auto tags = body.find("Tags");
  if (tags == body.end()) throw ApiError::Validation("Tags is required and must be a list");
  Store::Transaction tx(*store_);
  InsertTags(arn, *tags);
  ThrowIfError(tx.Commit());
  return JsonResponse(Json::object());
}

ApiResponse LookoutService::UntagResource(const ApiRequest& r) {
  const std::string arn = ResourceForArn(r.path.at("resourceArn"));
  if (!r.HasQuery("tagKeys")) throw ApiError::Validation("tagKeys is required");
  Store::Transaction tx(*store_);
  for (auto [it, end] = r.query.equal_range("tagKeys"); it != end; ++it) {
    CheckString(it->second, "tagKeys.member", 1, 128, nullptr);
    ThrowIfError(store_->Exec("DELETE FROM tags WHERE arn = ? AND key = ?", {arn, it->second}));
  }
  ThrowIfError(tx.Commit());
  return JsonResponse(Json::object());
}

ApiResponse LookoutService::ListTagsForResource(const ApiRequest& r) {
  const std::string arn = ResourceForArn(r.path.at("resourceArn"));
  Json tags = Json::array();
  for (const Row& t : ValueOrThrow(store_->Query("SELECT key, value FROM tags WHERE arn = ? ORDER BY key", {arn}))) {
    tags.push_back({{"Key", t[0]}, {"Value", t[1]}});
  }
  return JsonResponse({{"Tags", tags}});
}

}  // namespace anomalens
