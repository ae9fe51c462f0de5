// Helpers shared by the GoogleTest suite: file reading and the rule for tests
// that need ../shared (skip with a clear message, but fail under CI=true).
#ifndef ANOMALENS_TESTS_TEST_SUPPORT_H_
#define ANOMALENS_TESTS_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/backbone/mobilenet_v2.h"
#include "core/features/patch_features.h"

#include "test_paths.h"

namespace anomalens::testing {

// Returns the file's bytes; fails the current test if it cannot be read.
std::vector<uint8_t> ReadFileOrDie(const std::string& path);

// Rewrites a model file's trailing checksum after a test edited its bytes.
void FixModelChecksum(std::vector<uint8_t>* bytes);

// True when the shared datasets are beside the repository.
bool SharedDataPresent();

// True when the environment says we run in CI (CI=true).
bool RunningInCi();

std::string SharedPath(const std::string& relative);

// The backbone built with the tests on the core's portable kernels (the
// engine the wasm build runs), loaded once; nullptr (and a failure) if missing.
std::shared_ptr<const Backbone> SharedBackbone();

// `rows` x `dim` standard-normal floats.
std::vector<float> RandomRows(size_t rows, int dim, std::mt19937& rng);

// `count` grids of width x height cells, `dim` features a cell: one pattern
// (3 x standard normal) plus `noise` x standard normal per image, so every
// image "lines up" as a per-position model expects.
std::vector<PatchGrid> AlignedGrids(int count, int width, int height, int dim, float noise, uint32_t seed);

}  // namespace anomalens::testing

// Skips the test when ../shared is absent, or fails it when CI=true, where the
// data must be present.
#define REQUIRE_SHARED_DATA()                                                      \
  do {                                                                             \
    if (!::anomalens::testing::SharedDataPresent()) {                              \
      if (::anomalens::testing::RunningInCi())                                     \
        FAIL() << "CI=true but the shared datasets are missing at " ANOMALENS_SHARED_DIR; \
      GTEST_SKIP() << "shared datasets not found at " ANOMALENS_SHARED_DIR         \
                   << "; place ../shared beside the repository to run this test";  \
    }                                                                              \
  } while (0)

#endif  // ANOMALENS_TESTS_TEST_SUPPORT_H_
