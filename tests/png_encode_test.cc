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

// --- EncodeIndexedPng: palette PNGs (the AnomalyMask's encoding).

// Indices cycling through `colours` with an irregular pattern.
Bytes Indices(int width, int height, int colours) {
  Bytes indices(static_cast<size_t>(width) * height);
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<uint8_t>(((i * 7) ^ (i >> 3)) % colours);
  return indices;
}

std::vector<uint32_t> Palette(int colours) {
  std::vector<uint32_t> palette;
  for (int k = 0; k < colours; ++k) palette.push_back(0xFFFFFFu - static_cast<uint32_t>(k) * 0x0A1B2Cu);
  return palette;
}

// Decoded by stb (expanding the palette to RGB), every pixel is its index's
// colour; for every bit depth (1, 2, 4, 8) and widths that leave a partial
// byte at each row's end.
TEST(PngEncode, EncodeIndexedPng_round_trips_through_stb_at_every_bit_depth) {
  for (int colours : {1, 2, 3, 4, 5, 16, 17, 256}) {
    for (int width : {1, 7, 13, 64}) {
      SCOPED_TRACE(std::to_string(colours) + " colours, width " + std::to_string(width));
      const int height = 9;
      const Bytes indices = Indices(width, height, colours);
      const std::vector<uint32_t> palette = Palette(colours);
      const Bytes png = EncodeIndexedPng(indices.data(), width, height, palette);
      ASSERT_FALSE(png.empty());
      EXPECT_EQ(ChunkTypes(png), (std::vector<std::string>{"IHDR", "PLTE", "IDAT", "IEND"}));
      const int depth = colours <= 2 ? 1 : colours <= 4 ? 2 : colours <= 16 ? 4 : 8;
      EXPECT_EQ(png[24], depth);  // IHDR bit depth
      EXPECT_EQ(png[25], 3);      // colour type 3: indexed
      int w = 0, h = 0, n = 0;
      stbi_uc* rgb = stbi_load_from_memory(png.data(), static_cast<int>(png.size()), &w, &h, &n, 3);
      ASSERT_NE(rgb, nullptr) << stbi_failure_reason();
      EXPECT_EQ(w, width);
      EXPECT_EQ(h, height);
      size_t wrong = 0;
      for (size_t i = 0; i < indices.size(); ++i) {
        const uint32_t c = palette[indices[i]];
        wrong += rgb[i * 3] != uint8_t(c >> 16) || rgb[i * 3 + 1] != uint8_t(c >> 8) || rgb[i * 3 + 2] != uint8_t(c);
      }
      stbi_image_free(rgb);
      EXPECT_EQ(wrong, 0u);
    }
  }
}

TEST(PngEncode, EncodeIndexedPng_is_smaller_than_rgb_for_a_few_colours) {
  // A mask-like image: background and two blobs.
  Bytes indices(224 * 224, 0);
  for (int y = 60; y < 120; ++y)
    for (int x = 90; x < 170; ++x) indices[y * 224 + x] = 1 + (x > 130);
  const std::vector<uint32_t> palette = {0xFFFFFF, 0x23A436, 0x3366CC};
  Bytes rgb;
  for (uint8_t k : indices) rgb.insert(rgb.end(), {uint8_t(palette[k] >> 16), uint8_t(palette[k] >> 8), uint8_t(palette[k])});
  const Bytes indexed = EncodeIndexedPng(indices.data(), 224, 224, palette);
  const Bytes full = EncodePng(rgb.data(), 224, 224, 3);
  ASSERT_FALSE(indexed.empty());
  EXPECT_LT(indexed.size(), full.size());
  EXPECT_EQ(indexed, EncodeIndexedPng(indices.data(), 224, 224, palette)) << "deterministic";
}

TEST(PngEncode, EncodeIndexedPng_rejects_invalid_arguments) {
  const Bytes indices = Indices(8, 8, 3);
  const std::vector<uint32_t> palette = Palette(3);
  EXPECT_TRUE(EncodeIndexedPng(nullptr, 8, 8, palette).empty());
  EXPECT_TRUE(EncodeIndexedPng(indices.data(), 0, 8, palette).empty());
  EXPECT_TRUE(EncodeIndexedPng(indices.data(), 8, -1, palette).empty());
  EXPECT_TRUE(EncodeIndexedPng(indices.data(), 8, 8, {}).empty());
  EXPECT_TRUE(EncodeIndexedPng(indices.data(), 8, 8, std::vector<uint32_t>(257, 0)).empty());
  EXPECT_TRUE(EncodeIndexedPng(indices.data(), 8, 8, Palette(2)).empty()) << "index 2 is past a 2-colour palette";
}

}  // namespace
}  // namespace anomalens
