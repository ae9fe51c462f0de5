// One Lookout for Vision API call as the server's handlers see it, and the
// checks every operation shares: the service model's patterns and lengths,
// JSON body fields, pagination tokens, timestamps.
//
// Checks throw ApiError::Validation with a message naming the field, as
// Lookout's ValidationException did.
#ifndef ANOMALENS_NATIVE_SERVER_API_REQUEST_H_
#define ANOMALENS_NATIVE_SERVER_API_REQUEST_H_

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace anomalens {

using Json = nlohmann::ordered_json;

struct ApiRequest {
  std::string method;
  std::map<std::string, std::string> path;                // URI parameters, decoded
  std::multimap<std::string, std::string> query;          // decoded
  std::map<std::string, std::string> headers;             // lowercase names
  std::string body;

  std::string Header(const std::string& lowercase_name) const;
  // The first value of a query parameter; "" when absent.
  std::string Query(const std::string& name) const;
  bool HasQuery(const std::string& name) const { return query.count(name) > 0; }
  // The body as a JSON object ({} when empty); ValidationException otherwise.
  Json JsonBody() const;
};

struct ApiResponse {
  int status = 200;
  std::string body = "{}";
  std::string content_type = "application/json";
  std::string error_type;  // set on errors: the x-amzn-ErrorType header
};

ApiResponse JsonResponse(const Json& json, int status = 200);

// A string field of the service model: length bounds and an anchored regex
// (ECMAScript); `what` names it in errors. Returns the value.
const std::string& CheckString(const std::string& value, const char* what, size_t min, size_t max,
                               const char* pattern);
// The service model's shapes.
const std::string& CheckProjectName(const std::string& name);
const std::string& CheckDatasetType(const std::string& type);
const std::string& CheckModelVersion(const std::string& version);
// A ClientToken header ("" when absent).
std::string ClientToken(const ApiRequest& request);

// Optional JSON fields: absent or null gives `fallback`; a wrong type is a
// ValidationException.
std::string OptionalString(const Json& body, const char* field, const std::string& fallback = "");
const Json& RequiredObject(const Json& body, const char* field);
std::string RequiredString(const Json& body, const char* field);

// Pagination: MaxResults (1 to 100, default 100) and NextToken (an opaque
// offset; tokens from another listing are rejected).
struct Page {
  size_t offset = 0;
  size_t limit = 100;
};
Page ReadPage(const ApiRequest& request, const std::string& listing);
// The token for the page after `page` when `total` has more; "" otherwise.
std::string NextToken(const Page& page, size_t total, const std::string& listing);

// Seconds since the epoch, with milliseconds (restJson1 timestamps).
double NowSeconds();
// An ISO 8601 timestamp or epoch seconds, as query strings carry them.
double ParseTimestamp(const std::string& text, const char* what);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_API_REQUEST_H_
