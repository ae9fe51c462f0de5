// Lookout for Vision's errors in the restJson1 form botocore parses: an
// x-amzn-ErrorType header naming the exception and a JSON body with "message"
// (ConflictException adds ResourceId and ResourceType,
// ServiceQuotaExceededException QuotaCode and ServiceCode).
//
//   throw ApiError::NotFound("project 'cookies' does not exist");
//
// Server handlers throw ApiError; the router turns it into the response.
#ifndef ANOMALENS_NATIVE_SERVER_LOOKOUT_ERRORS_H_
#define ANOMALENS_NATIVE_SERVER_LOOKOUT_ERRORS_H_

#include <stdexcept>
#include <string>

#include "core/base/status.h"

namespace anomalens {

class ApiError : public std::runtime_error {
 public:
  ApiError(std::string type, int http_status, const std::string& message, std::string resource_id = "",
           std::string resource_type = "")
      : std::runtime_error(message),
        type_(std::move(type)),
        http_status_(http_status),
        resource_id_(std::move(resource_id)),
        resource_type_(std::move(resource_type)) {}

  static ApiError Validation(const std::string& m) { return {"ValidationException", 400, m}; }
  static ApiError AccessDenied(const std::string& m) { return {"AccessDeniedException", 403, m}; }
  static ApiError NotFound(const std::string& m) { return {"ResourceNotFoundException", 404, m}; }
  // resource_type: PROJECT, DATASET, MODEL, TRIAL or MODEL_PACKAGE_JOB.
  static ApiError Conflict(const std::string& m, const std::string& id, const std::string& type) {
    return {"ConflictException", 409, m, id, type};
  }
  static ApiError Throttling(const std::string& m) { return {"ThrottlingException", 429, m}; }
  // quota_code names the quota; botocore's shape requires it with ServiceCode.
  static ApiError QuotaExceeded(const std::string& m, const std::string& quota_code) {
    ApiError e{"ServiceQuotaExceededException", 402, m};
    e.quota_code_ = quota_code;
    return e;
  }
  static ApiError Internal(const std::string& m) { return {"InternalServerException", 500, m}; }
  // A core Status: invalid input and unsupported requests are the caller's
  // (ValidationException); anything else is ours (InternalServerException).
  static ApiError FromStatus(const Status& status);

  const std::string& type() const { return type_; }
  int http_status() const { return http_status_; }
  // The JSON body: {"message": ...} plus ResourceId/ResourceType and
  // QuotaCode/ServiceCode when set.
  std::string Body() const;

 private:
  std::string type_;
  int http_status_;
  std::string resource_id_;
  std::string resource_type_;
  std::string quota_code_;
};

// Throws ApiError::FromStatus(status) unless it is ok.
inline void ThrowIfError(const Status& status) {
  if (!status.ok()) throw ApiError::FromStatus(status);
}
template <typename T>
T ValueOrThrow(StatusOr<T> value) {
  ThrowIfError(value.status());
  return std::move(value).value();
}

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_LOOKOUT_ERRORS_H_
