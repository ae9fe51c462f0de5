#include "native/server/api_request.h"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <map>
#include <mutex>
#include <regex>

#include "core/base/base64.h"
#include "native/server/lookout_errors.h"

namespace anomalens {

std::string ApiRequest::Header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::string ApiRequest::Query(const std::string& name) const {
  const auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

Json ApiRequest::JsonBody() const {
  if (body.empty()) return Json::object();
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw ApiError::Validation("the request body is not a JSON object");
  return j;
}

// Each constraint pattern compiled once a process, under a lock. Compiling
// one a call cost every request its patterns' compilation, and two threads
// compiling at once race in libstdc++'s lazily filled ctype<char>::narrow
// cache (ThreadSanitizer caught it when a fresh server's first requests came
// in together). Matching a compiled regex is const and needs no lock; the
// map's nodes never move, so a reference stays valid.
static const std::regex& CompiledPattern(const char* pattern) {
  static std::mutex mutex;
  static std::map<std::string, std::regex> compiled;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = compiled.find(pattern);
  if (it == compiled.end()) it = compiled.emplace(pattern, std::regex(pattern)).first;
  return it->second;
}

ApiResponse JsonResponse(const Json& json, int status) {
  ApiResponse r;
  r.status = status;
  r.body = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

const std::string& CheckString(const std::string& value, const char* what, size_t min, size_t max,
                               const char* pattern) {
  if (value.size() < min || value.size() > max) {
    throw ApiError::Validation(std::string("1 validation error detected: Value '") + value + "' at '" + what +
                               "' failed to satisfy constraint: Member must have length between " +
                               std::to_string(min) + " and " + std::to_string(max));
  }
  if (pattern && !std::regex_match(value, CompiledPattern(pattern))) {
    throw ApiError::Validation(std::string("1 validation error detected: Value '") + value + "' at '" + what +
                               "' failed to satisfy constraint: Member must satisfy regular expression pattern: " +
                               pattern);
  }
  return value;
}

const std::string& CheckProjectName(const std::string& name) {
  return CheckString(name, "projectName", 1, 255, "[a-zA-Z0-9][a-zA-Z0-9_\\-]*");
}
const std::string& CheckDatasetType(const std::string& type) {
  return CheckString(type, "datasetType", 1, 10, "train|test");
}
const std::string& CheckModelVersion(const std::string& version) {
  return CheckString(version, "modelVersion", 1, 10, "([1-9][0-9]*|latest)");
}

std::string ClientToken(const ApiRequest& request) {
  const std::string token = request.Header("x-amzn-client-token");
  if (!token.empty()) CheckString(token, "clientToken", 1, 64, "^[a-zA-Z0-9-]+$");
  return token;
}

std::string OptionalString(const Json& body, const char* field, const std::string& fallback) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw ApiError::Validation(std::string(field) + " must be a string");
  return it->get<std::string>();
}

const Json& RequiredObject(const Json& body, const char* field) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null()) throw ApiError::Validation(std::string(field) + " is required");
  if (!it->is_object()) throw ApiError::Validation(std::string(field) + " must be an object");
  return *it;
}

std::string RequiredString(const Json& body, const char* field) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null()) throw ApiError::Validation(std::string(field) + " is required");
  if (!it->is_string()) throw ApiError::Validation(std::string(field) + " must be a string");
  return it->get<std::string>();
}

namespace {

std::string TokenText(size_t offset, const std::string& listing) { return listing + ":" + std::to_string(offset); }

// A pagination token's text; empty when it is not base64.
std::string DecodeBase64(const std::string& text) {
  std::string out;
  return Base64Decode(text, &out) ? out : std::string();
}

}  // namespace

Page ReadPage(const ApiRequest& request, const std::string& listing) {
  Page page;
  if (request.HasQuery("maxResults")) {
    const std::string text = request.Query("maxResults");
    char* end = nullptr;
    const long v = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || v < 1 || v > 100) {
      throw ApiError::Validation("1 validation error detected: Value '" + text +
                                 "' at 'maxResults' failed to satisfy constraint: Member must have value between 1 "
                                 "and 100");
    }
    page.limit = static_cast<size_t>(v);
  }
  const std::string token = request.Query("nextToken");
  if (!token.empty()) {
    const std::string text = DecodeBase64(token);
    const std::string prefix = listing + ":";
    if (text.compare(0, prefix.size(), prefix) != 0) throw ApiError::Validation("invalid NextToken");
    char* end = nullptr;
    const long long v = std::strtoll(text.c_str() + prefix.size(), &end, 10);
    if (*end != '\0' || v < 0) throw ApiError::Validation("invalid NextToken");
    page.offset = static_cast<size_t>(v);
  }
  return page;
}

std::string NextToken(const Page& page, size_t total, const std::string& listing) {
  if (page.offset + page.limit >= total) return "";
  const std::string text = TokenText(page.offset + page.limit, listing);
  return Base64Encode(std::vector<uint8_t>(text.begin(), text.end()));
}

double NowSeconds() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) / 1000.0;
}

double ParseTimestamp(const std::string& text, const char* what) {
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (!text.empty() && *end == '\0') return seconds;
  std::tm tm{};
  int year, month, day, hour = 0, minute = 0;
  double second = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%lf", &year, &month, &day, &hour, &minute, &second) < 3) {
    throw ApiError::Validation(std::string(what) + ": '" + text + "' is not an ISO 8601 timestamp");
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  const double whole = static_cast<double>(timegm(&tm));
  return whole + second;  // a zone other than Z/UTC is not supported
}

}  // namespace anomalens
