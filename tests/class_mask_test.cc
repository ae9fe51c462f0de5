// ReadClassMask / DecodeClassMask: masks read through their colour map into
// project class indices (alpha, tolerance, background conventions, errors),
// and a real Lookout cookie mask from ../shared.
#include "core/lookout/class_mask.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/image/image_decode.h"
#include "core/image/png_encode.h"
#include "test_support.h"

namespace anomalens {
namespace {

constexpr uint32_t kCracked = 0x23A436;

struct Px {
  uint32_t rgb;
  uint8_t alpha;
};

// A width x height RGBA image from one row-major list of pixels.
RgbaImage MakeMask(int width, int height, const std::vector<Px>& pixels) {
  RgbaImage image;
  image.width = width;
  image.height = height;
  for (const Px& p : pixels) {
    image.pixels.push_back(static_cast<uint8_t>(p.rgb >> 16));
    image.pixels.push_back(static_cast<uint8_t>(p.rgb >> 8));
    image.pixels.push_back(static_cast<uint8_t>(p.rgb));
    image.pixels.push_back(p.alpha);
  }
  EXPECT_EQ(image.pixels.size(), static_cast<size_t>(width) * height * 4);
  return image;
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::vector<AnomalyClass> kCrackedOnly = {{"cracked", kCracked}};
const std::vector<MaskColor> kCrackedMap = {{"cracked", kCracked}};

TEST(ClassMask, Half_transparent_edge_pixels_count_from_alpha_128) {
  // Lookout's cookie masks: transparent background (its stored colour is the
  // class colour, as in a palette), anti-aliased edges partly transparent.
  const RgbaImage mask = MakeMask(5, 1,
                                  {{kCracked, 0}, {kCracked, 127}, {kCracked, 128}, {kCracked, 255}, {0x000000, 0}});
  auto labels = ReadClassMask(mask, kCrackedMap, kCrackedOnly);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(labels->width, 5);
  EXPECT_EQ(labels->height, 1);
  EXPECT_EQ(labels->labels, (std::vector<uint8_t>{0, 0, 1, 1, 0}));
  EXPECT_TRUE(labels->any_defect());
}

TEST(ClassMask, Transparent_pixels_of_any_colour_are_background) {
  // An unknown colour under alpha < 128 is never an error.
  const RgbaImage mask = MakeMask(2, 1, {{0x123456, 127}, {0xFF00FF, 0}});
  auto labels = ReadClassMask(mask, kCrackedMap, kCrackedOnly);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(labels->labels, (std::vector<uint8_t>{0, 0}));
  EXPECT_FALSE(labels->any_defect());
}

TEST(ClassMask, Colour_within_24_levels_a_channel_matches) {
  // #23A436 moved by 24 in every channel, each direction: 0x23+24 = 0x3B,
  // 0xA4-24 = 0x8C, 0x36+24 = 0x4E; and 0x23-24 = 0x0B, 0xA4+24 = 0xBC, 0x36-24 = 0x1E.
  const RgbaImage mask = MakeMask(3, 1, {{0x3B8C4E, 255}, {0x0BBC1E, 255}, {0x23A436, 200}});
  auto labels = ReadClassMask(mask, kCrackedMap, kCrackedOnly);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(labels->labels, (std::vector<uint8_t>{1, 1, 1}));
}

TEST(ClassMask, Colour_25_levels_off_is_an_error_naming_colour_count_position_and_map) {
  // 4x2: two pixels 25 off in red (0x23+25 = 0x3C) and one 25 off in blue
  // (0x36-25 = 0x1D); the first in row-major order is at x=3, y=0.
  const Px bg{0, 0}, good{kCracked, 255}, red_off{0x3CA436, 255}, blue_off{0x23A41D, 255};
  const RgbaImage mask = MakeMask(4, 2, {bg, good, bg, red_off,  //
                                         blue_off, red_off, good, bg});
  auto labels = ReadClassMask(mask, {{"BACKGROUND", 0x000000}, {"cracked", kCracked}}, kCrackedOnly);
  ASSERT_FALSE(labels.ok());
  EXPECT_EQ(labels.status().code(), StatusCode::kInvalidInput);
  const std::string& m = labels.status().message();
  EXPECT_TRUE(Contains(m, "3 opaque pixels")) << m;
  EXPECT_TRUE(Contains(m, "#3CA436 at x=3, y=0")) << m;
  EXPECT_TRUE(Contains(m, "BACKGROUND #000000, cracked #23A436")) << m;
  EXPECT_TRUE(Contains(m, "within 24 levels")) << m;
}

TEST(ClassMask, Map_entry_named_background_marks_background) {
  // Opaque #3366CC is background because the map says so, while a
  // near-#3366CC pixel (within tolerance) is too.
  const std::vector<MaskColor> map = {{"Background", 0x3366CC}, {"cracked", kCracked}};
  const RgbaImage mask = MakeMask(3, 1, {{0x3366CC, 255}, {0x3A6AC0, 255}, {kCracked, 255}});
  auto labels = ReadClassMask(mask, map, kCrackedOnly);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(labels->labels, (std::vector<uint8_t>{0, 0, 1}));

  // Without that entry the same colour is unknown.
  auto unknown = ReadClassMask(mask, kCrackedMap, kCrackedOnly);
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(Contains(unknown.status().message(), "2 opaque pixels")) << unknown.status().message();
  EXPECT_TRUE(Contains(unknown.status().message(), "#3366CC at x=0, y=0")) << unknown.status().message();
}

TEST(ClassMask, Opaque_pure_black_and_white_are_background_but_near_black_is_not) {
  const RgbaImage mask = MakeMask(3, 1, {{0x000000, 255}, {0xFFFFFF, 255}, {kCracked, 255}});
  auto labels = ReadClassMask(mask, kCrackedMap, kCrackedOnly);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(labels->labels, (std::vector<uint8_t>{0, 0, 1}));

  // Only exactly black and white: #010101 is some other colour.
  auto near_black = ReadClassMask(MakeMask(1, 1, {{0x010101, 255}}), kCrackedMap, kCrackedOnly);
  ASSERT_FALSE(near_black.ok());
  EXPECT_EQ(near_black.status().code(), StatusCode::kInvalidInput);
  EXPECT_TRUE(Contains(near_black.status().message(), "#010101")) << near_black.status().message();
}

TEST(ClassMask, Two_classes_map_to_project_indices_not_colour_map_order) {
  // The project met dent first; this line's map lists scratch first.
  const std::vector<AnomalyClass> classes = {{"dent", 0x445566}, {"scratch", 0x112233}};
  const std::vector<MaskColor> map = {{"scratch", 0x112233}, {"dent", 0x445566}};
  const RgbaImage mask = MakeMask(2, 2, {{0x112233, 255}, {0x445566, 255},  //
                                         {0x000000, 0}, {0x112233, 128}});
  auto labels = ReadClassMask(mask, map, classes);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  // scratch = classes[1] -> 2; dent = classes[0] -> 1.
  EXPECT_EQ(labels->labels, (std::vector<uint8_t>{2, 1, 0, 2}));
}

TEST(ClassMask, Map_class_missing_from_project_is_an_error) {
  auto labels = ReadClassMask(MakeMask(1, 1, {{kCracked, 255}}), {{"dent", 0x445566}}, kCrackedOnly);
  ASSERT_FALSE(labels.ok());
  EXPECT_EQ(labels.status().code(), StatusCode::kInvalidInput);
  EXPECT_TRUE(Contains(labels.status().message(), "'dent' is not a project class")) << labels.status().message();
}

TEST(ClassMask, Decode_rejects_mask_of_another_size_naming_both_sizes) {
  // 64x80 (the smallest sides DecodeImageRgba accepts are 64) for a 65x80 image.
  std::vector<uint8_t> rgba(64 * 80 * 4, 0);
  const std::vector<uint8_t> png = EncodePng(rgba.data(), 64, 80, 4);
  ASSERT_FALSE(png.empty());
  auto labels = DecodeClassMask(png, {65, 80}, kCrackedMap, kCrackedOnly);
  ASSERT_FALSE(labels.ok());
  EXPECT_EQ(labels.status().code(), StatusCode::kInvalidInput);
  const std::string& m = labels.status().message();
  EXPECT_TRUE(Contains(m, "mask is 64x80")) << m;
  EXPECT_TRUE(Contains(m, "its image is 65x80")) << m;
  EXPECT_TRUE(Contains(m, "same size")) << m;
}

TEST(ClassMask, Decode_reads_png_made_by_png_encode) {
  // RGBA: a 64x72 transparent mask with a 3x2 block of dent at x 2..4,
  // y 1..2, one scratch pixel at half alpha (labelled) and one at 100 (not).
  const int w = 64, h = 72;
  const std::vector<AnomalyClass> classes = {{"dent", 0x445566}, {"scratch", 0x112233}};
  const std::vector<MaskColor> map = {{"dent", 0x445566}, {"scratch", 0x112233}};
  std::vector<Px> pixels(w * h, {0xFFFFFF, 0});
  std::vector<uint8_t> expected(w * h, 0);
  for (int y = 1; y < 3; ++y)
    for (int x = 2; x < 5; ++x) pixels[y * w + x] = {0x445566, 255}, expected[y * w + x] = 1;
  pixels[0] = {0x112233, 128}, expected[0] = 2;
  pixels[w * h - 1] = {0x112233, 100};
  const RgbaImage image = MakeMask(w, h, pixels);
  const std::vector<uint8_t> png = EncodePng(image.pixels.data(), w, h, 4);
  ASSERT_FALSE(png.empty());
  auto labels = DecodeClassMask(png, {w, h}, map, classes);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(labels->width, w);
  EXPECT_EQ(labels->height, h);
  EXPECT_EQ(labels->labels, expected);

  // RGB (opaque, MVTec-style black background) reads the same way.
  std::vector<uint8_t> rgb(static_cast<size_t>(w) * h * 3, 0);
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] == 0) continue;
    const uint32_t c = expected[i] == 1 ? 0x445566 : 0x112233;
    rgb[i * 3] = c >> 16, rgb[i * 3 + 1] = (c >> 8) & 0xFF, rgb[i * 3 + 2] = c & 0xFF;
  }
  auto opaque = DecodeClassMask(EncodePng(rgb.data(), w, h, 3), {w, h}, map, classes);
  ASSERT_TRUE(opaque.ok()) << opaque.status().ToString();
  EXPECT_EQ(opaque->labels, expected);
}

