#include "test_support.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "core/base/crc32.h"
#include "native/jobs/model_loader.h"

namespace anomalens::testing {

std::vector<uint8_t> ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void FixModelChecksum(std::vector<uint8_t>* bytes) {
  const uint32_t crc = Crc32(bytes->data(), bytes->size() - 4);
  for (int i = 0; i < 4; ++i) (*bytes)[bytes->size() - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));  // little-endian
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

std::vector<PatchGrid> AlignedGrids(int count, int width, int height, int dim, float noise, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n01;
  std::vector<float> pattern(static_cast<size_t>(width) * height * dim);
  for (float& v : pattern) v = 3.0f * n01(rng);
  std::vector<PatchGrid> grids(count);
  for (PatchGrid& g : grids) {
    g.width = width;
    g.height = height;
    g.dim = dim;
    g.data.assign(pattern.begin(), pattern.end());
    for (float& v : g.data) v += noise * n01(rng);
  }
  return grids;
}

}  // namespace anomalens::testing
