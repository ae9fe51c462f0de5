// ResizeImage and ResizePlane: the PIL-style widened triangle filter, checked
// against flat images, exact copies, a checkerboard, and a naive 2-D
// reference that computes every output pixel's weights from scratch.
#include "core/image/image_resize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "thread_splits.h"

namespace anomalens {
namespace {

RgbImage MakeImage(int width, int height, uint32_t seed) {
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  std::mt19937 random(seed);
  for (uint8_t& v : image.pixels) v = static_cast<uint8_t>(random());
  return image;
}

RgbImage Flat(int width, int height, uint8_t r, uint8_t g, uint8_t b) {
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    image.pixels[i + 0] = r;
    image.pixels[i + 1] = g;
    image.pixels[i + 2] = b;
  }
  return image;
}

// The weights of one output sample along one axis, written out directly
// from the definition: a triangle of radius max(scale, 1) source pixels
// around the output pixel's centre, over the source pixels PIL considers,
// normalised to sum 1. Double precision throughout.
std::vector<double> ReferenceWeights(int in_size, int out_size, int i, int* first) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double radius = std::max(scale, 1.0);
  const double center = (i + 0.5) * scale;
  const int lo = std::max(static_cast<int>(center - radius + 0.5), 0);
  const int hi = std::min(static_cast<int>(center + radius + 0.5), in_size);
  std::vector<double> weights;
  double total = 0.0;
  for (int x = lo; x < hi; ++x) {
    const double distance = std::fabs((x + 0.5 - center) / radius);
    weights.push_back(distance < 1.0 ? 1.0 - distance : 0.0);
    total += weights.back();
  }
  for (double& w : weights) w /= total;
  *first = lo;
  return weights;
}

// Non-separable reference: each output is a double sum over its 2-D window.
std::vector<double> ReferenceResize(const std::vector<float>& src, int src_width, int src_height, int dst_width,
                                    int dst_height) {
  std::vector<double> dst(static_cast<size_t>(dst_width) * dst_height);
  for (int y = 0; y < dst_height; ++y) {
    int y0 = 0;
    const std::vector<double> wy = ReferenceWeights(src_height, dst_height, y, &y0);
    for (int x = 0; x < dst_width; ++x) {
      int x0 = 0;
      const std::vector<double> wx = ReferenceWeights(src_width, dst_width, x, &x0);
      double sum = 0.0;
      for (size_t j = 0; j < wy.size(); ++j) {
        for (size_t k = 0; k < wx.size(); ++k) {
          sum += wy[j] * wx[k] * src[(y0 + j) * src_width + (x0 + k)];
        }
      }
      dst[static_cast<size_t>(y) * dst_width + x] = sum;
    }
  }
  return dst;
}

TEST(ImageResize, Resize_constant_image_stays_constant) {
  const RgbImage flat = Flat(100, 70, 200, 3, 97);
  const int kSizes[][2] = {{37, 211}, {224, 224}, {1, 1}, {50, 35}, {99, 71}, {13, 70}};
  for (const auto& size : kSizes) {
    const RgbImage out = ResizeImage(flat, size[0], size[1]);
    ASSERT_EQ(out.width, size[0]);
    ASSERT_EQ(out.height, size[1]);
    ASSERT_EQ(out.pixels, Flat(size[0], size[1], 200, 3, 97).pixels) << size[0] << "x" << size[1];
  }
  std::vector<float> plane(60 * 40, 0.625f);
  std::vector<float> out(17 * 90);
  ResizePlane(plane.data(), 60, 40, out.data(), 17, 90);
  for (float v : out) ASSERT_NEAR(v, 0.625f, 1e-6f);
}

TEST(ImageResize, Resize_identity_size_is_exact_copy) {
  const RgbImage image = MakeImage(123, 77, 1);
  const RgbImage out = ResizeImage(image, 123, 77);
  EXPECT_EQ(out.width, 123);
  EXPECT_EQ(out.height, 77);
  EXPECT_EQ(out.pixels, image.pixels);

  std::vector<float> plane(31 * 19);
  std::mt19937 random(2);
  for (float& v : plane) v = std::uniform_real_distribution<float>(-5.0f, 5.0f)(random);
  std::vector<float> copy(plane.size());
  ResizePlane(plane.data(), 31, 19, copy.data(), 31, 19);
  EXPECT_EQ(copy, plane);
}

TEST(ImageResize, Resize_2x_downscale_of_checkerboard_is_mid_grey) {
  RgbImage board = Flat(64, 64, 0, 0, 0);
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      if ((x + y) % 2 == 1) std::fill(board.at(x, y), board.at(x, y) + 3, 255);
    }
  }
  const RgbImage out = ResizeImage(board, 32, 32);
  double total = 0.0;
  for (int y = 0; y < 32; ++y) {
    for (int x = 0; x < 32; ++x) {
      const bool edge = x == 0 || y == 0 || x == 31 || y == 31;
      for (int c = 0; c < 3; ++c) {
        const int v = out.at(x, y)[c];
        total += v;
        // The clamped window at the border is lopsided; inside, 127.5.
        if (!edge) {
          ASSERT_TRUE(v == 127 || v == 128) << x << "," << y << ": " << v;
        }
      }
    }
  }
  EXPECT_NEAR(total / (32 * 32 * 3), 127.5, 1.0);
}

