// Model-file loading: model files are copied between machines. The file's
// last four bytes are a CRC-32 of the rest; the target rewrites it so that
// mutations reach the section parsers instead of stopping at the checksum
// (the checksum check itself is tests/model_file_test.cc's).
// Whatever parses must serialize and parse again.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/base/crc32.h"
#include "core/model/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace anomalens;
  std::vector<uint8_t> bytes(data, data + size);
  if (bytes.size() >= 8) {
    const uint32_t crc = Crc32(bytes.data(), bytes.size() - 4);
    for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
  }
  auto model = ParseModelFile(bytes);
  if (!model.ok()) return 0;
  const std::vector<uint8_t> again = SerializeModel(*model);
  if (!ParseModelFile(again).ok()) __builtin_trap();
  return 0;
}
