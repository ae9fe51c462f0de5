// JSON request bodies of the server operations: any method, path, query,
// headers and body through HandleHttpRequest (no auth) against one service
// whose state the inputs build up (projects, datasets, tags, tokens). The
// data directory starts afresh every 20,000 inputs so that listings stay
// small. Input: http_text.h.
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "native/server/server.h"
#include "native/jobs/file_io.h"
#include "native/server/store.h"
#include "tests/fuzz/http_text.h"
#include "tests/fuzz/service_fixture.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace anomalens;
  static std::unique_ptr<LookoutService> service;
  static std::string dir;
  static int runs = 0;
  if (!service || ++runs % 20000 == 0) {
    service.reset();
    if (!dir.empty()) (void)RemoveTree(dir);
    dir = fuzz::MakeTemporaryDirectory();
    service = fuzz::OpenService(dir);
  }
  const HttpRequest request = fuzz::ParseHttpText(data, size);
  const ApiResponse response = HandleHttpRequest(*service, std::nullopt, request, 1767225600);
  // Every answer is JSON; every refusal one of Lookout's errors, never ours.
  if (!nlohmann::json::accept(response.body)) __builtin_trap();
  if (response.status >= 300 && (response.error_type.empty() || response.status >= 500)) {
    std::fprintf(stderr, "status %d %s: %s\n", response.status, response.error_type.c_str(), response.body.c_str());
    __builtin_trap();
  }
  return 0;
}
