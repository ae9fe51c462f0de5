// BinaryDefectMask: the two mask conventions (MVTec's opaque grey, Lookout's
// transparent palette masks with anti-aliased edges) decoded from PNG, the
// alpha and black boundaries, and the real masks in ../shared.
#include "core/image/label_mask.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "core/image/image_decode.h"
#include "core/image/png_encode.h"
#include "test_support.h"

namespace anomalens {
namespace {

using Bytes = std::vector<uint8_t>;

RgbaImage DecodeOrDie(const Bytes& png) {
  StatusOr<RgbaImage> image = DecodeImageRgba(png, "image/png");
  EXPECT_TRUE(image.ok()) << image.status().ToString();
  return image.ok() ? std::move(image).value() : RgbaImage();
}

size_t CountDefects(const std::vector<uint8_t>& mask) {
  return static_cast<size_t>(std::count(mask.begin(), mask.end(), 1));
}

TEST(LabelMask, Mask_mvtec_grey_png) {
  // An opaque 8-bit grey mask: 255 inside a 10x6 rectangle, 0 elsewhere.
  const int width = 80;
  const int height = 64;
  Bytes grey(width * height, 0);
  Bytes expected(width * height, 0);
  for (int y = 20; y < 26; ++y) {
    for (int x = 30; x < 40; ++x) {
      grey[y * width + x] = 255;
      expected[y * width + x] = 1;
    }
  }
  const RgbaImage mask = DecodeOrDie(EncodePng(grey.data(), width, height, 1));
  ASSERT_EQ(mask.width, width);
  EXPECT_EQ(mask.at(0, 0)[3], 255);  // grey PNGs decode opaque
  EXPECT_EQ(BinaryDefectMask(mask), expected);
}

TEST(LabelMask, Mask_lookout_transparent_png_with_antialiased_edges) {
  // Lookout's cookie masks: a transparent background, the class colour
  // #23A436 opaque inside the outline, and partly transparent edge pixels.
  // The background's stored colour is not black, as in a palette whose
  // transparent entry has a colour: only alpha may rule it out.
  const int width = 64;
  const int height = 64;
  Bytes rgba(width * height * 4);
  Bytes expected(width * height, 0);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      // Distance from the disc's centre, in the chessboard metric so that
      // the rings are exact integers.
      const int d = std::max(std::abs(x - 32), std::abs(y - 30));
      uint8_t alpha = 0;
      if (d <= 8) {
        alpha = 255;
      } else if (d == 9) {
        alpha = 192;  // mostly covered: labelled
      } else if (d == 10) {
        alpha = 128;  // half covered: labelled
      } else if (d == 11) {
        alpha = 127;  // just under half: not labelled
      } else if (d == 12) {
        alpha = 40;
      }
      uint8_t* p = &rgba[(y * width + x) * 4];
      p[0] = 0x23;
      p[1] = 0xA4;
      p[2] = 0x36;
      p[3] = alpha;
      expected[y * width + x] = alpha >= 128 ? 1 : 0;
    }
  }
  const RgbaImage mask = DecodeOrDie(EncodePng(rgba.data(), width, height, 4));
  const std::vector<uint8_t> defect = BinaryDefectMask(mask);
  EXPECT_EQ(defect, expected);
  EXPECT_EQ(CountDefects(defect), 21u * 21u);  // d <= 10
}

TEST(LabelMask, Mask_alpha_and_black_boundaries) {
  struct Case {
    uint8_t rgba[4];
    uint8_t defect;
  };
  const Case cases[] = {
      {{0, 0, 0, 255}, 0},        // opaque black: MVTec's background
      {{1, 0, 0, 255}, 1},        // any channel above 0 is a colour
      {{0, 0, 9, 128}, 1},        // alpha 128 is labelled
      {{255, 255, 255, 255}, 1},  // MVTec's defect
      {{255, 255, 255, 127}, 0},  // alpha 127 is not
      {{0, 0, 0, 0}, 0},
  };
  RgbaImage mask;
  mask.width = static_cast<int>(std::size(cases));
  mask.height = 1;
  std::vector<uint8_t> expected;
  for (const Case& c : cases) {
    mask.pixels.insert(mask.pixels.end(), c.rgba, c.rgba + 4);
    expected.push_back(c.defect);
  }
  EXPECT_EQ(BinaryDefectMask(mask), expected);
}

TEST(LabelMask, Mask_malformed_image_does_not_crash) {
  RgbaImage empty;
  EXPECT_TRUE(BinaryDefectMask(empty).empty());
  RgbaImage negative;
  negative.width = -3;
  negative.height = 4;
  EXPECT_TRUE(BinaryDefectMask(negative).empty());
  // The buffer is shorter than the dimensions: what is missing reads as 0.
  RgbaImage short_buffer;
  short_buffer.width = 2;
  short_buffer.height = 2;
  short_buffer.pixels = {255, 255, 255, 255, 0, 0};
  EXPECT_EQ(BinaryDefectMask(short_buffer), (std::vector<uint8_t>{1, 0, 0, 0}));
}

double DefectFraction(const std::string& path) {
  const Bytes bytes = testing::ReadFileOrDie(path);
  ImageLimits limits;  // real masks are the size of their images
  const StatusOr<RgbaImage> mask = DecodeImageRgba(bytes, "image/png", limits);
  EXPECT_TRUE(mask.ok()) << path << ": " << mask.status().ToString();
  if (!mask.ok()) return -1;
  const std::vector<uint8_t> defect = BinaryDefectMask(*mask);
  return static_cast<double>(CountDefects(defect)) / static_cast<double>(defect.size());
}

TEST(LabelMask, Mask_lookout_cookie_mask_from_shared_data) {
  REQUIRE_SHARED_DATA();
  // A palette PNG with a tRNS chunk: the background must decode transparent.
  const std::string path = testing::SharedPath("data/lookout-cookies/mask-images/anomaly-1.png");
  const StatusOr<RgbaImage> mask = DecodeImageRgba(testing::ReadFileOrDie(path), "image/png");
  ASSERT_TRUE(mask.ok()) << mask.status().ToString();
  EXPECT_EQ(mask->at(0, 0)[3], 0) << "the corner should be transparent background";
  const double fraction = DefectFraction(path);
  EXPECT_GT(fraction, 0.0001);
  EXPECT_LT(fraction, 0.1);
}

TEST(LabelMask, Mask_bsdata_pitting_mask_from_shared_data) {
  REQUIRE_SHARED_DATA();
  const std::filesystem::path dir = testing::SharedPath("data/bsdata-pitting/ground_truth/pitting");
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".png") names.push_back(entry.path().filename().string());
  }
  ASSERT_FALSE(names.empty()) << "no masks in " << dir;
  std::sort(names.begin(), names.end());
  const double fraction = DefectFraction((dir / names.front()).string());
  EXPECT_GT(fraction, 0.0001) << names.front();
  EXPECT_LT(fraction, 0.1) << names.front();
}

}  // namespace
}  // namespace anomalens
