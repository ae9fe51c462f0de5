// Limits checked before allocation that no other suite covers: the model
// file's section sizes, on the golden classification model with one size
// field raised past its limit (and the checksum made right again, so that
// the limit, not the CRC, refuses it). docs/limits.md lists every limit.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/base/crc32.h"
#include "core/model/model_file.h"
#include "test_support.h"

namespace anomalens {
namespace {

std::vector<uint8_t> GoldenModel() {
  return testing::ReadFileOrDie(ANOMALENS_GOLDEN_DIR "/parity/classification.anlm");
}

void FixChecksum(std::vector<uint8_t>* bytes) { testing::FixModelChecksum(bytes); }

template <typename T>
void Put(std::vector<uint8_t>* bytes, size_t offset, T value) {
  ASSERT_LE(offset + sizeof(T), bytes->size());
  std::memcpy(bytes->data() + offset, &value, sizeof(T));  // little-endian, as the format
}

template <typename T>
T Get(const std::vector<uint8_t>& bytes, size_t offset) {
  T value{};
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

TEST(ModelFileLimits, MetadataLengthOverTheLimitIsRefusedBeforeReading) {
  std::vector<uint8_t> bytes = GoldenModel();
  ASSERT_TRUE(ParseModelFile(bytes).ok());
  Put<uint32_t>(&bytes, 8, static_cast<uint32_t>(kMaxModelMetadataBytes + 1));
  FixChecksum(&bytes);
  auto parsed = ParseModelFile(bytes);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(parsed.status().message().find("metadata is 16777217 bytes; the limit is 16777216"), std::string::npos)
      << parsed.status().message();
}

TEST(ModelFileLimits, BankRowsOverTheLimitAreRefusedBeforeAllocating) {
  std::vector<uint8_t> bytes = GoldenModel();
  const size_t meta_end = 12 + Get<uint32_t>(bytes, 8);
  const size_t rows_at = (meta_end + 15) / 16 * 16 + 4;  // after the padding and the feature size
  ASSERT_GT(Get<uint64_t>(bytes, rows_at), 0u);
  Put<uint64_t>(&bytes, rows_at, uint64_t{kMaxModelBankRows} + 1);
  FixChecksum(&bytes);
  auto parsed = ParseModelFile(bytes);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(parsed.status().message().find("memory bank has 4194305 rows; the limit is 4194304"), std::string::npos)
      << parsed.status().message();
  // Within the limit but more than the file holds: truncation, still no allocation.
  Put<uint64_t>(&bytes, rows_at, uint64_t{kMaxModelBankRows});
  FixChecksum(&bytes);
  parsed = ParseModelFile(bytes);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("only"), std::string::npos) << parsed.status().message();
}

}  // namespace
}  // namespace anomalens
