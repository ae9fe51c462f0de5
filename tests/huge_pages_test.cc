// The native build's large heap blocks on transparent huge pages
// (native/engine/huge_pages.h): a block of several MiB, once written, is
// backed by huge pages where the kernel offers them, and holds what was
// written.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "native/engine/huge_pages.h"

namespace anomalens {
namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// AnonHugePages (kB) of the mappings of /proc/self/smaps that overlap [begin, end).
long AnonHugeKbOver(std::uintptr_t begin, std::uintptr_t end) {
  std::istringstream smaps(ReadFile("/proc/self/smaps"));
  std::string line;
  bool inside = false;
  long kb = 0;
  while (std::getline(smaps, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find('-')) {
      inside = lo < end && hi > begin;
      continue;
    }
    long value = 0;
    if (inside && std::sscanf(line.c_str(), "AnonHugePages: %ld kB", &value) == 1) kb += value;
  }
  return kb;
}

TEST(HugePages, AWrittenLargeBlockGetsHugePagesAndKeepsItsBytes) {
  UseHugePagesForLargeBlocks();
  if (!HugePagesForLargeBlocksActive()) GTEST_SKIP() << "a sanitizer build keeps its runtime's operator new";
  const std::string setting = ReadFile("/sys/kernel/mm/transparent_hugepage/enabled");
  if (setting.empty() || setting.find("[never]") != std::string::npos)
    GTEST_SKIP() << "this kernel offers no transparent huge pages: '" << setting << "'";
  constexpr std::size_t kBytes = std::size_t{16} << 20;
  std::unique_ptr<uint32_t[]> block(new uint32_t[kBytes / 4]);
  for (std::size_t i = 0; i < kBytes / 4; ++i) block[i] = static_cast<uint32_t>(i * 2654435761u);
  const auto begin = reinterpret_cast<std::uintptr_t>(block.get());
  EXPECT_GT(AnonHugeKbOver(begin, begin + kBytes), 0) << "no huge page behind a written 16 MiB block";
  for (std::size_t i = 0; i < kBytes / 4; ++i) ASSERT_EQ(block[i], static_cast<uint32_t>(i * 2654435761u)) << i;
}

}  // namespace
}  // namespace anomalens
