// The segmentation part of a DetectAnomalies answer: the Anomalies list, the
// AnomalyMask PNG (against a golden file), their JSON, Base64 and the overlay.
//
// Golden file: tests/golden/anomaly_mask.png is the AnomalyMask PNG of a
// hand-built 96x64 segmentation (GoldenSegmentation below), compared byte for
// byte because the encoder promises identical bytes on every target. After a
// deliberate change of the encoder, regenerate it with
//   ANOMALENS_UPDATE_GOLDEN=1 anomalens_tests --gtest_filter='AnomalyMask.Matches_golden_png'
// which writes the file instead of comparing (and review the new image).
#include "core/segmentation/segmentation_response.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/base64.h"
#include "core/image/image_decode.h"
#include "core/lookout/result_json.h"
#include "core/segmentation/overlay.h"
#include "test_support.h"

namespace anomalens {
namespace {

const std::vector<AnomalyClass> kTwoClasses = {{"cracked", 0x23A436}, {"dent", 0x3366CC}};

Segmentation FromLabels(int width, int height, const std::vector<uint8_t>& labels, size_t classes) {
  Segmentation s = BackgroundOnly(width, height, classes);
  s.labels = labels;
  for (uint8_t k : labels)
    if (k != 0) ++s.class_pixels[k - 1];
  return s;
}

// 96x64: class 1 on the rectangle x 8..39, y 10..29; class 2 on the disc of
// radius 16 around (64, 36).
Segmentation GoldenSegmentation() {
  const int w = 96, h = 64;
  std::vector<uint8_t> labels(w * h, 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      if (x >= 8 && x <= 39 && y >= 10 && y <= 29) labels[y * w + x] = 1;
      if ((x - 64) * (x - 64) + (y - 36) * (y - 36) <= 16 * 16) labels[y * w + x] = 2;
    }
  return FromLabels(w, h, labels, 2);
}

// --- AnomalyList, RenderAnomalyMask, EncodeAnomalyMask ---

TEST(AnomalyList, Background_first_then_types_with_pixels_in_class_order) {
  // 4x2 = 8 pixels: class 1 on 2, class 2 on none, class 3 on 1.
  const std::vector<AnomalyClass> classes = {{"a", 0x110000}, {"b", 0x002200}, {"c", 0x000033}};
  const Segmentation s = FromLabels(4, 2, {3, 1, 0, 0, 1, 0, 0, 0}, 3);
  const std::vector<Anomaly> list = AnomalyList(s, classes);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].name, "background");
  EXPECT_EQ(list[0].pixel_anomaly.color, 0xFFFFFFu);
  EXPECT_EQ(list[0].pixel_anomaly.total_percentage_area, 0.625);  // 5/8: what the types leave
  EXPECT_EQ(list[1].name, "a");
  EXPECT_EQ(list[1].pixel_anomaly.color, 0x110000u);
  EXPECT_EQ(list[1].pixel_anomaly.total_percentage_area, 0.25);  // 2/8, a fraction, not a percentage
  EXPECT_EQ(list[2].name, "c");
  EXPECT_EQ(list[2].pixel_anomaly.color, 0x000033u);
  EXPECT_EQ(list[2].pixel_anomaly.total_percentage_area, 0.125);
  double sum = 0;
  for (const Anomaly& a : list) sum += a.pixel_anomaly.total_percentage_area;
  EXPECT_DOUBLE_EQ(sum, 1.0);
}

TEST(AnomalyList, Normal_image_lists_background_alone_at_area_1) {
  const std::vector<Anomaly> list = AnomalyList(BackgroundOnly(5, 3, 2), kTwoClasses);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].name, "background");
  EXPECT_EQ(list[0].pixel_anomaly.total_percentage_area, 1.0);
}

TEST(AnomalyMask, Renders_white_background_and_class_colours) {
  const Segmentation s = FromLabels(3, 1, {0, 1, 2}, 2);
  EXPECT_EQ(RenderAnomalyMask(s, kTwoClasses),
            (std::vector<uint8_t>{0xFF, 0xFF, 0xFF, 0x23, 0xA4, 0x36, 0x33, 0x66, 0xCC}));
}

