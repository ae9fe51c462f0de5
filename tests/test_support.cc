#include "test_support.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

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

}  // namespace anomalens::testing