// At 3x, point-sampling bilinear lands on pixel centres and returns the
// checkerboard's 0 or 255 (aliasing); the widened filter averages 3x3 blocks.
TEST(ImageResize, Resize_3x_downscale_averages_instead_of_aliasing) {
  RgbImage board = Flat(66, 66, 0, 0, 0);
  for (int y = 0; y < 66; ++y) {
    for (int x = 0; x < 66; ++x) {
      if ((x + y) % 2 == 1) std::fill(board.at(x, y), board.at(x, y) + 3, 255);
    }
  }
  const RgbImage out = ResizeImage(board, 22, 22);
  for (uint8_t v : out.pixels) {
    ASSERT_GE(v, 100);
    ASSERT_LE(v, 155);
  }
}

TEST(ImageResize, Resize_upscale_interpolates_between_pixel_centres) {
  RgbImage two = Flat(2, 1, 0, 0, 0);
  two.at(1, 0)[0] = 100;
  const RgbImage out = ResizeImage(two, 4, 1);
  // Output centres sit at 0.25, 0.75, 1.25, 1.75 source pixels; the edges
  // clamp to the nearest source pixel.
  EXPECT_EQ(out.at(0, 0)[0], 0);
  EXPECT_EQ(out.at(1, 0)[0], 25);
  EXPECT_EQ(out.at(2, 0)[0], 75);
  EXPECT_EQ(out.at(3, 0)[0], 100);
}

TEST(ImageResize, ResizePlane_matches_naive_reference) {
  std::mt19937 random(20240607);
  std::uniform_real_distribution<float> value(-3.0f, 7.0f);
  const int kCases[][4] = {{37, 23, 11, 50},   {50, 40, 17, 13},     {28, 28, 224, 224},
                           {224, 224, 28, 28}, {640, 480, 224, 224}, {7, 5, 3, 9},
                           {1, 9, 4, 2},       {64, 64, 64, 21},     {45, 33, 45, 33}};
  for (const auto& c : kCases) {
    std::vector<float> src(static_cast<size_t>(c[0]) * c[1]);
    for (float& v : src) v = value(random);
    std::vector<float> dst(static_cast<size_t>(c[2]) * c[3]);
    ResizePlane(src.data(), c[0], c[1], dst.data(), c[2], c[3]);
    const std::vector<double> reference = ReferenceResize(src, c[0], c[1], c[2], c[3]);
    for (size_t i = 0; i < dst.size(); ++i) {
      ASSERT_NEAR(dst[i], reference[i], 2e-5) << c[0] << "x" << c[1] << " -> " << c[2] << "x" << c[3] << " at " << i;
    }
  }
}

// ResizeImage's own fast paths (four rows a lane in the horizontal pass,
// rounding four at a time, rows rounded as the vertical pass writes them)
// against ResizePlane's plain loops, channel by channel: equal bytes at
// sizes whose row counts are and are not multiples of four, with one axis
// unchanged, up and down, on one thread and split into ranges of 3 rows.
TEST(ImageResize, ResizeImage_equals_rounded_ResizePlane_per_channel) {
  const ParallelFor in_threes = RangesLastToFirst(3);
  const int kCases[][4] = {{97, 61, 40, 83}, {768, 576, 304, 224}, {31, 7, 97, 5}, {50, 45, 50, 20},
                           {50, 45, 21, 45}, {5, 3, 2, 2},         {1, 1, 3, 4}};
  for (const auto& c : kCases) {
    const RgbImage image = MakeImage(c[0], c[1], 3);
    for (const ParallelFor& parallel : {ParallelFor{}, in_threes}) {
      const RgbImage out = ResizeImage(image, c[2], c[3], parallel);
      for (int ch = 0; ch < 3; ++ch) {
        std::vector<float> plane(static_cast<size_t>(c[0]) * c[1]);
        for (size_t i = 0; i < plane.size(); ++i) plane[i] = image.pixels[i * 3 + ch];
        std::vector<float> resized(static_cast<size_t>(c[2]) * c[3]);
        ResizePlane(plane.data(), c[0], c[1], resized.data(), c[2], c[3]);
        for (size_t i = 0; i < resized.size(); ++i) {
          const int expected = static_cast<int>(std::min(255.0f, std::max(0.0f, resized[i])) + 0.5f);
          ASSERT_EQ(out.pixels[i * 3 + ch], expected)
              << c[0] << "x" << c[1] << " -> " << c[2] << "x" << c[3] << ", channel " << ch << " at " << i
              << (parallel.run ? ", ranges of 3 rows" : "");
        }
      }
    }
  }
}

