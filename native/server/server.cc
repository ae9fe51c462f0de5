#include "native/server/server.h"

#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "native/server/access_log.h"
#include "native/server/lookout_errors.h"
#include "native/server/rate_limiter.h"
#include "native/server/service_metrics.h"
#include "native/server/service_model.h"

namespace anomalens {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(const std::string& s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> Segments(const std::string& raw_path) {
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= raw_path.size()) {
    const size_t slash = raw_path.find('/', start);
    const size_t end = slash == std::string::npos ? raw_path.size() : slash;
    parts.push_back(Decode(raw_path.substr(start, end - start), false));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (!parts.empty() && parts.back().empty()) parts.pop_back();
  return parts;
}

using Handler = ApiResponse (LookoutService::*)(const ApiRequest&);

// The handler of each operation of the service model (service_model.h),
// which routes requests and describes them to SDKs.
const std::map<std::string, Handler>& Handlers() {
  using S = LookoutService;
  static const std::map<std::string, Handler> handlers = {
      {"CreateProject", &S::CreateProject},
      {"DescribeProject", &S::DescribeProject},
      {"ListProjects", &S::ListProjects},
      {"DeleteProject", &S::DeleteProject},
      {"CreateDataset", &S::CreateDataset},
      {"DescribeDataset", &S::DescribeDataset},
      {"ListDatasetEntries", &S::ListDatasetEntries},
      {"UpdateDatasetEntries", &S::UpdateDatasetEntries},
      {"DeleteDataset", &S::DeleteDataset},
      {"CreateModel", &S::CreateModel},
      {"DescribeModel", &S::DescribeModel},
      {"ListModels", &S::ListModels},
      {"StartModel", &S::StartModel},
      {"StopModel", &S::StopModel},
      {"DeleteModel", &S::DeleteModel},
      {"DetectAnomalies", &S::DetectAnomalies},
      {"StartModelPackagingJob", &S::StartModelPackagingJob},
      {"DescribeModelPackagingJob", &S::DescribeModelPackagingJob},
      {"ListModelPackagingJobs", &S::ListModelPackagingJobs},
      {"TagResource", &S::TagResource},
      {"UntagResource", &S::UntagResource},
      {"ListTagsForResource", &S::ListTagsForResource},
  };
  return handlers;
}

ApiResponse ErrorResponse(const ApiError& e) {
  ApiResponse r;
  r.status = e.http_status();
  r.body = e.Body();
  r.error_type = e.type();
  return r;
}

std::map<std::string, std::string> LowercaseHeaders(const httplib::Headers& headers) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto [it, inserted] = out.emplace(lower, value);
    if (!inserted) it->second += "," + value;
  }
  return out;
}

httplib::Server* g_server = nullptr;
std::atomic<bool> g_draining{false};

// A request id per response, in the UUID shape of Lookout's: 64 random bits
// drawn once per process, then a counter. Replicas behind one load balancer
// start in the same second, so the start time (used before) gave them the
// same ids; random bits keep ids unique across replicas and restarts.
std::string NextRequestId() {
  static const unsigned long long process_bits = [] {
    std::random_device device;
    return (static_cast<unsigned long long>(device()) << 32) ^ device();
  }();
  static std::atomic<unsigned long long> counter{0};
  const unsigned long long n = ++counter;
  char id[48];
  std::snprintf(id, sizeof id, "%08llx-%04llx-%04llx-%04llx-%012llx", process_bits >> 32,
                (process_bits >> 16) & 0xffffULL, process_bits & 0xffffULL, (n >> 48) & 0xffffULL,
                n & 0xffffffffffffULL);
  return id;
}

}  // namespace

ApiResponse Dispatch(LookoutService& service, const std::string& method, const std::string& raw_path,
                     const std::string& raw_query, std::map<std::string, std::string> headers, std::string body,
                     std::string* operation_name) {
  ApiRequest request;
  request.method = method;
  request.headers = std::move(headers);
  request.body = std::move(body);
  try {
    if (!raw_query.empty()) {
      size_t start = 0;
      while (start <= raw_query.size()) {
        const size_t amp = raw_query.find('&', start);
        const std::string part = raw_query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        if (!part.empty()) {
          const size_t eq = part.find('=');
          request.query.emplace(Decode(part.substr(0, eq), true),
                                eq == std::string::npos ? "" : Decode(part.substr(eq + 1), true));
        }
        if (amp == std::string::npos) break;
        start = amp + 1;
      }
    }
    const ServiceModel& model = LookoutServiceModel();
    const Operation* operation = MatchOperation(model, method, Segments(raw_path), &request.path);
    if (!operation) {
      return ErrorResponse(ApiError("UnknownOperationException", 404, "no Lookout for Vision operation is " + method +
                                                                           " " + raw_path));
    }
    // URI parameters are checked against their shapes before anything is
    // looked up, as AWS did.
    for (const ShapeMember& member : model.GetShape(operation->input).members) {
      if (member.location != "uri") continue;
      CheckAgainstShape(model.GetShape(member.shape), request.path[member.location_name], member.location_name);
    }
    if (operation_name) *operation_name = operation->name;
    const Handler handler = Handlers().at(operation->name);
    if (TakesClientToken(model, *operation)) return service.Idempotent(operation->name, request, handler);
    return (service.*handler)(request);
  } catch (const ApiError& e) {
    return ErrorResponse(e);
  } catch (const std::exception& e) {
    return ErrorResponse(ApiError::Internal(std::string("internal error: ") + e.what()));
  }
}