TEST(AnomalyMask, Encoded_png_decodes_to_the_same_pixels_and_size) {
  const Segmentation s = GoldenSegmentation();
  auto png = EncodeAnomalyMask(s, kTwoClasses);
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  auto image = DecodeImage(*png, "image/png");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->width, 96);
  EXPECT_EQ(image->height, 64);
  EXPECT_EQ(image->pixels, RenderAnomalyMask(s, kTwoClasses));
}

TEST(AnomalyMask, Matches_golden_png) {
  const Segmentation s = GoldenSegmentation();
  // 32 x 20 = 640 rectangle pixels; the disc's pixel count, recomputed.
  size_t disc = 0;
  for (int dy = -16; dy <= 16; ++dy)
    for (int dx = -16; dx <= 16; ++dx) disc += dx * dx + dy * dy <= 256;
  ASSERT_EQ(s.class_pixels, (std::vector<size_t>{640, disc}));
  auto png = EncodeAnomalyMask(s, kTwoClasses);
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  const std::string path = std::string(ANOMALENS_GOLDEN_DIR) + "/anomaly_mask.png";
  const char* update = std::getenv("ANOMALENS_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(png->data()), static_cast<std::streamsize>(png->size()));
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    GTEST_SKIP() << "wrote " << path << " (" << png->size() << " bytes)";
  }
  const std::vector<uint8_t> golden = testing::ReadFileOrDie(path);
  EXPECT_EQ(*png, golden) << "AnomalyMask bytes differ from " << path;
}

// --- DetectAnomalyResultJson with segmentation ---

DetectAnomalyResult SegmentationResult(std::vector<Anomaly> anomalies, std::vector<uint8_t> png) {
  DetectAnomalyResult r;
  r.is_anomalous = true;
  r.confidence = 0.75;
  r.score = 42;
  r.anomalies = std::move(anomalies);
  r.anomaly_mask_png = std::move(png);
  return r;
}

TEST(DetectAnomalyResultJsonSegmentation, Prints_anomalies_and_mask_after_confidence) {
  const DetectAnomalyResult r = SegmentationResult({{"background", {0.5, 0xFFFFFF}},
                                                    {"cracked", {0.375, 0x23A436}},
                                                    {"dent", {0.125, 0x3366CC}}},
                                                   {1, 2, 3});
  EXPECT_EQ(DetectAnomalyResultJson(r),
            "{\"DetectAnomalyResult\":{\"Source\":{\"Type\":\"direct\"},\"IsAnomalous\":true,\"Confidence\":0.75,"
            "\"Anomalies\":["
            "{\"Name\":\"background\",\"PixelAnomaly\":{\"TotalPercentageArea\":0.5,\"Color\":\"#FFFFFF\"}},"
            "{\"Name\":\"cracked\",\"PixelAnomaly\":{\"TotalPercentageArea\":0.375,\"Color\":\"#23A436\"}},"
            "{\"Name\":\"dent\",\"PixelAnomaly\":{\"TotalPercentageArea\":0.125,\"Color\":\"#3366CC\"}}],"
            "\"AnomalyMask\":\"AQID\"}}");
  const nlohmann::ordered_json doc = nlohmann::ordered_json::parse(DetectAnomalyResultJson(r));
  std::vector<std::string> keys;
  for (auto it = doc["DetectAnomalyResult"].begin(); it != doc["DetectAnomalyResult"].end(); ++it)
    keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"Source", "IsAnomalous", "Confidence", "Anomalies", "AnomalyMask"}));
}

// The printed TotalPercentageArea values in millionths; each must have at
// most 6 decimals.
std::vector<long long> PrintedAreasInMillionths(const std::string& json) {
  const nlohmann::json doc = nlohmann::json::parse(json);
  std::vector<long long> out;
  for (const nlohmann::json& a : doc["DetectAnomalyResult"]["Anomalies"]) {
    const double area = a["PixelAnomaly"]["TotalPercentageArea"].get<double>();
    const long long millionths = std::llround(area * 1e6);
    EXPECT_NEAR(area * 1e6, static_cast<double>(millionths), 1e-6) << area << " has more than 6 decimals";
    out.push_back(millionths);
  }
  return out;
}

