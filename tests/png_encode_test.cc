// EncodePng: well-formed PNGs that decode back to the same samples, and
// output bytes that are pinned, since they must match across native and wasm.
#include "core/image/png_encode.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/base/crc32.h"
#include "core/image/image_decode.h"

// Declarations only: core/image/image_decode.cc holds stb_image's implementation.
// Used here because DecodeImage always returns RGB, and these tests need to
// see grey and alpha channels as stored.
#define STBI_NO_STDIO
#include "stb_image.h"

namespace anomalens {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr size_t kPinnedRgbSize = 4839;
constexpr uint32_t kPinnedRgbCrc = 3871803629u;
constexpr size_t kPinnedMaskSize = 594;
constexpr uint32_t kPinnedMaskCrc = 30998759u;

Bytes Samples(int width, int height, int channels) {
  Bytes samples(static_cast<size_t>(width) * height * channels);
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i] = static_cast<uint8_t>((i * 31) ^ (i >> 5));
  }
  return samples;
}

uint32_t ReadBe32(const Bytes& bytes, size_t offset) {
  return (uint32_t{bytes[offset]} << 24) | (uint32_t{bytes[offset + 1]} << 16) | (uint32_t{bytes[offset + 2]} << 8) |
         uint32_t{bytes[offset + 3]};
}

// Walks the chunks, checking each CRC; returns the chunk types in order.
std::vector<std::string> ChunkTypes(const Bytes& png) {
  std::vector<std::string> types;
  size_t offset = 8;
  while (offset + 12 <= png.size()) {
    const uint32_t length = ReadBe32(png, offset);
    if (offset + 12 + length > png.size()) {
      ADD_FAILURE() << "chunk overruns the file at " << offset;
      break;
    }
    types.emplace_back(reinterpret_cast<const char*>(&png[offset + 4]), 4);
    EXPECT_EQ(ReadBe32(png, offset + 8 + length), Crc32(&png[offset + 4], 4 + length)) << "bad CRC in " << types.back();
    offset += 12 + length;
  }
  EXPECT_EQ(offset, png.size()) << "trailing bytes";
  return types;
}

// Decodes with stb as stored (no channel conversion).
Bytes DecodeAsStored(const Bytes& png, int* width, int* height, int* channels) {
  stbi_uc* pixels = stbi_load_from_memory(png.data(), static_cast<int>(png.size()), width, height, channels, 0);
  if (pixels == nullptr) return {};
  Bytes out(pixels, pixels + static_cast<size_t>(*width) * *height * *channels);
  stbi_image_free(pixels);
  return out;
}

TEST(PngEncode, EncodePng_writes_a_well_formed_png) {
  const Bytes samples = Samples(67, 45, 3);
  const Bytes png = EncodePng(samples.data(), 67, 45, 3);
  ASSERT_GT(png.size(), 33u);
  const Bytes signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  EXPECT_TRUE(std::equal(signature.begin(), signature.end(), png.begin()));
  const std::vector<std::string> types = ChunkTypes(png);
  ASSERT_GE(types.size(), 3u);
  EXPECT_EQ(types.front(), "IHDR");
  EXPECT_EQ(types.back(), "IEND");
  EXPECT_EQ(ReadBe32(png, 16), 67u);  // IHDR width
  EXPECT_EQ(ReadBe32(png, 20), 45u);  // IHDR height
  EXPECT_EQ(png[24], 8);              // bit depth
  EXPECT_EQ(png[25], 2);              // colour type RGB
}

TEST(PngEncode, EncodePng_round_trips_rgb) {
  const Bytes samples = Samples(80, 64, 3);
  const Bytes png = EncodePng(samples.data(), 80, 64, 3);
  const auto image = DecodeImage(png, "image/png");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->width, 80);
  EXPECT_EQ(image->height, 64);
  EXPECT_EQ(image->pixels, samples);
}

TEST(PngEncode, EncodePng_round_trips_every_channel_count) {
  const struct {
    int channels;
    uint8_t colour_type;
  } kCases[] = {{1, 0}, {3, 2}, {4, 6}};
  for (const auto& c : kCases) {
    const Bytes samples = Samples(33, 17, c.channels);
    const Bytes png = EncodePng(samples.data(), 33, 17, c.channels);
    ASSERT_FALSE(png.empty()) << c.channels;
    EXPECT_EQ(png[25], c.colour_type) << c.channels;
    int width = 0;
    int height = 0;
    int channels = 0;
    EXPECT_EQ(DecodeAsStored(png, &width, &height, &channels), samples) << c.channels;
    EXPECT_EQ(width, 33);
    EXPECT_EQ(height, 17);
    EXPECT_EQ(channels, c.channels);
  }
}

TEST(PngEncode, EncodePng_is_deterministic) {
  const Bytes samples = Samples(64, 48, 4);
  EXPECT_EQ(EncodePng(samples.data(), 64, 48, 4), EncodePng(samples.data(), 64, 48, 4));
}

// Pins the exact bytes. If this fails after an stb upgrade or a settings
// change, anomaly masks will no longer match byte for byte across builds:
// update the constants only on purpose, for all platforms at once.
TEST(PngEncode, EncodePng_output_is_pinned) {
  const Bytes rgb = Samples(67, 45, 3);
  const Bytes rgb_png = EncodePng(rgb.data(), 67, 45, 3);
  EXPECT_EQ(rgb_png.size(), kPinnedRgbSize);
  EXPECT_EQ(Crc32(rgb_png.data(), rgb_png.size()), kPinnedRgbCrc);

  // A mask-like grey image: mostly flat, one blob.
  Bytes mask(224 * 224, 0);
  for (int y = 60; y < 120; ++y) {
    for (int x = 90; x < 170; ++x) mask[y * 224 + x] = 255;
  }
  const Bytes mask_png = EncodePng(mask.data(), 224, 224, 1);
  EXPECT_EQ(mask_png.size(), kPinnedMaskSize);
  EXPECT_EQ(Crc32(mask_png.data(), mask_png.size()), kPinnedMaskCrc);
}

TEST(PngEncode, EncodePng_rejects_invalid_arguments) {
  const Bytes samples = Samples(8, 8, 4);
  EXPECT_TRUE(EncodePng(nullptr, 8, 8, 3).empty());
  EXPECT_TRUE(EncodePng(samples.data(), 0, 8, 3).empty());
  EXPECT_TRUE(EncodePng(samples.data(), 8, 0, 3).empty());
  EXPECT_TRUE(EncodePng(samples.data(), -1, 8, 3).empty());
  for (int channels : {-1, 0, 2, 5}) {
    EXPECT_TRUE(EncodePng(samples.data(), 8, 8, channels).empty()) << channels;
  }
  // Row or image sizes that overflow stb's int arithmetic.
  EXPECT_TRUE(EncodePng(samples.data(), 1 << 30, 8, 3).empty());
  EXPECT_TRUE(EncodePng(samples.data(), 1 << 16, 1 << 16, 3).empty());
}

}  // namespace
}  // namespace anomalens
