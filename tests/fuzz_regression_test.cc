// Inputs that crashed a fuzz target (tests/fuzz), replayed as the target
// feeds them. Each crash was undefined behaviour inside Debian's stb_image
// 2.27 that the sanitizers stop on; the ASan+UBSan build of this suite
// (tools/test-sanitizers) fails on any of them again, and every build checks
// the decoder's answer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/class_mask.h"
#include "core/image_decode.h"
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

}  // namespace
}  // namespace anomalens