TEST(DetectAnomalyResultJsonSegmentation, Printed_areas_sum_to_exactly_1_when_type_areas_round) {
  // Three types of 1/3 - 1e-9 each: each prints 0.333333, so background
  // prints 1 - 0.999999 = 0.000001 (its own area, 3e-9, would print 0).
  const double third = 1.0 / 3.0 - 1e-9;
  const DetectAnomalyResult r = SegmentationResult({{"background", {1 - 3 * third, 0xFFFFFF}},
                                                    {"a", {third, 0x110000}},
                                                    {"b", {third, 0x002200}},
                                                    {"c", {third, 0x000033}}},
                                                   {0});
  const std::vector<long long> areas = PrintedAreasInMillionths(DetectAnomalyResultJson(r));
  EXPECT_EQ(areas, (std::vector<long long>{1, 333333, 333333, 333333}));
  long long sum = 0;
  for (long long a : areas) sum += a;
  EXPECT_EQ(sum, 1000000);
}

// Types that cover the whole image and round up would leave the background
// a negative area (this test found that); the largest type gives back the
// excess instead.
TEST(DetectAnomalyResultJsonSegmentation, Background_area_is_never_negative) {
  // A 1x6 image wholly defective: 1, 1 and 4 pixels: 1/6 -> 0.166667 (up),
  // 1/6 -> 0.166667, 4/6 -> 0.666667 (up): types print 1.000001.
  const std::vector<AnomalyClass> classes = {{"a", 0x110000}, {"b", 0x002200}, {"c", 0x000033}};
  const Segmentation s = FromLabels(6, 1, {1, 2, 3, 3, 3, 3}, 3);
  const DetectAnomalyResult r = SegmentationResult(AnomalyList(s, classes), {0});
  const std::vector<long long> areas = PrintedAreasInMillionths(DetectAnomalyResultJson(r));
  ASSERT_EQ(areas.size(), 4u);
  for (long long a : areas) EXPECT_GE(a, 0) << DetectAnomalyResultJson(r);
  long long sum = 0;
  for (long long a : areas) sum += a;
  EXPECT_EQ(sum, 1000000);
}

TEST(DetectAnomalyResultJsonSegmentation, AnomalyMask_is_base64_of_the_png_bytes) {
  const Segmentation s = GoldenSegmentation();
  auto png = EncodeAnomalyMask(s, kTwoClasses);
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  const DetectAnomalyResult r = SegmentationResult(AnomalyList(s, kTwoClasses), *png);
  const nlohmann::json doc = nlohmann::json::parse(DetectAnomalyResultJson(r));
  const std::string mask = doc["DetectAnomalyResult"]["AnomalyMask"].get<std::string>();
  EXPECT_EQ(mask, Base64Encode(*png));
  std::string decoded;
  ASSERT_TRUE(Base64Decode(mask, &decoded));  // the decoder is checked on RFC 4648's vectors below
  EXPECT_EQ(std::vector<uint8_t>(decoded.begin(), decoded.end()), *png);
  const nlohmann::json& anomalies = doc["DetectAnomalyResult"]["Anomalies"];
  ASSERT_EQ(anomalies.size(), 3u);
  EXPECT_EQ(anomalies[0]["PixelAnomaly"]["Color"], "#FFFFFF");
  EXPECT_EQ(anomalies[1]["Name"], "cracked");
  EXPECT_EQ(anomalies[1]["PixelAnomaly"]["Color"], "#23A436");
  EXPECT_EQ(anomalies[1]["PixelAnomaly"]["TotalPercentageArea"], RoundForJson(640.0 / (96 * 64)));
  EXPECT_EQ(anomalies[2]["PixelAnomaly"]["Color"], "#3366CC");
}