TEST(ClassMask, Real_lookout_cookie_mask) {
  REQUIRE_SHARED_DATA();
  const std::vector<uint8_t> bytes =
      testing::ReadFileOrDie(testing::SharedPath("data/lookout-cookies/mask-images/anomaly-1.png"));
  ASSERT_FALSE(bytes.empty());
  // The line's colour map: {"0": {"class-name": "cracked", "hex-color": "#23A436"}}.
  auto labels = DecodeClassMask(bytes, {576, 768}, kCrackedMap, kCrackedOnly);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(labels->width, 576);
  EXPECT_EQ(labels->height, 768);
  ASSERT_EQ(labels->labels.size(), 576u * 768u);

  // Independently: the pixels with alpha >= 128.
  auto rgba = DecodeImageRgba(bytes, "image/png");
  ASSERT_TRUE(rgba.ok()) << rgba.status().ToString();
  size_t opaque = 0, labelled = 0, disagree = 0;
  for (size_t i = 0; i < labels->labels.size(); ++i) {
    const uint8_t v = labels->labels[i];
    ASSERT_LE(v, 1) << "pixel " << i;
    labelled += v;
    const bool covered = rgba->pixels[i * 4 + 3] >= 128;
    opaque += covered;
    disagree += (v == 1) != covered;
  }
  EXPECT_EQ(labelled, opaque);
  EXPECT_EQ(disagree, 0u);
  EXPECT_GT(labelled, 0u);
  EXPECT_LT(labelled, labels->labels.size() / 2);  // a crack, not the whole cookie
}

}  // namespace
}  // namespace anomalens
