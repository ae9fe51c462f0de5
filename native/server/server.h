// The HTTP side of `anomalens serve`: cpp-httplib with a worker pool, SigV4
// verification, and routing of Lookout for Vision's REST paths to
// LookoutService.
#ifndef ANOMALENS_NATIVE_SERVER_SERVER_H_
#define ANOMALENS_NATIVE_SERVER_SERVER_H_

#include <memory>
#include <optional>
#include <ctime>
#include <map>
#include <string>

#include "native/server/lookout_service.h"
#include "native/server/sigv4.h"

namespace anomalens {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  int threads = 8;
  std::optional<Credentials> credentials;  // none: --no-auth
  // Requests a second over all clients; more get ThrottlingException (429).
  // 0: no limit. (rate_limiter.h)
  double max_requests_per_second = 0;
};

// The server's limits on one request; docs/limits.md lists them all.
// Lookout's largest request is UpdateDatasetEntries: 10 MiB of changes,
// base64 in JSON. DetectAnomalies' 8 MB image limit is the core's.
constexpr size_t kMaxRequestBytes = 16u << 20;
// AWS clients send about ten headers.
constexpr size_t kMaxRequestHeaders = 100;

// One HTTP request as the server received it, before any interpretation.
struct HttpRequest {
  std::string method;
  std::string target;  // path and query as sent ("/2020-11-20/projects?maxResults=5")
  std::map<std::string, std::string> headers;  // lowercase names; repeats joined by ','
  std::string body;
};

// Everything the server does with a request after httplib has read it: the
// header count limit, SigV4 verification (when `credentials` is set, against `now`), then
// Dispatch. No sockets, so the fuzz targets and tests drive it directly.
ApiResponse HandleHttpRequest(LookoutService& service, const std::optional<Credentials>& credentials,
                              const HttpRequest& request, std::time_t now);

// Routes one request (already authenticated) to the service; every failure
// becomes a restJson1 error. `raw_path` and `raw_query` are as sent.
ApiResponse Dispatch(LookoutService& service, const std::string& method, const std::string& raw_path,
                     const std::string& raw_query, const std::map<std::string, std::string>& headers,
                     const std::string& body);

// Serves until SIGINT or SIGTERM. Prints "listening on http://HOST:PORT" to
// stderr once bound. Returns the process exit code.
int Serve(LookoutService& service, const ServerOptions& options);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_SERVER_H_
