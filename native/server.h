// The HTTP side of `anomalens serve`: cpp-httplib with a worker pool, SigV4
// verification, and routing of Lookout for Vision's REST paths to
// LookoutService.
#ifndef ANOMALENS_NATIVE_SERVER_H_
#define ANOMALENS_NATIVE_SERVER_H_

#include <memory>
#include <optional>
#include <string>

#include "native/lookout_service.h"
#include "native/sigv4.h"

namespace anomalens {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  int threads = 8;
  std::optional<Credentials> credentials;  // none: --no-auth
};

// Routes one request (already authenticated) to the service; every failure
// becomes a restJson1 error. `raw_path` and `raw_query` are as sent.
ApiResponse Dispatch(LookoutService& service, const std::string& method, const std::string& raw_path,
                     const std::string& raw_query, const std::map<std::string, std::string>& headers,
                     const std::string& body);

// Serves until SIGINT or SIGTERM. Prints "listening on http://HOST:PORT" to
// stderr once bound. Returns the process exit code.
int Serve(LookoutService& service, const ServerOptions& options);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_H_
