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
  // Where the JSON access log goes (access_log.h): "-" stderr, "none" off,
  // otherwise a file appended to.
  std::string access_log = "-";
  // On SIGTERM, /readyz answers 503 for this long while requests are still
  // served, so a load balancer's health check takes the server out before it
  // stops listening. 0: stop listening at once.
  double drain_seconds = 0;
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
// `operation`, when given, is set to the operation's name once the request
// is routed (left empty when none matched). Taken by value: the body (an
// image of up to kMaxRequestBytes) moves on to the handler, not copied.
ApiResponse HandleHttpRequest(LookoutService& service, const std::optional<Credentials>& credentials,
                              HttpRequest request, std::time_t now, std::string* operation = nullptr);

// Routes one request (already authenticated) to the service; every failure
// becomes a restJson1 error. `raw_path` and `raw_query` are as sent;
// `headers` and `body` move into the handler's ApiRequest.
ApiResponse Dispatch(LookoutService& service, const std::string& method, const std::string& raw_path,
                     const std::string& raw_query, std::map<std::string, std::string> headers, std::string body,
                     std::string* operation = nullptr);

// The operators' endpoints, outside Lookout's /2020-11-20/ paths and not
// authenticated (a load balancer's health check carries no signature):
//   GET /healthz  200 while the process serves
//   GET /readyz   200 when the store answers and hosted models are loaded;
//                 503 otherwise and while draining
//   GET /metrics  Prometheus' text format (metrics.h, service_metrics.h)
inline constexpr const char* kHealthPath = "/healthz";
inline constexpr const char* kReadyPath = "/readyz";
inline constexpr const char* kMetricsPath = "/metrics";

// Serves until SIGINT or SIGTERM, then drains: /readyz turns 503, after
// drain_seconds the listening socket closes, requests in flight finish and
// Serve returns 0. Prints "listening on http://HOST:PORT" to stderr once
// bound. Returns the process exit code.
int Serve(LookoutService& service, const ServerOptions& options);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_SERVER_H_