ApiResponse HandleHttpRequest(LookoutService& service, const std::optional<Credentials>& credentials,
                              HttpRequest request, std::time_t now, std::string* operation) {
  const size_t q = request.target.find('?');
  const std::string raw_path = request.target.substr(0, q);
  const std::string raw_query = q == std::string::npos ? "" : request.target.substr(q + 1);
  if (request.headers.size() > kMaxRequestHeaders) {
    return ErrorResponse(ApiError::Validation("the request has " + std::to_string(request.headers.size()) +
                                              " headers; the limit is " + std::to_string(kMaxRequestHeaders)));
  }
  if (credentials) {
    // The headers and body move in for the check and back out after it.
    SigV4Request signed_request{request.method, raw_path, raw_query, std::move(request.headers),
                                std::move(request.body)};
    const Status verified = VerifySigV4(signed_request, *credentials, now);
    if (!verified.ok()) return ErrorResponse(ApiError::AccessDenied(verified.message()));
    request.headers = std::move(signed_request.headers);
    request.body = std::move(signed_request.body);
  }
  return Dispatch(service, request.method, raw_path, raw_query, std::move(request.headers), std::move(request.body),
                  operation);
}

int Serve(LookoutService& service, const ServerOptions& options) {
  httplib::Server server;
  const int threads = options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  server.set_payload_max_length(kMaxRequestBytes);
  // A response goes out as two writes (headers, body): without TCP_NODELAY,
  // Nagle holds the second until the client's delayed ACK, 40 ms later, on
  // every kept-alive request (bench/store-overhead measured it).
  server.set_tcp_nodelay(true);
  const std::optional<Credentials> credentials = options.credentials;
  RateLimiter limiter(options.max_requests_per_second);
  std::unique_ptr<AccessLog> access_log;
  if (options.access_log != "none") {
    auto opened = AccessLog::Open(options.access_log);
    if (!opened.ok()) {
      std::fprintf(stderr, "anomalens serve: %s\n", opened.status().message().c_str());
      return 1;
    }
    access_log = std::move(opened).value();
  }
  Metrics& metrics = service.metrics();
  metrics.Declare(kMetricHttpRequests, MetricType::kCounter, "Requests answered, by operation and HTTP status");
  metrics.Declare(kMetricHttpDuration, MetricType::kHistogram,
                  "Time from a request's last byte read to its response, in seconds, by operation");
  metrics.Declare(kMetricInFlight, MetricType::kGauge, "Requests being handled");

  // Every response: its request id, the access log line and the request metrics.
  auto finish = [&metrics, &access_log](const httplib::Request& req, httplib::Response& res, const std::string& operation,
                                        const std::string& error_type, double start) {
    const std::string request_id = NextRequestId();
    res.set_header("x-amzn-RequestId", request_id);
    const double elapsed = MonotonicSeconds() - start;
    const std::string op = operation.empty() ? "Unknown" : operation;
    metrics.Add(kMetricHttpRequests, {{"operation", op}, {"code", std::to_string(res.status)}});
    metrics.Observe(kMetricHttpDuration, {{"operation", op}}, elapsed);
    if (access_log) {
      AccessRecord record;
      record.request_id = request_id;
      record.remote_addr = req.remote_addr;
      record.method = req.method;
      record.path = req.path;
      record.operation = operation;
      record.status = res.status;
      record.error_type = error_type;
      record.bytes_in = req.body.size();
      record.bytes_out = res.body.size();
      record.duration_seconds = elapsed;
      access_log->Write(record);
    }
  };

  auto handle = [&service, &limiter, &metrics, &finish, credentials](const httplib::Request& req,
                                                                       httplib::Response& res) {
    const double start = MonotonicSeconds();
    metrics.Add(kMetricInFlight, {}, 1);
    ApiResponse response;
    std::string operation;
    if (!limiter.Allow(MonotonicSeconds())) {
      // Checked after httplib has read the body, so a kept-alive connection
      // stays in step; the body is bounded by kMaxRequestBytes.
      char rate[32];
      std::snprintf(rate, sizeof rate, "%g", limiter.per_second());
      response = ErrorResponse(ApiError::Throttling(std::string("Rate exceeded: the server allows ") + rate +
                                                    " requests a second (--max-requests-per-second); retry later"));
    } else {
      HttpRequest request{req.method, req.target.empty() ? req.path : req.target, LowercaseHeaders(req.headers),
                          req.body};
      response = HandleHttpRequest(service, credentials, std::move(request), std::time(nullptr), &operation);
    }
    res.status = response.status;
    res.set_content(response.body, response.content_type.c_str());
    // botocore reads the error's name from this header (restJson1).
    if (!response.error_type.empty()) res.set_header("x-amzn-ErrorType", response.error_type);
    metrics.Add(kMetricInFlight, {}, -1);
    finish(req, res, operation, response.error_type, start);
  };

  // The operators' endpoints: before the catch-all, outside the rate limit
  // and authentication, and answered without touching Lookout's routes.
  server.Get(kHealthPath, [&finish](const httplib::Request& req, httplib::Response& res) {
    const double start = MonotonicSeconds();
    res.set_content("{\"status\":\"alive\"}", "application/json");
    finish(req, res, "healthz", "", start);
  });
  server.Get(kReadyPath, [&service, &finish](const httplib::Request& req, httplib::Response& res) {
    const double start = MonotonicSeconds();
    const Status ready = g_draining ? Internal("draining: the server is shutting down") : service.Readiness();
    Json body = {{"ready", ready.ok()}};
    if (!ready.ok()) body["reason"] = ready.message();
    res.status = ready.ok() ? 200 : 503;
    res.set_content(body.dump(), "application/json");
    finish(req, res, "readyz", "", start);
  });
  server.Get(kMetricsPath, [&service, &metrics, &finish](const httplib::Request& req, httplib::Response& res) {
    const double start = MonotonicSeconds();
    service.UpdateGauges();
    res.set_content(metrics.Exposition(), "text/plain; version=0.0.4; charset=utf-8");
    finish(req, res, "metrics", "", start);
  });
  for (const char* pattern : {".*"}) {
    server.Get(pattern, handle);
    server.Post(pattern, handle);
    server.Delete(pattern, handle);
    server.Patch(pattern, handle);
    server.Put(pattern, handle);
  }
  // httplib's own refusals (a body over the cap: 413) in Lookout's form.
  // Responses from the handlers above already carry their request id.
  server.set_error_handler([&finish](const httplib::Request& req, httplib::Response& res) {
    if (res.has_header("x-amzn-RequestId")) return;
    const ApiError error = res.status == 413
                               ? ApiError::Validation("the request body is larger than the server's limit of " +
                                                      std::to_string(kMaxRequestBytes) + " bytes")
                               : ApiError("UnknownOperationException", res.status, "HTTP " + std::to_string(res.status));
    res.status = error.http_status();
    res.set_header("x-amzn-ErrorType", error.type());
    res.set_content(error.Body(), "application/json");
    finish(req, res, "", error.type(), MonotonicSeconds());
  });
  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host.c_str());
    if (port < 0) {
      std::fprintf(stderr, "anomalens serve: cannot bind %s\n", options.host.c_str());
      return 1;
    }
  } else if (!server.bind_to_port(options.host.c_str(), port)) {
    std::fprintf(stderr, "anomalens serve: cannot listen on %s:%d\n", options.host.c_str(), port);
    return 1;
  }
  // SIGINT / SIGTERM stop the server from a thread that waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  g_server = &server;
  g_draining = false;
  const double drain_seconds = options.drain_seconds;
  std::thread waiter([signals, drain_seconds] {
    int received = 0;
    sigwait(&signals, &received);
    // The drain: /readyz fails at once; after drain_seconds the listening
    // socket closes, and httplib's pool finishes the requests in flight
    // before listen returns (a kept-alive connection ends after its current
    // request).
    g_draining = true;
    std::fprintf(stderr, "anomalens serve: %s: draining%s\n", received == SIGTERM ? "SIGTERM" : "SIGINT",
                 drain_seconds > 0 ? " (readyz answers 503 first)" : "");
    std::fflush(stderr);
    if (drain_seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(drain_seconds));
    if (g_server) g_server->stop();
  });
  waiter.detach();
  std::fprintf(stderr, "anomalens serve: listening on http://%s:%d\n", options.host.c_str(), port);
  std::fflush(stderr);
  const bool ok = server.listen_after_bind();
  g_server = nullptr;
  return ok ? 0 : 1;
}

}  // namespace anomalens
