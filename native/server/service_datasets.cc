// LookoutService: datasets and their entries. A dataset's entries are its
// manifest lines, refs rewritten as s3:// URIs (s3_paths.h), merged by
// source-ref.
#include <algorithm>

#include "core/base/base64.h"
#include "native/server/lookout_errors.h"
#include "native/server/lookout_service.h"

namespace anomalens {
namespace {

constexpr size_t kMaxDatasetChangesBytes = 10485760;  // DatasetChanges: 10 MiB

std::string LabelName(const ManifestEntry& e) { return e.label == ImageLabel::kAnomaly ? "anomaly" : "normal"; }

std::string DecodeBase64Blob(const std::string& text) {
  std::string out;
  if (!Base64Decode(text, &out)) throw ApiError::Validation("Changes must be base64");
  return out;
}

// Inserts or replaces entries by source-ref (inside the caller's transaction).
void MergeEntries(Store& store, const std::string& project, const std::string& type,
                  const std::vector<ManifestEntry>& entries, double now) {
  for (const ManifestEntry& e : entries) {
    ThrowIfError(store.Exec(
        "INSERT INTO entries (project, type, source_ref, line, label, created) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (project, type, source_ref) DO UPDATE SET line = excluded.line, label = excluded.label",
        {project, type, e.source_ref, e.raw_json, LabelName(e), std::to_string(now)}));
  }
}

}  // namespace

ApiResponse LookoutService::CreateDataset(const ApiRequest& r) {
  const std::string project = RequireProject(r.path.at("projectName"))[0];
  const Json body = r.JsonBody();
  const std::string type = CheckDatasetType(RequiredString(body, "DatasetType"));
  std::vector<ManifestEntry> entries;
  const auto source = body.find("DatasetSource");
  if (source != body.end() && !source->is_null()) {
    if (!source->is_object()) throw ApiError::Validation("DatasetSource must be an object");
    const Json& manifest = RequiredObject(*source, "GroundTruthManifest");
    const Json& object = RequiredObject(manifest, "S3Object");
    const std::string bucket = CheckString(RequiredString(object, "Bucket"), "datasetSource.groundTruthManifest.s3Object.bucket",
                                           3, 63, "[0-9A-Za-z\\.\\-_]*");
    const std::string key = CheckString(RequiredString(object, "Key"), "datasetSource.groundTruthManifest.s3Object.key", 1,
                                        1024, "^([a-zA-Z0-9!_.*'()-][/a-zA-Z0-9!_.*'()-]*)?$");
    entries = ValueOrThrow(LoadS3Manifest(buckets_, bucket, key));
  }
  const double now = NowSeconds();
  Store::Transaction tx(*store_);
  if (!ValueOrThrow(store_->Query("SELECT type FROM datasets WHERE project = ? AND type = ?", {project, type}))
           .empty()) {
    throw ApiError::Conflict("The " + type + " dataset of project " + project + " already exists.",
                             project + "/" + type, "DATASET");
  }
  ThrowIfError(store_->Exec("INSERT INTO datasets VALUES (?, ?, ?, ?, 'CREATE_COMPLETE', ?)",
                            {project, type, std::to_string(now), std::to_string(now), "Dataset created."}));
  MergeEntries(*store_, project, type, entries, now);
  ThrowIfError(tx.Commit());
  return JsonResponse({{"DatasetMetadata",
                        {{"DatasetType", type},
                         {"CreationTimestamp", now},
                         {"Status", "CREATE_COMPLETE"},
                         {"StatusMessage", "Dataset created."}}}},
                      202);
}

namespace {

Row RequireDataset(Store& store, const std::string& project, const std::string& type) {
  CheckDatasetType(type);
  auto rows = ValueOrThrow(store.Query(
      "SELECT type, created, updated, status, status_message FROM datasets WHERE project = ? AND type = ?",
      {project, type}));
  if (rows.empty()) throw ApiError::NotFound("The " + type + " dataset of project " + project + " does not exist.");
  return rows[0];
}

}  // namespace

ApiResponse LookoutService::DescribeDataset(const ApiRequest& r) {
  const std::string project = RequireProject(r.path.at("projectName"))[0];
  const Row d = RequireDataset(*store_, project, r.path.at("datasetType"));
  auto stats = ValueOrThrow(store_->Query(
      "SELECT COUNT(*), SUM(CASE WHEN label <> '' THEN 1 ELSE 0 END), SUM(CASE WHEN label = 'normal' THEN 1 ELSE 0 END), "
      "SUM(CASE WHEN label = 'anomaly' THEN 1 ELSE 0 END) FROM entries "
      "WHERE project = ? AND type = ?",
      {project, d[0]}));
  auto count = [&](size_t i) { return stats[0][i].empty() ? 0 : std::stoi(stats[0][i]); };
  return JsonResponse({{"DatasetDescription",
                        {{"ProjectName", project},
                         {"DatasetType", d[0]},
                         {"CreationTimestamp", std::stod(d[1])},
                         {"LastUpdatedTimestamp", std::stod(d[2])},
                         {"Status", d[3]},
                         {"StatusMessage", d[4]},
                         {"ImageStats",
                          {{"Total", count(0)}, {"Labeled", count(1)}, {"Normal", count(2)}, {"Anomaly", count(3)}}}}}});
}

ApiResponse LookoutService::ListDatasetEntries(const ApiRequest& r) {
  const std::string project = RequireProject(r.path.at("projectName"))[0];
  const std::string type = RequireDataset(*store_, project, r.path.at("datasetType"))[0];
  const Page page = ReadPage(r, "entries/" + project + "/" + type);
  std::string sql = "SELECT line, source_ref FROM entries WHERE project = ? AND type = ?";
  std::vector<std::string> params = {project, type};
  if (r.HasQuery("labeled")) {
    const std::string labeled = r.Query("labeled");
    if (labeled != "true" && labeled != "false") throw ApiError::Validation("labeled must be true or false");
    sql += labeled == "true" ? " AND label != ''" : " AND label = ''";
  }
  if (r.HasQuery("anomalyClass")) {
    params.push_back(CheckString(r.Query("anomalyClass"), "anomalyClass", 1, 10, "(normal|anomaly)"));
    sql += " AND label = ?";
  }
  if (r.HasQuery("createdBefore")) {
    params.push_back(std::to_string(ParseTimestamp(r.Query("createdBefore"), "createdBefore")));
    sql += " AND created < ?";
  }
  if (r.HasQuery("createdAfter")) {
    params.push_back(std::to_string(ParseTimestamp(r.Query("createdAfter"), "createdAfter")));
    sql += " AND created > ?";
  }
  // A substring match, case-sensitive: in C++, as the SQL engines spell it differently.
  std::string contains;
  if (r.HasQuery("sourceRefContains")) {
    contains = CheckString(r.Query("sourceRefContains"), "sourceRefContains", 1, 2048, ".*\\S.*");
  }
  sql += " ORDER BY seq";
  auto rows = ValueOrThrow(store_->Query(sql, params));
  if (!contains.empty()) {
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [&](const Row& row) { return row[1].find(contains) == std::string::npos; }),
               rows.end());
  }
  Json entries = Json::array();
  for (size_t i = page.offset; i < rows.size() && i < page.offset + page.limit; ++i) entries.push_back(rows[i][0]);
  Json out = {{"DatasetEntries", entries}};
  const std::string next = NextToken(page, rows.size(), "entries/" + project + "/" + type);
  if (!next.empty()) out["NextToken"] = next;
  return JsonResponse(out);
}

