// StbZlibCompress against stb_image_write's own stbi_zlib_compress, byte for
// byte: the mask PNG's bytes are pinned (golden files, wasm parity), so the
// faster deflate must make exactly stb's stream on every kind of input.
#include "core/image/zlib_compress.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <random>
#include <vector>

#include "core/image/png_encode.h"
#include "core/segmentation/segmentation_response.h"
#include "thread_splits.h"

// stb's writer, private to this file (the core's png_encode.cc holds the
// library's definition), so the reference is stb's code, not ours.
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include "stb_image_write.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace anomalens {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Stb(const Bytes& data, int quality) {
  int size = 0;
  unsigned char* z =
      stbi_zlib_compress(const_cast<unsigned char*>(data.data()), static_cast<int>(data.size()), &size, quality);
  Bytes out(z, z + size);
  STBIW_FREE(z);
  return out;
}

void ExpectStbBytes(const Bytes& data, int quality = 8) {
  const Bytes ours = StbZlibCompress(data.data(), data.size(), quality);
  const Bytes stb = Stb(data, quality);
  ASSERT_EQ(ours.size(), stb.size()) << data.size() << " bytes, quality " << quality;
  EXPECT_TRUE(ours == stb) << data.size() << " bytes, quality " << quality;
}

// A mask's PNG rows as EncodeIndexedPng lays them out: a filter byte, then
// packed indices; mostly background with a few blobs.
Bytes MaskLikeRows(int width, int height, int depth, uint32_t seed) {
  std::mt19937 rng(seed);
  const int per_byte = 8 / depth;
  const int row_bytes = (width + per_byte - 1) / per_byte;
  Bytes rows(static_cast<size_t>(row_bytes + 1) * height, 0);
  for (int blob = 0; blob < 6; ++blob) {
    const int cx = rng() % width, cy = rng() % height, r = 3 + rng() % 40;
    const uint8_t value = static_cast<uint8_t>(1 + rng() % ((1 << depth) - 1));
    for (int y = std::max(0, cy - r); y < std::min(height, cy + r); ++y)
      for (int x = std::max(0, cx - r); x < std::min(width, cx + r); ++x) {
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) > r * r) continue;
        uint8_t& byte = rows[static_cast<size_t>(row_bytes + 1) * y + 1 + x / per_byte];
        const int shift = 8 - depth * (x % per_byte + 1);
        byte = static_cast<uint8_t>((byte & ~(((1 << depth) - 1) << shift)) | (value << shift));
      }
  }
  return rows;
}

TEST(StbZlibCompress, Matches_stb_on_short_inputs) {
  for (size_t n = 0; n <= 12; ++n) {
    ExpectStbBytes(Bytes(n, 0));
    Bytes counting(n);
    std::iota(counting.begin(), counting.end(), uint8_t{0});  // a loop here trips GCC 12's -Wstringop-overflow at n = 0
    ExpectStbBytes(counting);
  }
}

TEST(StbZlibCompress, Matches_stb_on_random_bytes_stored_when_deflate_does_not_pay) {
  std::mt19937 rng(7);
  for (size_t n : {100u, 5552u, 11104u, 40000u, 70001u}) {
    Bytes data(n);
    for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
    ExpectStbBytes(data);
  }
}

TEST(StbZlibCompress, Matches_stb_on_runs_repeats_and_far_matches) {
  std::mt19937 rng(11);
  // Long zero runs (the 258-byte matches of a background row), a small
  // alphabet (full buckets, halved), a period past the 32 KB window.
  Bytes zeros(200000, 0);
  ExpectStbBytes(zeros);
  Bytes small(90000);
  for (uint8_t& b : small) b = static_cast<uint8_t>(rng() % 3);
  ExpectStbBytes(small);
  Bytes far(120000);
  Bytes block(40000);
  for (uint8_t& b : block) b = static_cast<uint8_t>(rng());
  for (size_t i = 0; i < far.size(); ++i) far[i] = block[i % block.size()];
  ExpectStbBytes(far);
  Bytes text;
  for (int i = 0; i < 3000; ++i) {
    const char* words[] = {"defect ", "cookie ", "crack ", "the ", "mask ", "a "};
    for (const char* c = words[rng() % 6]; *c; ++c) text.push_back(static_cast<uint8_t>(*c));
  }
  for (int quality : {1, 5, 8, 12}) ExpectStbBytes(text, quality);
}

TEST(StbZlibCompress, Matches_stb_on_mask_rows) {
  for (int depth : {1, 2, 4, 8}) {
    for (uint32_t seed = 1; seed <= 3; ++seed) ExpectStbBytes(MaskLikeRows(576, 768, depth, seed));
  }
  ExpectStbBytes(MaskLikeRows(97, 13, 1, 5));
}

TEST(EncodeIndexedPng, Same_bytes_on_any_thread_split) {
  const int width = 301, height = 77;
  Bytes indices(static_cast<size_t>(width) * height, 0);
  std::mt19937 rng(3);
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = (i / 37) % 5 == 0 ? static_cast<uint8_t>(rng() % 3) : 0;
  const std::vector<uint32_t> palette{0xFFFFFF, 0x00FF00, 0xFF0000};
  const Bytes one = EncodeIndexedPng(indices.data(), width, height, palette);
  ASSERT_FALSE(one.empty());
  for (size_t length : {1u, 3u, 10u, 100u}) {
    EXPECT_TRUE(EncodeIndexedPng(indices.data(), width, height, palette, RangesLastToFirst(length)) == one);
  }
  // An index past the palette fails on any split, whichever row holds it.
  indices[static_cast<size_t>(width) * 50 + 7] = 3;
  EXPECT_TRUE(EncodeIndexedPng(indices.data(), width, height, palette).empty());
  EXPECT_TRUE(EncodeIndexedPng(indices.data(), width, height, palette, RangesLastToFirst(3)).empty());
}

TEST(EncodeAnomalyMask, Same_bytes_on_any_thread_split) {
  Segmentation s;
  s.width = 64, s.height = 40;
  s.labels.assign(static_cast<size_t>(s.width) * s.height, 0);
  for (int y = 10; y < 20; ++y)
    for (int x = 5; x < 30; ++x) s.labels[static_cast<size_t>(y) * s.width + x] = static_cast<uint8_t>(1 + (x > 17));
  const std::vector<AnomalyClass> classes{{"crack", 0x00FF00}, {"dent", 0xFF0000}};
  auto one = EncodeAnomalyMask(s, classes);
  auto split = EncodeAnomalyMask(s, classes, RangesLastToFirst(7));
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(split.ok());
  EXPECT_TRUE(*one == *split);
}

}  // namespace
}  // namespace anomalens
