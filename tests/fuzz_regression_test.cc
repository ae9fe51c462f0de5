// Inputs that crashed a fuzz target (tests/fuzz), replayed as the target
// feeds them. Each crash was undefined behaviour that the sanitizers stop on
// (inside Debian's stb_image 2.27, or our model-file reader); the ASan+UBSan
// build of this suite (tools/test-sanitizers) fails on any of them again, and
// every build checks the answer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/base/crc32.h"
#include "core/image/image_decode.h"
#include "core/lookout/class_mask.h"
#include "core/model/model_file.h"
#include "test_support.h"

namespace anomalens {
namespace {

std::vector<uint8_t> Regression(const std::string& name) {
  return testing::ReadFileOrDie(ANOMALENS_SOURCE_DIR "/tests/fuzz/regressions/" + name);
}

// fuzz_image_decode: a JPEG whose coefficients overflow int in stb's IDCT
// (signed overflow; fixed by compiling image_decode.cc with -fwrapv). A later
// block of the scan is corrupt, so the answer is a clear error.
TEST(FuzzRegressions, JpegWhoseIdctOverflowsIntIsACorruptImageWithoutUndefinedBehaviour) {
  const std::vector<uint8_t> input = Regression("jpeg-idct-overflow");
  ASSERT_EQ(input[0], 2);  // the target's content-type byte: "" (sniff)
  const ByteSpan jpeg(input.data() + 1, input.size() - 1);
  for (const char* type : {"", "image/jpeg"}) {
    auto image = DecodeImage(jpeg, type);
    ASSERT_FALSE(image.ok());
    EXPECT_EQ(image.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(image.status().message().find("corrupt or truncated JPEG"), std::string::npos)
        << image.status().message();
  }
}

// fuzz_image_decode: a corrupt JPEG whose scan a marker cuts short, so stb
// consumes bits it never loaded and then shifts by 32 or more (UBSan's
// shift-exponent check is off for stb's functions; see image_decode.cc). The
// answer is a clear error.
TEST(FuzzRegressions, JpegScanCutShortIsACorruptImage) {
  const std::vector<uint8_t> input = Regression("jpeg-scan-cut-short");
  ASSERT_EQ(input[0], 1);  // the target's content-type byte: image/jpeg
  auto image = DecodeImage(ByteSpan(input.data() + 1, input.size() - 1), "image/jpeg");
  if (image.ok()) {
    EXPECT_EQ(image->pixels.size(), static_cast<size_t>(image->width) * image->height * 3);
  } else {
    EXPECT_EQ(image.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(image.status().message().find("corrupt or truncated JPEG"), std::string::npos)
        << image.status().message();
  }
}

// fuzz_class_mask: a PNG mask whose first IDAT chunk is empty, which made
// stb memcpy zero bytes to a null buffer (fixed by StbMemcpy in
// image_decode.cc). The mask has no image data: a clear error, no crash.
TEST(FuzzRegressions, PngWithAnEmptyFirstIdatChunkIsACorruptImage) {
  const std::vector<uint8_t> input = Regression("png-empty-first-idat.mask");
  size_t newline = 0;
  while (newline < input.size() && input[newline] != '\n') ++newline;
  ASSERT_LT(newline, input.size());
  const ByteSpan png(input.data() + newline + 1, input.size() - newline - 1);
  auto mask = DecodeImageRgba(png, "");
  ASSERT_FALSE(mask.ok());
  EXPECT_EQ(mask.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(mask.status().message().find("corrupt or truncated PNG"), std::string::npos) << mask.status().message();
  EXPECT_FALSE(DecodeClassMask(png, Size{128, 96}, {}, {}).ok());
}

// fuzz_model_file: a model file whose backbone checksum is -8.03e7. The
// reader cast it to uint32_t, and a double outside the target type's range
// is undefined behaviour; every integer and float field is now range-checked
// before its cast. The answer is a clear error naming the field and range.
TEST(FuzzRegressions, ModelFileWithAnOutOfRangeNumberIsRefusedByName) {
  std::vector<uint8_t> file = Regression("model-file-checksum-out-of-range");
  ASSERT_GE(file.size(), 8u);
  // The target makes the trailing CRC-32 right so mutations reach the parser.
  const uint32_t crc = Crc32(file.data(), file.size() - 4);
  for (int i = 0; i < 4; ++i) file[file.size() - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
  auto model = ParseModelFile(file);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(model.status().message().find("\"checksum\" must be a whole number from 0 to 4294967295"),
            std::string::npos)
      << model.status().message();
}

}  // namespace
}  // namespace anomalens
