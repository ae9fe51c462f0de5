#include "native/server/access_log.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <memory>

#include <nlohmann/json.hpp>

#include "native/server/api_request.h"

namespace anomalens {
namespace {

std::string IsoTime(double unix_seconds) {
  const long long total_millis = std::llround(unix_seconds * 1000);
  const std::time_t whole = static_cast<std::time_t>(total_millis / 1000);
  const int millis = static_cast<int>(total_millis % 1000);
  std::tm utc{};
  gmtime_r(&whole, &utc);
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return text;
}

}  // namespace

std::string AccessLogLine(const AccessRecord& r, double unix_seconds) {
  const Json line = {{"time", IsoTime(unix_seconds)},
                     {"request_id", r.request_id},
                     {"remote_addr", r.remote_addr},
                     {"method", r.method},
                     {"path", r.path},
                     {"operation", r.operation},
                     {"status", r.status},
                     {"error_type", r.error_type},
                     {"bytes_in", r.bytes_in},
                     {"bytes_out", r.bytes_out},
                     {"duration_ms", std::round(r.duration_seconds * 1e4) / 10}};
  // Paths are the client's bytes: invalid UTF-8 is replaced, never thrown on.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& path) {
  if (path.empty() || path == "-") return std::unique_ptr<AccessLog>(new AccessLog(stderr, false));
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (!file) return InvalidInput("cannot open the access log " + path + ": " + std::strerror(errno));
  return std::unique_ptr<AccessLog>(new AccessLog(file, true));
}

AccessLog::~AccessLog() {
  if (owned_) std::fclose(file_);
}

void AccessLog::Write(const AccessRecord& record) {
  const std::string line = AccessLogLine(record, NowSeconds()) + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

}  // namespace anomalens
