#include "native/server/lookout_errors.h"

#include <nlohmann/json.hpp>

namespace anomalens {

ApiError ApiError::FromStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidInput:
    case StatusCode::kUnsupported:
      return Validation(status.message());
    case StatusCode::kResourceExhausted:
      return QuotaExceeded(status.message(), "resource-limit");
    default:
      return Internal(status.ToString());
  }
}

std::string ApiError::Body() const {
  nlohmann::ordered_json j;
  // botocore reads "message" or "Message"; Lookout sent "message".
  j["message"] = what();
  if (!resource_id_.empty()) j["ResourceId"] = resource_id_;
  if (!resource_type_.empty()) j["ResourceType"] = resource_type_;
  if (!quota_code_.empty()) {
    j["QuotaCode"] = quota_code_;
    j["ServiceCode"] = "lookoutvision";
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace anomalens