TEST(DetectAnomalyResultJsonSegmentation, Classification_result_has_neither_key) {
  DetectAnomalyResult r;
  r.is_anomalous = false;
  r.confidence = 0.5;
  r.anomaly_mask_png = {1, 2, 3};  // ignored without an Anomalies list
  const std::string json = DetectAnomalyResultJson(r);
  EXPECT_EQ(json, "{\"DetectAnomalyResult\":{\"Source\":{\"Type\":\"direct\"},\"IsAnomalous\":false,\"Confidence\":0.5}}");
  EXPECT_EQ(json.find("Anomalies"), std::string::npos);
  EXPECT_EQ(json.find("AnomalyMask"), std::string::npos);
}

// --- Base64, BlendOverlay ---

TEST(Base64, Rfc4648_test_vectors) {
  auto enc = [](const std::string& s) { return Base64Encode(std::vector<uint8_t>(s.begin(), s.end())); };
  EXPECT_EQ(enc(""), "");
  EXPECT_EQ(enc("f"), "Zg==");
  EXPECT_EQ(enc("fo"), "Zm8=");
  EXPECT_EQ(enc("foo"), "Zm9v");
  EXPECT_EQ(enc("foob"), "Zm9vYg==");
  EXPECT_EQ(enc("fooba"), "Zm9vYmE=");
  EXPECT_EQ(enc("foobar"), "Zm9vYmFy");
  // High bytes use '+' and '/': 0xFB 0xFF 0xBF = 111110 111111 111110 111111.
  EXPECT_EQ(Base64Encode({0xFB, 0xFF, 0xBF}), "+/+/");
}

TEST(Base64, Decodes_the_rfc4648_vectors_and_rejects_other_characters) {
  std::string out;
  for (const auto& [text, plain] : std::vector<std::pair<std::string, std::string>>{
           {"", ""}, {"Zg==", "f"}, {"Zm8=", "fo"}, {"Zm9v", "foo"}, {"Zm9vYg==", "foob"},
           {"Zm9vYmE=", "fooba"}, {"Zm9vYmFy", "foobar"}, {"Zm9v\r\nYmFy", "foobar"}}) {
    ASSERT_TRUE(Base64Decode(text, &out)) << text;
    EXPECT_EQ(out, plain) << text;
  }
  ASSERT_TRUE(Base64Decode("+/+/", &out));
  EXPECT_EQ(out, std::string("\xFB\xFF\xBF"));
  EXPECT_FALSE(Base64Decode("Zm9v!", &out));
  EXPECT_FALSE(Base64Decode("Zm 9v", &out));
}

TEST(Overlay, Tints_only_defect_pixels_by_the_formula) {
  // 3x1 grey (100, 100, 100): pixel 0 background, 1 cracked, 2 dent.
  RgbImage image{3, 1, std::vector<uint8_t>(9, 100)};
  const Segmentation s = FromLabels(3, 1, {0, 1, 2}, 2);
  const RgbImage out = BlendOverlay(image, s, kTwoClasses);  // opacity 0.55
  // cracked #23A436: 0.45*100 + 0.55*35 = 64.25 -> 64; 45 + 0.55*164 = 135.2
  // -> 135; 45 + 0.55*54 = 74.7 -> 75. dent #3366CC: 45 + 0.55*51 = 73.05
  // -> 73; 45 + 0.55*102 = 101.1 -> 101; 45 + 0.55*204 = 157.2 -> 157.
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{100, 100, 100, 64, 135, 75, 73, 101, 157}));
  EXPECT_EQ(out.width, 3);
  EXPECT_EQ(out.height, 1);

  // Opacity 1 paints the class colour; a segmentation of another size leaves
  // the image unchanged.
  const RgbImage solid = BlendOverlay(image, s, kTwoClasses, 1.0);
  EXPECT_EQ(solid.pixels, (std::vector<uint8_t>{100, 100, 100, 0x23, 0xA4, 0x36, 0x33, 0x66, 0xCC}));
  const RgbImage same = BlendOverlay(image, FromLabels(1, 3, {1, 1, 1}, 2), kTwoClasses);
  EXPECT_EQ(same.pixels, image.pixels);
}

}  // namespace
}  // namespace anomalens