ApiResponse LookoutService::UpdateDatasetEntries(const ApiRequest& r) {
  const std::string project = RequireProject(r.path.at("projectName"))[0];
  const std::string type = RequireDataset(*store_, project, r.path.at("datasetType"))[0];
  const Json body = r.JsonBody();
  const std::string changes = DecodeBase64Blob(RequiredString(body, "Changes"));
  if (changes.empty() || changes.size() > kMaxDatasetChangesBytes) {
    throw ApiError::Validation("Changes must hold 1 byte to 10 MiB of JSON Lines");
  }
  std::vector<ManifestEntry> entries = ValueOrThrow(ParseManifest(changes));
  // Changes carry no manifest location: refs must be s3:// URIs.
  for (ManifestEntry& e : entries) ThrowIfError(ResolveEntryPaths(buckets_, "", "", &e));
  const double now = NowSeconds();
  Store::Transaction tx(*store_);
  MergeEntries(*store_, project, type, entries, now);
  ThrowIfError(store_->Exec(
      "UPDATE datasets SET updated = ?, status = 'UPDATE_COMPLETE', status_message = 'Dataset updated.' "
      "WHERE project = ? AND type = ?",
      {std::to_string(now), project, type}));
  ThrowIfError(tx.Commit());
  return JsonResponse({{"Status", "UPDATE_COMPLETE"}}, 202);
}

ApiResponse LookoutService::DeleteDataset(const ApiRequest& r) {
  const std::string project = RequireProject(r.path.at("projectName"))[0];
  const std::string type = RequireDataset(*store_, project, r.path.at("datasetType"))[0];
  Store::Transaction tx(*store_);
  for (const Row& m : ValueOrThrow(store_->Query("SELECT description FROM models WHERE project = ?", {project}))) {
    if (Json::parse(m[0]).value("Status", "") == "TRAINING") {
      throw ApiError::Conflict("A model of project " + project + " is training on its datasets.", project + "/" + type,
                               "DATASET");
    }
  }
  ThrowIfError(store_->Exec("DELETE FROM entries WHERE project = ? AND type = ?", {project, type}));
  ThrowIfError(store_->Exec("DELETE FROM datasets WHERE project = ? AND type = ?", {project, type}));
  ThrowIfError(tx.Commit());
  return JsonResponse(Json::object(), 202);
}

}  // namespace anomalens
