#include "test_support.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "native/backbone_loader.h"

namespace anomalens::testing {

std::vector<uint8_t> ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

bool SharedDataPresent() {
  std::ifstream probe(std::string(ANOMALENS_SHARED_DIR) + "/data/lookout-cookies/SOURCE.md");
  return probe.good();
}

bool RunningInCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::string SharedPath(const std::string& relative) {
  return std::string(ANOMALENS_SHARED_DIR) + "/" + relative;
}

std::shared_ptr<const Backbone> SharedBackbone() {
  static std::shared_ptr<const Backbone> backbone = [] {
    auto loaded = LoadBackbone(ANOMALENS_BACKBONE_FILE);
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    return loaded.ok() ? *loaded : nullptr;
  }();
  return backbone;
}

std::vector<float> RandomRows(size_t rows, int dim, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(rows * dim);
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace anomalens::testing
