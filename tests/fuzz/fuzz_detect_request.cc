// The DetectAnomalies request path, body plus headers, through the server's
// own request handling (HandleHttpRequest: routing, URI checks, the hosted
// model, Content-Type, decode, detection, the response JSON) without sockets.
// Two models are hosted: version 1 the golden classification model, version 2
// the golden segmentation model (tests/golden/parity). Input: http_text.h.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "native/jobs/file_io.h"
#include "native/server/server.h"
#include "native/server/store.h"
#include "tests/fuzz/http_text.h"
#include "tests/fuzz/service_fixture.h"

namespace {

using namespace anomalens;

void Check(const Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "fuzz_detect_request setup: %s\n", status.message().c_str());
    std::abort();
  }
}

LookoutService& Service() {
  static const std::unique_ptr<LookoutService> service = [] {
    const std::string dir = fuzz::MakeTemporaryDirectory();
    {
      auto store = Store::Open(dir);
      Check(store.status());
      Check((*store)->Exec("INSERT INTO projects VALUES ('fuzz', 'arn:aws:lookoutvision:us-east-1:000000000000:project/fuzz', 0)"));
      const char* models[] = {ANOMALENS_FUZZ_CLASSIFICATION_MODEL, ANOMALENS_FUZZ_SEGMENTATION_MODEL};
      for (int v = 1; v <= 2; ++v) {
        const std::string version = std::to_string(v);
        auto bytes = ReadFile(models[v - 1], size_t{1} << 30);
        Check(bytes.status());
        auto model_dir = (*store)->ModelDirectory("fuzz", version, true);
        Check(model_dir.status());
        Check(WriteFileAtomic(JoinPath(*model_dir, "model.anml"), *bytes));
        const nlohmann::json description = {
            {"ModelVersion", version},
            {"ModelArn", "arn:aws:lookoutvision:us-east-1:000000000000:model/fuzz/" + version},
            {"CreationTimestamp", 0},
            {"Status", "HOSTED"},
            {"StatusMessage", "Model is hosted."},
            {"OutputConfig", {{"S3Location", {{"Bucket", "out"}, {"Prefix", ""}}}}}};
        Check((*store)->Exec("INSERT INTO models VALUES ('fuzz', ?, ?)", {version, description.dump()}));
      }
    }
    return fuzz::OpenService(dir);
  }();
  return *service;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const HttpRequest request = fuzz::ParseHttpText(data, size);
  const ApiResponse response = HandleHttpRequest(Service(), std::nullopt, request, 1767225600);
  if (response.status == 200) {
    // A detection: the body is the core's result JSON.
    const auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (!json.is_object() || !json.contains("DetectAnomalyResult")) __builtin_trap();
  } else if (response.error_type.empty() || response.status >= 500) {
    // Every refusal is one of Lookout's errors, and bad input is never ours.
    std::fprintf(stderr, "status %d %s: %s\n", response.status, response.error_type.c_str(), response.body.c_str());
    __builtin_trap();
  }
  return 0;
}
