// The golden parity set (tests/golden/parity/, written by tools/make-golden;
// see tests/golden/README.md) on the native build: every expected
// DetectAnomalies JSON line and AnomalyMask PNG, byte for byte, and the two
// model files retrained from the golden training images, byte for byte.
// tests/js/wasm_golden.test.mjs asserts the same files on the wasm build.
// Both run the core's portable kernels (testing::SharedBackbone), as
// tools/make-golden does (--backend portable); the native default, XNNPACK,
// agrees within tolerances only (xnnpack_backbone_test.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/image/image_decode.h"
#include "core/lookout/anomaly_classes.h"
#include "core/lookout/class_mask.h"
#include "core/lookout/result_json.h"
#include "core/model/detector.h"
#include "core/model/model_file.h"
#include "core/model/configuration_search.h"
#include "core/model/trainer.h"
#include "native/jobs/dataset_loader.h"
#include "test_support.h"

namespace anomalens {
namespace {

namespace fs = std::filesystem;

const std::string kParity = std::string(ANOMALENS_GOLDEN_DIR) + "/parity/";
// The models and how tools/make-golden trains them (`anomalens train
// --coreset-ratio 0.02`, the classification one with --ignore-masks).
const char* const kModels[] = {"segmentation", "classification"};
constexpr double kCoresetRatio = 0.02;

std::vector<std::string> TestImages() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kParity + "test-images")) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

std::string ContentType(const std::string& name) {
  return name.size() > 4 && name.substr(name.size() - 4) == ".png" ? "image/png" : "image/jpeg";
}

std::string ReadText(const std::string& path) {
  const std::vector<uint8_t> bytes = testing::ReadFileOrDie(path);
  return std::string(bytes.begin(), bytes.end());
}

TEST(GoldenParity, Covers_two_models_and_seven_images) {
  EXPECT_EQ(TestImages().size(), 7u);
  for (const char* model : kModels) {
    size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(kParity + "expected/" + model)) ++files;
    // A JSON line per image, and a mask PNG per image for the segmentation model.
    EXPECT_EQ(files, TestImages().size() * (std::string(model) == "segmentation" ? 2 : 1)) << model;
  }
}

TEST(GoldenParity, Detect_matches_expected_json_and_mask_png) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  ASSERT_STREQ(testing::SharedBackbone()->engine(), "portable");
  for (const char* model : kModels) {
    auto detector = Detector::Create(testing::ReadFileOrDie(kParity + model + ".anlm"), testing::SharedBackbone());
    ASSERT_TRUE(detector.ok()) << detector.status().ToString();
    const bool segmentation = std::string(model) == "segmentation";
    for (const std::string& name : TestImages()) {
      SCOPED_TRACE(std::string(model) + " / " + name);
      const std::string expected = kParity + "expected/" + model + "/" + name;
      auto result = (*detector)->Detect(testing::ReadFileOrDie(kParity + "test-images/" + name), ContentType(name));
      ASSERT_TRUE(result.ok()) << result.status().ToString();
      EXPECT_EQ(DetectAnomalyResultJson(*result) + "\n", ReadText(expected + ".json"));
      EXPECT_EQ(result->has_segmentation(), segmentation);
      if (segmentation) {
        EXPECT_TRUE(result->anomaly_mask_png == testing::ReadFileOrDie(expected + ".mask.png")) << "mask PNG differs";
      } else {
        EXPECT_FALSE(fs::exists(expected + ".mask.png"));
      }
    }
  }
}

// The model files, retrained here from the golden training images as
// `anomalens train` trains them, byte for byte.
TEST(GoldenParity, Training_reproduces_the_model_files) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  auto entries = LoadManifestFile(kParity + "train/train.manifest");
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  auto classes = CollectAnomalyClasses(*entries);
  ASSERT_TRUE(classes.ok()) << classes.status().ToString();
  ModelConfig config;
  config.coreset_ratio = kCoresetRatio;
  ModelConfig segmentation_config = config;  // the CLI's default for a project with masks
  segmentation_config.short_side = DefaultShortSide(true);
  // `anomalens train` without --quick, as tools/make-golden runs it: the
  // configuration search, nothing pinned but the coreset ratio.
  ConfigurationSearch segmentation(testing::SharedBackbone(), segmentation_config, *classes, SearchPins{});
  ConfigurationSearch classification(testing::SharedBackbone(), config, {}, SearchPins{});
  for (const ManifestEntry& e : *entries) {
    auto image = DecodeImage(testing::ReadFileOrDie(e.image_path), "");
    ASSERT_TRUE(image.ok()) << e.image_path;
    ASSERT_TRUE(classification.AddImage(*image, e.label).ok());
    if (e.mask_ref.empty()) {
      ASSERT_TRUE(segmentation.AddImage(*image, e.label).ok());
      continue;
    }
    auto mask = DecodeClassMask(testing::ReadFileOrDie(e.mask_path), {image->width, image->height}, e.color_map,
                                *classes);
    ASSERT_TRUE(mask.ok()) << mask.status().ToString();
    ASSERT_TRUE(segmentation.AddImage(*image, e.label, &*mask).ok());
  }
  auto seg = segmentation.Finish();
  auto cls = classification.Finish();
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  ASSERT_TRUE(cls.ok()) << cls.status().ToString();
  EXPECT_TRUE(SerializeModel(*seg) == testing::ReadFileOrDie(kParity + "segmentation.anlm"));
  EXPECT_TRUE(SerializeModel(*cls) == testing::ReadFileOrDie(kParity + "classification.anlm"));
}

}  // namespace
}  // namespace anomalens
