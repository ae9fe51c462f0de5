// Structured access logs: one JSON object a line per request, with the
// request id the response carried as x-amzn-RequestId, so an operator can
// find a client's failed call ("RequestId: ...") in the log of the replica
// that answered it.
//
//   {"time":"2026-12-06T07:01:02.345Z","request_id":"9f2c41d7-...","remote_addr":"127.0.0.1",
//    "method":"POST","path":"/2020-11-20/projects/p/models/1/detect","operation":"DetectAnomalies",
//    "status":200,"error_type":"","bytes_in":48213,"bytes_out":131,"duration_ms":212.4}
#ifndef ANOMALENS_NATIVE_SERVER_ACCESS_LOG_H_
#define ANOMALENS_NATIVE_SERVER_ACCESS_LOG_H_

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "core/base/status.h"

namespace anomalens {

struct AccessRecord {
  std::string request_id;
  std::string remote_addr;
  std::string method;
  std::string path;       // without the query string (it may carry NextToken)
  std::string operation;  // the Lookout operation, "healthz"..., or "" when none matched
  int status = 0;
  std::string error_type;
  size_t bytes_in = 0;
  size_t bytes_out = 0;
  double duration_seconds = 0;
};

class AccessLog {
 public:
  // "" or "-": stderr. Otherwise FILE, opened for appending (logrotate's
  // copytruncate works with it).
  static StatusOr<std::unique_ptr<AccessLog>> Open(const std::string& path);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Writes one line and flushes it, so a crash loses no finished request.
  void Write(const AccessRecord& record);

 private:
  explicit AccessLog(std::FILE* file, bool owned) : file_(file), owned_(owned) {}
  std::mutex mutex_;
  std::FILE* file_;
  bool owned_;
};

// The record as its JSON line, without the newline.
std::string AccessLogLine(const AccessRecord& record, double unix_seconds);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_ACCESS_LOG_H_
