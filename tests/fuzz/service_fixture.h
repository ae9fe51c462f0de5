// A LookoutService over a fresh data directory for the request fuzz targets:
// on tmpfs (/dev/shm) when there is one, since SQLite's fsyncs would
// otherwise dominate every execution. No buckets are mapped, so no request
// can reach training; the backbone is the converted one built with the
// targets.
#ifndef ANOMALENS_TESTS_FUZZ_SERVICE_FIXTURE_H_
#define ANOMALENS_TESTS_FUZZ_SERVICE_FIXTURE_H_

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "native/jobs/file_io.h"
#include "native/jobs/model_loader.h"
#include "native/server/lookout_service.h"
#include "native/server/store.h"

namespace anomalens::fuzz {

inline std::string MakeTemporaryDirectory() {
  std::string pattern = std::string(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") + "/anomalens-fuzz-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  return pattern;
}

inline std::shared_ptr<const MobileNetV2> FuzzBackbone() {
  static const std::shared_ptr<const MobileNetV2> backbone = [] {
    auto loaded = LoadBackbone(ANOMALENS_DEFAULT_BACKBONE_FILE);
    if (!loaded.ok()) {
      std::fprintf(stderr, "fuzz: cannot load the backbone: %s\n", loaded.status().message().c_str());
      std::abort();
    }
    return *loaded;
  }();
  return backbone;
}

// Creates the service over `dir`, aborting (a harness bug, not a finding) on failure.
inline std::unique_ptr<LookoutService> OpenService(const std::string& dir) {
  auto store = Store::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "fuzz: %s\n", store.status().message().c_str());
    std::abort();
  }
  auto service = LookoutService::Create(std::move(store).value(), BucketMap{}, FuzzBackbone(), ServiceOptions{});
  if (!service.ok()) {
    std::fprintf(stderr, "fuzz: %s\n", service.status().message().c_str());
    std::abort();
  }
  return std::move(service).value();
}

}  // namespace anomalens::fuzz

#endif  // ANOMALENS_TESTS_FUZZ_SERVICE_FIXTURE_H_
