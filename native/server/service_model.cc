#include "native/server/service_model.h"

#include <stdexcept>

#include "native/server/api_request.h"

namespace anomalens {

ShapeMember ShapeMember::Required() const {
  ShapeMember m = *this;
  m.required = true;
  return m;
}
ShapeMember ShapeMember::InUri(const std::string& label) const {
  ShapeMember m = *this;
  m.location = "uri";
  m.location_name = label;
  return m;
}
ShapeMember ShapeMember::InQuery(const std::string& key) const {
  ShapeMember m = *this;
  m.location = "querystring";
  m.location_name = key;
  return m;
}
ShapeMember ShapeMember::InHeader(const std::string& header) const {
  ShapeMember m = *this;
  m.location = "header";
  m.location_name = header;
  return m;
}
ShapeMember ShapeMember::IdempotencyToken() const {
  ShapeMember m = *this;
  m.idempotency_token = true;
  return m;
}

namespace {

// Builders that keep the table below one line per fact.
ShapeMember M(const std::string& name, const std::string& shape = "") {
  ShapeMember m;
  m.name = name;
  m.shape = shape.empty() ? name : shape;
  return m;
}

Shape Scalar(const std::string& name, const std::string& type) {
  Shape s;
  s.name = name;
  s.type = type;
  return s;
}

Shape Str(const std::string& name, long long min, long long max, const std::string& pattern = "") {
  Shape s = Scalar(name, "string");
  s.has_min = min >= 0;
  s.min = min;
  s.has_max = max >= 0;
  s.max = max;
  s.pattern = pattern;
  return s;
}

Shape Enum(const std::string& name, std::vector<std::string> values) {
  Shape s = Scalar(name, "string");
  s.enum_values = std::move(values);
  return s;
}

Shape Bounded(Shape s, long long min, long long max) {
  s.has_min = min >= 0;
  s.min = min;
  s.has_max = max >= 0;
  s.max = max;
  return s;
}

Shape Struct(const std::string& name, std::vector<ShapeMember> members) {
  Shape s = Scalar(name, "structure");
  s.members = std::move(members);
  return s;
}

Shape List(const std::string& name, const std::string& member) {
  Shape s = Scalar(name, "list");
  s.list_member = member;
  return s;
}

Shape Error(const std::string& name, int status, std::vector<ShapeMember> members, bool fault = false) {
  Shape s = Struct(name, std::move(members));
  s.error_status = status;
  s.fault = fault;
  return s;
}

// Members most operations share.
ShapeMember ProjectInUri() { return M("ProjectName").Required().InUri("projectName"); }
ShapeMember DatasetTypeInUri() { return M("DatasetType").Required().InUri("datasetType"); }
ShapeMember VersionInUri() { return M("ModelVersion").Required().InUri("modelVersion"); }
ShapeMember ClientTokenHeader() { return M("ClientToken").InHeader("X-Amzn-Client-Token").IdempotencyToken(); }
ShapeMember NextTokenQuery() { return M("NextToken", "PaginationToken").InQuery("nextToken"); }
ShapeMember MaxResultsQuery() { return M("MaxResults", "PageSize").InQuery("maxResults"); }
ShapeMember NextTokenOut() { return M("NextToken", "PaginationToken"); }
ShapeMember ResourceArnInUri() { return M("ResourceArn", "TagArn").Required().InUri("resourceArn"); }

// The errors every operation may return; some add ConflictException and
// ServiceQuotaExceededException.
std::vector<std::string> Errors(bool conflict, bool quota) {
  std::vector<std::string> e = {"AccessDeniedException", "InternalServerException", "ValidationException"};
  if (conflict) e.push_back("ConflictException");
  e.push_back("ResourceNotFoundException");
  e.push_back("ThrottlingException");
  if (quota) e.push_back("ServiceQuotaExceededException");
  return e;
}

std::vector<Operation> Operations() {
  const std::string base = "/2020-11-20";
  const std::string project = base + "/projects/{projectName}";
  const std::string dataset = project + "/datasets/{datasetType}";
  const std::string model = project + "/models/{modelVersion}";
  auto op = [](const std::string& name, const std::string& method, const std::string& uri, int status,
               std::vector<std::string> errors, const std::string& page_result = "") {
    return Operation{name, method, uri, status, name + "Request", name + "Response", std::move(errors), page_result};
  };
  return {
      op("CreateProject", "POST", base + "/projects", 200, Errors(true, true)),
      op("DescribeProject", "GET", project, 200, Errors(true, false)),
      op("ListProjects", "GET", base + "/projects", 200, Errors(true, false), "Projects"),
      op("DeleteProject", "DELETE", project, 200, Errors(true, false)),
      op("CreateDataset", "POST", project + "/datasets", 202, Errors(true, true)),
      op("DescribeDataset", "GET", dataset, 200, Errors(true, false)),
      op("ListDatasetEntries", "GET", dataset + "/entries", 200, Errors(true, false), "DatasetEntries"),
      op("UpdateDatasetEntries", "PATCH", dataset + "/entries", 202, Errors(true, false)),
      op("DeleteDataset", "DELETE", dataset, 202, Errors(true, false)),
      op("CreateModel", "POST", project + "/models", 202, Errors(true, true)),
      op("DescribeModel", "GET", model, 200, Errors(true, false)),
      op("ListModels", "GET", project + "/models", 200, Errors(true, false), "Models"),
      op("StartModel", "POST", model + "/start", 202, Errors(true, true)),
      op("StopModel", "POST", model + "/stop", 202, Errors(true, false)),
      op("DeleteModel", "DELETE", model, 202, Errors(true, false)),
      op("DetectAnomalies", "POST", model + "/detect", 200, Errors(true, false)),
      op("StartModelPackagingJob", "POST", project + "/modelpackagingjobs", 200, Errors(true, true)),
      op("DescribeModelPackagingJob", "GET", project + "/modelpackagingjobs/{jobName}", 200, Errors(false, false)),
      op("ListModelPackagingJobs", "GET", project + "/modelpackagingjobs", 200, Errors(false, false),
         "ModelPackagingJobs"),
      op("TagResource", "POST", base + "/tags/{resourceArn}", 200, Errors(true, true)),
      op("UntagResource", "DELETE", base + "/tags/{resourceArn}", 200, Errors(true, false)),
      op("ListTagsForResource", "GET", base + "/tags/{resourceArn}", 200, Errors(true, false)),
  };
}

std::vector<Shape> Shapes() {
  const char* kS3Key = "^([a-zA-Z0-9!_.*'()-][/a-zA-Z0-9!_.*'()-]*)?$";
  const char* kTagText = "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$";
  const char* kJobText = "[a-zA-Z0-9-_. ()':,;?]+";
  Shape detect_request = Struct("DetectAnomaliesRequest", {ProjectInUri(), VersionInUri(),
                                                           M("Body", "Stream").Required(),
                                                           M("ContentType").Required().InHeader("Content-Type")});
  detect_request.payload = "Body";
  Shape stream = Scalar("Stream", "blob");
  stream.streaming = true;
  const std::vector<ShapeMember> message = {M("Message", "ExceptionString").Required()};
  const std::vector<ShapeMember> resource = {M("Message", "ExceptionString").Required(),
                                             M("ResourceId", "ExceptionString").Required(),
                                             M("ResourceType").Required()};
  const ShapeMember retry_after = M("RetryAfterSeconds").InHeader("Retry-After");
  return {
      // Projects.
      Struct("CreateProjectRequest", {M("ProjectName").Required(), ClientTokenHeader()}),
      Struct("CreateProjectResponse", {M("ProjectMetadata")}),
      Struct("DescribeProjectRequest", {ProjectInUri()}),
      Struct("DescribeProjectResponse", {M("ProjectDescription")}),
      Struct("ListProjectsRequest", {NextTokenQuery(), MaxResultsQuery()}),
      Struct("ListProjectsResponse", {M("Projects", "ProjectMetadataList"), NextTokenOut()}),
      Struct("DeleteProjectRequest", {ProjectInUri(), ClientTokenHeader()}),
      Struct("DeleteProjectResponse", {M("ProjectArn")}),
      Struct("ProjectMetadata", {M("ProjectArn"), M("ProjectName"), M("CreationTimestamp", "DateTime")}),
      List("ProjectMetadataList", "ProjectMetadata"),
      Struct("ProjectDescription", {M("ProjectArn"), M("ProjectName"), M("CreationTimestamp", "DateTime"),
                                    M("Datasets", "DatasetMetadataList")}),
      Str("ProjectName", 1, 255, "[a-zA-Z0-9][a-zA-Z0-9_\\-]*"),
      Scalar("ProjectArn", "string"),

      // Datasets.
      Struct("CreateDatasetRequest", {ProjectInUri(), M("DatasetType").Required(), M("DatasetSource"),
                                      ClientTokenHeader()}),
      Struct("CreateDatasetResponse", {M("DatasetMetadata")}),
      Struct("DescribeDatasetRequest", {ProjectInUri(), DatasetTypeInUri()}),
      Struct("DescribeDatasetResponse", {M("DatasetDescription")}),
      Struct("ListDatasetEntriesRequest",
             {ProjectInUri(), DatasetTypeInUri(), M("Labeled", "IsLabeled").InQuery("labeled"),
              M("AnomalyClass", "AnomalyClassFilter").InQuery("anomalyClass"),
              M("BeforeCreationDate", "DateTime").InQuery("createdBefore"),
              M("AfterCreationDate", "DateTime").InQuery("createdAfter"), NextTokenQuery(), MaxResultsQuery(),
              M("SourceRefContains", "QueryString").InQuery("sourceRefContains")}),
      Struct("ListDatasetEntriesResponse", {M("DatasetEntries", "DatasetEntryList"), NextTokenOut()}),
      Struct("UpdateDatasetEntriesRequest", {ProjectInUri(), DatasetTypeInUri(),
                                             M("Changes", "DatasetChanges").Required(), ClientTokenHeader()}),
      Struct("UpdateDatasetEntriesResponse", {M("Status", "DatasetStatus")}),
      Struct("DeleteDatasetRequest", {ProjectInUri(), DatasetTypeInUri(), ClientTokenHeader()}),
      Struct("DeleteDatasetResponse", {}),
      Struct("DatasetSource", {M("GroundTruthManifest", "DatasetGroundTruthManifest")}),
      Struct("DatasetGroundTruthManifest", {M("S3Object", "InputS3Object")}),
      Struct("InputS3Object", {M("Bucket", "S3BucketName").Required(), M("Key", "S3ObjectKey").Required(),
                               M("VersionId", "S3ObjectVersion")}),
      Struct("DatasetMetadata", {M("DatasetType"), M("CreationTimestamp", "DateTime"), M("Status", "DatasetStatus"),
                                 M("StatusMessage", "DatasetStatusMessage")}),
      List("DatasetMetadataList", "DatasetMetadata"),
      Struct("DatasetDescription", {M("ProjectName"), M("DatasetType"), M("CreationTimestamp", "DateTime"),
                                    M("LastUpdatedTimestamp", "DateTime"), M("Status", "DatasetStatus"),
                                    M("StatusMessage", "DatasetStatusMessage"),
                                    M("ImageStats", "DatasetImageStats")}),
      Struct("DatasetImageStats", {M("Total", "Integer"), M("Labeled", "Integer"), M("Normal", "Integer"),
                                   M("Anomaly", "Integer")}),
      Str("DatasetType", 1, 10, "train|test"),
      Enum("DatasetStatus", {"CREATE_IN_PROGRESS", "CREATE_COMPLETE", "CREATE_FAILED", "UPDATE_IN_PROGRESS",
                             "UPDATE_COMPLETE", "UPDATE_FAILED_ROLLBACK_IN_PROGRESS",
                             "UPDATE_FAILED_ROLLBACK_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_COMPLETE",
                             "DELETE_FAILED"}),
      Scalar("DatasetStatusMessage", "string"),
      Bounded(Scalar("DatasetChanges", "blob"), 1, 10485760),
      Str("DatasetEntry", 2, 8192, "^\\{.*\\}$"),
      List("DatasetEntryList", "DatasetEntry"),
      Str("AnomalyClassFilter", 1, 10, "(normal|anomaly)"),
      Scalar("IsLabeled", "boolean"),
      Str("QueryString", 1, 2048, ".*\\S.*"),

      // Models.
      Struct("CreateModelRequest", {ProjectInUri(), M("Description", "ModelDescriptionMessage"), ClientTokenHeader(),
                                    M("OutputConfig").Required(), M("KmsKeyId"), M("Tags", "TagList")}),
      Struct("CreateModelResponse", {M("ModelMetadata")}),
      Struct("DescribeModelRequest", {ProjectInUri(), VersionInUri()}),
      Struct("DescribeModelResponse", {M("ModelDescription")}),
      Struct("ListModelsRequest", {ProjectInUri(), NextTokenQuery(), MaxResultsQuery()}),
      Struct("ListModelsResponse", {M("Models", "ModelMetadataList"), NextTokenOut()}),
      Struct("StartModelRequest", {ProjectInUri(), VersionInUri(), M("MinInferenceUnits", "InferenceUnits").Required(),
                                   ClientTokenHeader(), M("MaxInferenceUnits", "InferenceUnits")}),
      Struct("StartModelResponse", {M("Status", "ModelHostingStatus")}),
      Struct("StopModelRequest", {ProjectInUri(), VersionInUri(), ClientTokenHeader()}),
      Struct("StopModelResponse", {M("Status", "ModelHostingStatus")}),
      Struct("DeleteModelRequest",
             {ProjectInUri(), M("ModelVersion", "ModelVersionNoLatest").Required().InUri("modelVersion"),
              ClientTokenHeader()}),
      Struct("DeleteModelResponse", {M("ModelArn")}),
      Struct("ModelMetadata", {M("CreationTimestamp", "DateTime"), M("ModelVersion"), M("ModelArn"),
                               M("Description", "ModelDescriptionMessage"), M("Status", "ModelStatus"),
                               M("StatusMessage", "ModelStatusMessage"), M("Performance", "ModelPerformance")}),
      List("ModelMetadataList", "ModelMetadata"),
      Struct("ModelDescription",
             {M("ModelVersion"), M("ModelArn"), M("CreationTimestamp", "DateTime"),
              M("Description", "ModelDescriptionMessage"), M("Status", "ModelStatus"),
              M("StatusMessage", "ModelStatusMessage"), M("Performance", "ModelPerformance"), M("OutputConfig"),
              M("EvaluationManifest", "OutputS3Object"), M("EvaluationResult", "OutputS3Object"),
              M("EvaluationEndTimestamp", "DateTime"), M("KmsKeyId"), M("MinInferenceUnits", "InferenceUnits"),
              M("MaxInferenceUnits", "InferenceUnits")}),
      Struct("ModelPerformance", {M("F1Score", "Float"), M("Recall", "Float"), M("Precision", "Float")}),
      Struct("OutputConfig", {M("S3Location").Required()}),
      Struct("S3Location", {M("Bucket", "S3BucketName").Required(), M("Prefix", "S3KeyPrefix")}),
      Struct("OutputS3Object", {M("Bucket", "S3BucketName").Required(), M("Key", "S3ObjectKey").Required()}),
      Str("ModelVersion", 1, 10, "([1-9][0-9]*|latest)"),
      Str("ModelVersionNoLatest", 1, 10, "([1-9][0-9]*)"),
      Scalar("ModelArn", "string"),
      Str("ModelDescriptionMessage", 1, 500, "[0-9A-Za-z\\.\\-_]*"),
      Enum("ModelStatus", {"TRAINING", "TRAINED", "TRAINING_FAILED", "STARTING_HOSTING", "HOSTED", "HOSTING_FAILED",
                           "STOPPING_HOSTING", "SYSTEM_UPDATING", "DELETING"}),
      Enum("ModelHostingStatus", {"STARTING_HOSTING", "HOSTED", "HOSTING_FAILED", "STOPPING_HOSTING",
                                  "SYSTEM_UPDATING"}),
      Scalar("ModelStatusMessage", "string"),
      Bounded(Scalar("InferenceUnits", "integer"), 1, -1),
      Str("KmsKeyId", 1, 2048, "^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$"),
      Str("S3BucketName", 3, 63, "[0-9A-Za-z\\.\\-_]*"),
      Str("S3KeyPrefix", -1, 1024, kS3Key),
      Str("S3ObjectKey", 1, 1024, kS3Key),
      Str("S3ObjectVersion", 1, 1024, ".*"),

      // Detection.
      detect_request,
      Struct("DetectAnomaliesResponse", {M("DetectAnomalyResult")}),
      Struct("DetectAnomalyResult", {M("Source", "ImageSource"), M("IsAnomalous", "Boolean"),
                                     M("Confidence", "Float"), M("Anomalies", "AnomalyList"), M("AnomalyMask")}),
      Struct("ImageSource", {M("Type", "ImageSourceType")}),
      Str("ImageSourceType", -1, -1, "direct"),
      Struct("Anomaly", {M("Name", "AnomalyName"), M("PixelAnomaly")}),
      List("AnomalyList", "Anomaly"),
      Str("AnomalyName", 1, 256, "[a-zA-Z0-9]*"),
      Struct("PixelAnomaly", {M("TotalPercentageArea", "Float"), M("Color")}),
      Str("Color", 7, 7, "\\#[a-zA-Z0-9]{6}"),
      Bounded(Scalar("AnomalyMask", "blob"), 1, 5242880),
      Str("ContentType", 1, 255, ".*"),
      stream,

      // Model packaging.
      Struct("StartModelPackagingJobRequest",
             {ProjectInUri(), M("ModelVersion").Required(), M("JobName", "ModelPackagingJobName"),
              M("Configuration", "ModelPackagingConfiguration").Required(),
              M("Description", "ModelPackagingJobDescription"), ClientTokenHeader()}),
      Struct("StartModelPackagingJobResponse", {M("JobName", "ModelPackagingJobName")}),
      Struct("DescribeModelPackagingJobRequest",
             {ProjectInUri(), M("JobName", "ModelPackagingJobName").Required().InUri("jobName")}),
      Struct("DescribeModelPackagingJobResponse", {M("ModelPackagingDescription")}),
      Struct("ListModelPackagingJobsRequest", {ProjectInUri(), NextTokenQuery(), MaxResultsQuery()}),
      Struct("ListModelPackagingJobsResponse", {M("ModelPackagingJobs", "ModelPackagingJobsList"), NextTokenOut()}),
      Struct("ModelPackagingConfiguration", {M("Greengrass", "GreengrassConfiguration").Required()}),
      Struct("GreengrassConfiguration",
             {M("CompilerOptions"), M("TargetDevice"), M("TargetPlatform"),
              M("S3OutputLocation", "S3Location").Required(), M("ComponentName").Required(), M("ComponentVersion"),
              M("ComponentDescription"), M("Tags", "TagList")}),
      Struct("TargetPlatform", {M("Os", "TargetPlatformOs").Required(), M("Arch", "TargetPlatformArch").Required(),
                                M("Accelerator", "TargetPlatformAccelerator")}),
      Struct("ModelPackagingDescription",
             {M("JobName", "ModelPackagingJobName"), M("ProjectName"), M("ModelVersion"),
              M("ModelPackagingConfiguration"), M("ModelPackagingJobDescription"), M("ModelPackagingMethod"),
              M("ModelPackagingOutputDetails"), M("Status", "ModelPackagingJobStatus"),
              M("StatusMessage", "ModelPackagingStatusMessage"), M("CreationTimestamp", "DateTime"),
              M("LastUpdatedTimestamp", "DateTime")}),
      Struct("ModelPackagingJobMetadata",
             {M("JobName", "ModelPackagingJobName"), M("ProjectName"), M("ModelVersion"),
              M("ModelPackagingJobDescription"), M("ModelPackagingMethod"), M("Status", "ModelPackagingJobStatus"),
              M("StatusMessage", "ModelPackagingStatusMessage"), M("CreationTimestamp", "DateTime"),
              M("LastUpdatedTimestamp", "DateTime")}),
      List("ModelPackagingJobsList", "ModelPackagingJobMetadata"),
      Struct("ModelPackagingOutputDetails", {M("Greengrass", "GreengrassOutputDetails")}),
      Struct("GreengrassOutputDetails", {M("ComponentVersionArn"), M("ComponentName"), M("ComponentVersion")}),
      Str("ModelPackagingJobName", 1, 64, "[a-zA-Z0-9-]+"),
      Str("ModelPackagingJobDescription", 1, 256, kJobText),
      Str("ComponentDescription", 1, 256, kJobText),
      Str("ModelPackagingMethod", 1, 32, "^[a-zA-Z0-9]+"),
      Enum("ModelPackagingJobStatus", {"CREATED", "RUNNING", "SUCCEEDED", "FAILED"}),
      Scalar("ModelPackagingStatusMessage", "string"),
      Str("CompilerOptions", 3, 1024, ".*"),
      Str("ComponentName", 1, 128, "[a-zA-Z0-9-_.]+"),
      Str("ComponentVersion", 1, 64, "^([0-9]{1,6})\\.([0-9]{1,6})\\.([0-9]{1,6})$"),
      Str("ComponentVersionArn", -1, -1, "arn:[^:]*:greengrass:[^:]*:aws:components:[^:]+"),
      Enum("TargetDevice", {"jetson_xavier"}),
      Enum("TargetPlatformOs", {"LINUX"}),
      Enum("TargetPlatformArch", {"ARM64", "X86_64"}),
      Enum("TargetPlatformAccelerator", {"NVIDIA"}),

      // Tags.
      Struct("TagResourceRequest", {ResourceArnInUri(), M("Tags", "TagList").Required()}),
      Struct("TagResourceResponse", {}),
      Struct("UntagResourceRequest", {ResourceArnInUri(), M("TagKeys", "TagKeyList").Required().InQuery("tagKeys")}),
      Struct("UntagResourceResponse", {}),
      Struct("ListTagsForResourceRequest", {ResourceArnInUri()}),
      Struct("ListTagsForResourceResponse", {M("Tags", "TagList")}),
      Struct("Tag", {M("Key", "TagKey").Required(), M("Value", "TagValue").Required()}),
      Bounded(List("TagList", "Tag"), 0, 200),
      Bounded(List("TagKeyList", "TagKey"), 0, 200),
      Str("TagKey", 1, 128, kTagText),
      Str("TagValue", 0, 256, kTagText),
      Str("TagArn", 1, 1011),

      // Shared scalars.
      Str("ClientToken", 1, 64, "^[a-zA-Z0-9-]+$"),
      Str("PaginationToken", -1, 2048, "^[a-zA-Z0-9\\/\\+\\=]{0,2048}$"),
      Bounded(Scalar("PageSize", "integer"), 1, 100),
      Scalar("DateTime", "timestamp"),
      Scalar("Boolean", "boolean"),
      Scalar("Float", "float"),
      Scalar("Integer", "integer"),
      Scalar("RetryAfterSeconds", "integer"),
      Scalar("ExceptionString", "string"),
      Enum("ResourceType", {"PROJECT", "DATASET", "MODEL", "TRIAL", "MODEL_PACKAGE_JOB"}),

      // Errors, with the HTTP status each arrives with.
      Error("AccessDeniedException", 403, message),
      Error("ValidationException", 400, message),
      Error("ConflictException", 409, resource),
      Error("ResourceNotFoundException", 404, resource),
      Error("InternalServerException", 500, {M("Message", "ExceptionString").Required(), retry_after}, true),
      Error("ThrottlingException", 429,
            {M("Message", "ExceptionString").Required(), M("QuotaCode", "ExceptionString"),
             M("ServiceCode", "ExceptionString"), retry_after}),
      Error("ServiceQuotaExceededException", 402,
            {M("Message", "ExceptionString").Required(), M("ResourceId", "ExceptionString"), M("ResourceType"),
             M("QuotaCode", "ExceptionString").Required(), M("ServiceCode", "ExceptionString").Required()}),
  };
}

ServiceModel Build() {
  ServiceModel model;
  model.operations = Operations();
  for (Shape& s : Shapes()) {
    const std::string name = s.name;
    if (!model.shapes.emplace(name, std::move(s)).second) throw std::logic_error("shape defined twice: " + name);
  }
  // Every reference resolves: a typo here would otherwise reach users as a
  // model botocore refuses.
  for (const auto& [name, s] : model.shapes) {
    for (const ShapeMember& m : s.members) model.GetShape(m.shape);
    if (s.type == "list") model.GetShape(s.list_member);
  }
  for (const Operation& op : model.operations) {
    model.GetShape(op.input);
    model.GetShape(op.output);
    for (const std::string& e : op.errors) model.GetShape(e);
  }
  return model;
}

}  // namespace

const Shape& ServiceModel::GetShape(const std::string& name) const {
  const auto it = shapes.find(name);
  if (it == shapes.end()) throw std::out_of_range("the service model has no shape " + name);
  return it->second;
}

const Operation* ServiceModel::FindOperation(const std::string& name) const {
  for (const Operation& op : operations)
    if (op.name == name) return &op;
  return nullptr;
}

const ServiceModel& LookoutServiceModel() {
  static const ServiceModel model = Build();
  return model;
}

const Operation* MatchOperation(const ServiceModel& model, const std::string& method,
                                const std::vector<std::string>& segments,
                                std::map<std::string, std::string>* uri_labels) {
  for (const Operation& op : model.operations) {
    if (op.method != method) continue;
    // The template's segments after the leading '/'.
    std::vector<std::string> parts;
    size_t start = 1;
    while (start <= op.uri.size()) {
      const size_t slash = op.uri.find('/', start);
      parts.push_back(op.uri.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (parts.size() != segments.size()) continue;
    std::map<std::string, std::string> labels;
    bool match = true;
    for (size_t i = 0; i < parts.size() && match; ++i) {
      if (parts[i].size() > 2 && parts[i].front() == '{' && parts[i].back() == '}') {
        labels[parts[i].substr(1, parts[i].size() - 2)] = segments[i];
      } else {
        match = parts[i] == segments[i];
      }
    }
    if (match) {
      *uri_labels = std::move(labels);
      return &op;
    }
  }
  return nullptr;
}

bool TakesClientToken(const ServiceModel& model, const Operation& operation) {
  for (const ShapeMember& m : model.GetShape(operation.input).members)
    if (m.idempotency_token) return true;
  return false;
}

void CheckAgainstShape(const Shape& shape, const std::string& value, const std::string& what) {
  const size_t min = shape.has_min ? static_cast<size_t>(shape.min) : 0;
  const size_t max = shape.has_max ? static_cast<size_t>(shape.max) : std::string::npos;
  CheckString(value, what.c_str(), min, max, shape.pattern.empty() ? nullptr : shape.pattern.c_str());
}

nlohmann::ordered_json ServiceModelJson(const ServiceModel& model) {
  using J = nlohmann::ordered_json;
  J out;
  out["version"] = "2.0";
  out["metadata"] = {{"apiVersion", "2020-11-20"},
                     {"endpointPrefix", "lookoutvision"},
                     {"jsonVersion", "1.1"},
                     {"protocol", "rest-json"},
                     {"serviceFullName", "Amazon Lookout for Vision"},
                     {"serviceId", "LookoutVision"},
                     {"signatureVersion", "v4"},
                     {"signingName", "lookoutvision"},
                     {"uid", "lookoutvision-2020-11-20"}};
  J operations = J::object();
  for (const Operation& op : model.operations) {
    J o;
    o["name"] = op.name;
    o["http"] = {{"method", op.method}, {"requestUri", op.uri}};
    if (op.success_status != 200) o["http"]["responseCode"] = op.success_status;
    o["input"] = {{"shape", op.input}};
    o["output"] = {{"shape", op.output}};
    o["errors"] = J::array();
    for (const std::string& e : op.errors) o["errors"].push_back({{"shape", e}});
    o["documentation"] = "Served by anomalens (the Lookout for Vision API, offline).";
    operations[op.name] = o;
  }
  out["operations"] = operations;
  J shapes = J::object();
  for (const auto& [name, s] : model.shapes) {
    J j;
    j["type"] = s.type;
    if (s.type == "structure") {
      J required = J::array();
      J members = J::object();
      for (const ShapeMember& m : s.members) {
        if (m.required) required.push_back(m.name);
        J member = {{"shape", m.shape}};
        if (!m.location.empty()) {
          member["location"] = m.location;
          member["locationName"] = m.location_name;
        }
        if (m.idempotency_token) member["idempotencyToken"] = true;
        members[m.name] = member;
      }
      if (!required.empty()) j["required"] = required;
      j["members"] = members;
      if (!s.payload.empty()) j["payload"] = s.payload;
      if (s.error_status) {
        j["error"] = {{"httpStatusCode", s.error_status}};
        j["exception"] = true;
        if (s.fault) j["fault"] = true;
      }
    }
    if (s.type == "list") j["member"] = {{"shape", s.list_member}};
    if (s.has_min) j["min"] = s.min;
    if (s.has_max) j["max"] = s.max;
    if (!s.pattern.empty()) j["pattern"] = s.pattern;
    if (!s.enum_values.empty()) j["enum"] = s.enum_values;
    if (s.streaming) {
      j["streaming"] = true;
      j["requiresLength"] = true;
    }
    shapes[name] = j;
  }
  out["shapes"] = shapes;
  return out;
}

nlohmann::ordered_json PaginatorsJson(const ServiceModel& model) {
  nlohmann::ordered_json pagination = nlohmann::ordered_json::object();
  for (const Operation& op : model.operations) {
    if (op.page_result.empty()) continue;
    pagination[op.name] = {{"input_token", "NextToken"},
                           {"output_token", "NextToken"},
                           {"limit_key", "MaxResults"},
                           {"result_key", op.page_result}};
  }
  return {{"pagination", pagination}};
}

}  // namespace anomalens