// RowByRowResize, fed RGB rows or RGBA rows (their fourth byte noise), gives
// ResizeImage's bytes, and nothing before its last row is in.
TEST(ImageResize, RowByRowResize_equals_ResizeImage) {
  const int kCases[][4] = {{97, 61, 40, 83}, {576, 768, 224, 304}, {768, 576, 304, 224}, {31, 7, 97, 5},
                           {50, 45, 50, 20}, {50, 45, 21, 45},     {50, 45, 50, 45},   {5, 3, 2, 2}, {1, 1, 3, 4}};
  for (const auto& c : kCases) {
    const RgbImage image = MakeImage(c[0], c[1], 3);
    const RgbImage expected = ResizeImage(image, c[2], c[3]);
    for (const int bytes_per_pixel : {3, 4}) {
      RowByRowResize resize(c[0], c[1], c[2], c[3]);
      std::vector<uint8_t> row(static_cast<size_t>(c[0]) * bytes_per_pixel);
      for (int y = 0; y < c[1]; ++y) {
        EXPECT_FALSE(resize.complete());
        for (int x = 0; x < c[0]; ++x) {
          for (int ch = 0; ch < 3; ++ch) row[static_cast<size_t>(x) * bytes_per_pixel + ch] = image.at(x, y)[ch];
          if (bytes_per_pixel == 4) row[static_cast<size_t>(x) * 4 + 3] = static_cast<uint8_t>(x * 37 + y * 11);
        }
        resize.AddRow(row.data(), bytes_per_pixel);
      }
      ASSERT_TRUE(resize.complete());
      const RgbImage out = resize.Take();
      EXPECT_EQ(out.width, c[2]);
      EXPECT_EQ(out.height, c[3]);
      EXPECT_EQ(out.pixels, expected.pixels) << c[0] << "x" << c[1] << " -> " << c[2] << "x" << c[3] << ", "
                                             << bytes_per_pixel << " bytes a pixel";
    }
  }
  RowByRowResize refused(10, 10, 0, 5);
  EXPECT_FALSE(refused.complete());
  EXPECT_TRUE(refused.Take().pixels.empty());
}

// Halving both sides exactly (the cookies' 576x768 -> 288x384) takes
// RowByRowResize's integer path on RGBA rows: the same bytes as
// ResizeImage's floats, on random bytes, on bytes of only 0 and 255, and on
// a flat 255 (the largest sums), for sides whose interior outputs are odd
// and even in number, and with one side not halved.
TEST(ImageResize, RowByRowResize_halving_equals_ResizeImage) {
  const int kCases[][4] = {{576, 768, 288, 384}, {2, 2, 1, 1},   {4, 6, 2, 3},   {6, 4, 3, 2},   {10, 14, 5, 7},
                           {16, 18, 8, 9},       {18, 16, 9, 8}, {34, 8, 17, 4}, {34, 8, 17, 8}, {35, 9, 17, 4}};
  for (const auto& c : kCases) {
    for (int kind = 0; kind < 3; ++kind) {
      RgbImage image = MakeImage(c[0], c[1], 7 + kind);
      for (uint8_t& v : image.pixels) v = kind == 0 ? v : kind == 1 ? (v & 1 ? 255 : 0) : 255;
      const RgbImage expected = ResizeImage(image, c[2], c[3]);
      RowByRowResize resize(c[0], c[1], c[2], c[3]);
      std::vector<uint8_t> row(static_cast<size_t>(c[0]) * 4);
      for (int y = 0; y < c[1]; ++y) {
        for (int x = 0; x < c[0]; ++x) {
          for (int ch = 0; ch < 3; ++ch) row[static_cast<size_t>(x) * 4 + ch] = image.at(x, y)[ch];
          row[static_cast<size_t>(x) * 4 + 3] = static_cast<uint8_t>(255 - x * 37 - y * 11);
        }
        resize.AddRow(row.data(), 4);
      }
      ASSERT_TRUE(resize.complete());
      EXPECT_EQ(resize.Take().pixels, expected.pixels)
          << c[0] << "x" << c[1] << " -> " << c[2] << "x" << c[3] << ", kind " << kind;
    }
  }
}

TEST(ImageResize, Resize_is_deterministic) {
  const RgbImage image = MakeImage(300, 200, 4);
  EXPECT_EQ(ResizeImage(image, 224, 150).pixels, ResizeImage(image, 224, 150).pixels);
}

TEST(ImageResize, Resize_rejects_empty_sizes) {
  const RgbImage image = MakeImage(10, 10, 5);
  EXPECT_TRUE(ResizeImage(image, 0, 10).pixels.empty());
  EXPECT_TRUE(ResizeImage(image, 10, -1).pixels.empty());
  EXPECT_TRUE(ResizeImage(RgbImage(), 10, 10).pixels.empty());
  RgbImage inconsistent = image;
  inconsistent.pixels.resize(10);
  EXPECT_TRUE(ResizeImage(inconsistent, 5, 5).pixels.empty());
  std::vector<float> dst(4, 9.0f);
  ResizePlane(nullptr, 0, 0, dst.data(), 2, 2);  // a no-op, not a crash
  EXPECT_EQ(dst, std::vector<float>(4, 9.0f));
}

}  // namespace
}  // namespace anomalens
