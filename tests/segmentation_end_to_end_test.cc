// Segmentation models end to end: on the synthetic set's three defect types
// (always), and on Lookout's cookies (when ../shared is present): the two
// reference images of Lookout's getting-started guide, pixel quality on the
// held-out split, and image-level quality no worse than classification's.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "core/image/image_decode.h"
#include "core/lookout/anomaly_classes.h"
#include "core/lookout/class_mask.h"
#include "core/lookout/class_pixel_metrics.h"
#include "core/lookout/dataset_split.h"
#include "core/lookout/evaluation.h"
#include "core/lookout/pixel_metrics.h"
#include "core/lookout/result_json.h"
#include "core/model/detector.h"
#include "core/model/model_file.h"
#include "core/model/trainer.h"
#include "core/synthetic/synthetic_dataset.h"
#include "native/jobs/dataset_loader.h"
#include "native/jobs/file_io.h"
#include "test_support.h"

namespace anomalens {
namespace {

// The synthetic generator's defect types, as anomalens synth colours them.
const std::vector<AnomalyClass> kSyntheticClasses = {{"scratch", 0xE6194B}, {"dent", 0x3CB44B}, {"stain", 0x4363D8}};

ClassMask SyntheticClassMask(const SyntheticSample& s) {
  ClassMask mask{s.image.width, s.image.height, std::vector<uint8_t>(s.mask.size(), 0)};
  uint8_t k = 0;
  for (size_t i = 0; i < kSyntheticClasses.size(); ++i)
    if (kSyntheticClasses[i].name == s.defect) k = static_cast<uint8_t>(i + 1);
  for (size_t i = 0; i < s.mask.size(); ++i) mask.labels[i] = s.mask[i] ? k : 0;
  return mask;
}

// A segmentation model on `normals` normal and 12 masked defective scenes.
StatusOr<Model> TrainSyntheticSegmentation(const ModelConfig& config, int normals) {
  Trainer trainer(testing::SharedBackbone(), config, kSyntheticClasses);
  for (int i = 0; i < normals; ++i) {
    RETURN_IF_ERROR(trainer.AddImage(GenerateSyntheticSample(3, i, false).image, ImageLabel::kNormal));
  }
  for (int i = 0; i < 12; ++i) {
    const SyntheticSample s = GenerateSyntheticSample(3, i, true);
    const ClassMask mask = SyntheticClassMask(s);
    RETURN_IF_ERROR(trainer.AddImage(s.image, ImageLabel::kAnomaly, &mask));
  }
  return trainer.Finish();
}

TEST(SegmentationEndToEnd, SyntheticDefectTypesAreNamedAndLocated) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  auto model = TrainSyntheticSegmentation(ModelConfig{}, 12);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(model->segmentation.classes.size(), 3u);
  // The class memory or the per-class head names the types, whichever named
  // more of the held-out training defects right (the memory on a tie).
  const TrainingStats& st = model->stats;
  EXPECT_EQ(model->segmentation.class_bank.empty(), model->segmentation.class_head.enabled());
  EXPECT_GT(st.held_out_defects, 0);
  EXPECT_EQ(model->segmentation.class_head.enabled(),
            st.head_named_defects > st.memory_named_defects ||
                (st.head_named_defects == st.memory_named_defects && st.head_named_cells > st.memory_named_cells));
  std::printf("types named by the %s: held-out defects named right, memory %d, head %d of %d\n",
              model->segmentation.class_head.enabled() ? "head" : "memory", st.memory_named_defects,
              st.head_named_defects, st.held_out_defects);
  auto detector = Detector::FromModel(*model, testing::SharedBackbone());
  ASSERT_TRUE(detector.ok());

  ClassPixelMetricsAccumulator classes(3);
  int named_right = 0, anomalous = 0;
  for (int i = 100; i < 112; ++i) {
    for (bool defective : {false, true}) {
      const SyntheticSample s = GenerateSyntheticSample(3, i, defective);
      auto analysis = (*detector)->Analyze(s.image);
      ASSERT_TRUE(analysis.ok());
      const DetectAnomalyResult& r = analysis->result;
      // Lookout's semantics, whatever the quality.
      ASSERT_FALSE(r.anomalies.empty());
      EXPECT_EQ(r.anomalies[0].name, "background");
      EXPECT_EQ(r.is_anomalous, r.anomalies.size() > 1);
      double area = 0;
      for (const Anomaly& a : r.anomalies) area += a.pixel_anomaly.total_percentage_area;
      EXPECT_NEAR(area, 1.0, 1e-12);
      const ClassMask truth = SyntheticClassMask(s);
      ASSERT_TRUE(classes.AddImage(analysis->segmentation.labels.data(), truth.labels.data(), truth.labels.size()).ok());
      if (!defective || !r.is_anomalous) continue;
      ++anomalous;
      named_right += r.anomalies.size() == 2 && r.anomalies[1].name == s.defect;
    }
  }
  std::printf("segmentation: %d of 12 found, %d named right, AIOU %.3f %.3f %.3f\n", anomalous, named_right,
              classes.Results()[0].aiou, classes.Results()[1].aiou, classes.Results()[2].aiou);
  // Measured before issue 19: 12 of 12 defective images found, 11 named
  // right; AIOU scratch 0.155 (thin lines at 8-px feature cells), dent
  // 0.407, stain 0.544. With the defect head and refinement: 12 named right,
  // AIOU 0.868, 0.929, 0.942, by the class memory or the per-class head
  // alike (held-out folds chose the head: 12 of 12 against 11). The floors
  // catch a broken namer or pixel rule.
  EXPECT_GE(anomalous, 10);
  EXPECT_GE(named_right, anomalous * 2 / 3);
  for (const ClassPixelMetrics& m : classes.Results()) EXPECT_GE(m.aiou, 0.1);
}

// A per-position model (stride-4 grid) segments from its own map, and names
// defects with the class memory on the stride-8 grid.
TEST(SegmentationEndToEnd, PerPositionModelSegmentsFromItsStride4Map) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  ModelConfig config;
  config.normal_model = NormalModelKind::kPerPosition;
  auto model = TrainSyntheticSegmentation(config, 24);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(model->normal_model, NormalModelKind::kPerPosition);
  ASSERT_EQ(model->position.stride, 4);
  EXPECT_EQ(model->segmentation.class_bank.empty(), model->segmentation.class_head.enabled());
  EXPECT_EQ(model->segmentation.class_bank.size() % kPatchFeatureDim, 0u) << "class memory on the stride-8 grid";
  if (model->segmentation.class_head.enabled())
    EXPECT_EQ(model->segmentation.class_head.classes[0].dim(), kPatchFeatureDim) << "class head on the stride-8 grid";
  auto detector = Detector::Create(SerializeModel(*model), testing::SharedBackbone());
  ASSERT_TRUE(detector.ok()) << detector.status().ToString();

  ClassPixelMetricsAccumulator classes(3);
  int named_right = 0, anomalous = 0;
  for (int i = 100; i < 112; ++i) {
    for (bool defective : {false, true}) {
      const SyntheticSample s = GenerateSyntheticSample(3, i, defective);
      auto analysis = (*detector)->Analyze(s.image);
      ASSERT_TRUE(analysis.ok()) << analysis.status().ToString();
      const DetectAnomalyResult& r = analysis->result;
      ASSERT_FALSE(r.anomalies.empty());
      EXPECT_EQ(r.anomalies[0].name, "background");
      EXPECT_EQ(r.is_anomalous, r.anomalies.size() > 1);
      ASSERT_EQ(analysis->segmentation.labels.size(), static_cast<size_t>(s.image.width) * s.image.height);
      const ClassMask truth = SyntheticClassMask(s);
      ASSERT_TRUE(classes.AddImage(analysis->segmentation.labels.data(), truth.labels.data(), truth.labels.size()).ok());
      if (!defective || !r.is_anomalous) continue;
      ++anomalous;
      named_right += r.anomalies.size() == 2 && r.anomalies[1].name == s.defect;
    }
  }
  RecordProperty("anomalous", anomalous);
  RecordProperty("named_right", named_right);
  for (size_t k = 0; k < 3; ++k) RecordProperty("aiou_" + std::to_string(k), std::to_string(classes.Results()[k].aiou));
  std::printf("per-position segmentation: %d of 12 found, %d named right, AIOU %.3f %.3f %.3f\n", anomalous,
              named_right, classes.Results()[0].aiou, classes.Results()[1].aiou, classes.Results()[2].aiou);
  // Measured before issue 19: 12 of 12 found, 10 named right; AIOU scratch
  // 0.270, dent 0.511, stain 0.524 (the stride-4 map is finer than the
  // bank's). Now, types by the per-class head (held-out folds chose it): 12
  // named right, AIOU 0.895, 0.750, 0.949; by the class memory: 11, 0.895,
  // 0.578, 0.791.
  EXPECT_GE(anomalous, 10);
  EXPECT_GE(named_right, anomalous * 2 / 3);
  for (const ClassPixelMetrics& m : classes.Results()) EXPECT_GE(m.aiou, 0.15);
}

// The cookies, trained as the quick start does: train.manifest split 80/20.
class CookieSegmentation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::SharedDataPresent() || testing::SharedBackbone() == nullptr) return;
    const std::string dir = testing::SharedPath("data/lookout-cookies/");
    auto train = LoadManifestFile(dir + "manifests/train.manifest");
    ASSERT_TRUE(train.ok());
    split_ = new DatasetSplit(SplitDataset(*train));
    auto classes = CollectAnomalyClasses(split_->train);
    ASSERT_TRUE(classes.ok());
    ModelConfig segmentation_config;  // as `anomalens train` configures a project with masks
    segmentation_config.short_side = DefaultShortSide(true);
    // These tests judge segmentation, not the self-check, which only scores
    // (tests/self_check_test.cc): without its 42 defect images each of the
    // suite's five processes trains faster (33 -> 27 s each here, at -j2),
    // and more so under the sanitizers, where they are the slowest tests.
    segmentation_config.self_check_defects = 0;
    ModelConfig classification_config;
    classification_config.self_check_defects = 0;
    Trainer segmentation(testing::SharedBackbone(), segmentation_config, *classes);
    Trainer classification(testing::SharedBackbone(), classification_config);
    for (const ManifestEntry& e : split_->train) {
      const RgbImage image = Decode(e.image_path);
      ASSERT_TRUE(classification.AddImage(image, e.label).ok());
      if (e.mask_ref.empty()) {
        ASSERT_TRUE(segmentation.AddImage(image, e.label).ok());
        continue;
      }
      auto mask = DecodeClassMask(testing::ReadFileOrDie(e.mask_path), {image.width, image.height}, e.color_map,
                                  *classes);
      ASSERT_TRUE(mask.ok()) << mask.status().ToString();
      ASSERT_TRUE(segmentation.AddImage(image, e.label, &*mask).ok());
    }
    auto seg = segmentation.Finish();
    auto cls = classification.Finish();
    ASSERT_TRUE(seg.ok() && cls.ok());
    segmentation_ = Detector::FromModel(*seg, testing::SharedBackbone()).value().release();
    classification_ = Detector::FromModel(*cls, testing::SharedBackbone()).value().release();
  }
  static void TearDownTestSuite() {
    delete segmentation_;
    delete classification_;
    delete split_;
  }
  void SetUp() override {
    REQUIRE_SHARED_DATA();
    ASSERT_NE(segmentation_, nullptr);
  }
  static RgbImage Decode(const std::string& path) {
    auto image = DecodeImage(testing::ReadFileOrDie(path), "");
    EXPECT_TRUE(image.ok()) << path;
    return image.ok() ? *image : RgbImage{};
  }
  static std::vector<EvaluatedImage> EvaluateTestManifest(const Detector& detector) {
    auto test = LoadManifestFile(testing::SharedPath("data/lookout-cookies/manifests/test.manifest"));
    EXPECT_TRUE(test.ok());
    std::vector<EvaluatedImage> results;
    for (const ManifestEntry& e : *test) results.push_back({e.label == ImageLabel::kAnomaly, *detector.DetectImage(Decode(e.image_path))});
    return results;
  }

  static DatasetSplit* split_;
  static Detector* segmentation_;
  static Detector* classification_;
};
DatasetSplit* CookieSegmentation::split_ = nullptr;
Detector* CookieSegmentation::segmentation_ = nullptr;
Detector* CookieSegmentation::classification_ = nullptr;

TEST_F(CookieSegmentation, TestAnomaly1IsCrackedOverASmallArea) {
  auto r = segmentation_->DetectImage(Decode(testing::SharedPath("data/lookout-cookies/test-images/test-anomaly-1.jpg")));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_anomalous);
  ASSERT_EQ(r->anomalies.size(), 2u);
  EXPECT_EQ(r->anomalies[0].name, "background");
  EXPECT_EQ(r->anomalies[0].pixel_anomaly.color, 0xFFFFFFu);
  EXPECT_EQ(r->anomalies[1].name, "cracked");
  EXPECT_EQ(r->anomalies[1].pixel_anomaly.color, 0x23A436u);
  const double cracked = r->anomalies[1].pixel_anomaly.total_percentage_area;
  EXPECT_GE(cracked, 0.005);  // the range; measured 0.0163 (Lookout's guide shows 0.018)
  EXPECT_LE(cracked, 0.05);
  // The mask: the input's size, white background, the class colour, and the
  // same share of pixels as the area says.
  auto mask = DecodeImage(r->anomaly_mask_png, "image/png");
  ASSERT_TRUE(mask.ok());
  EXPECT_EQ(mask->width, 576);
  EXPECT_EQ(mask->height, 768);
  size_t green = 0;
  for (size_t i = 0; i < mask->pixels.size(); i += 3) {
    const uint32_t rgb = (uint32_t(mask->pixels[i]) << 16) | (mask->pixels[i + 1] << 8) | mask->pixels[i + 2];
    ASSERT_TRUE(rgb == 0xFFFFFF || rgb == 0x23A436) << std::hex << rgb;
    green += rgb == 0x23A436;
  }
  EXPECT_DOUBLE_EQ(cracked, static_cast<double>(green) / (576 * 768));
}

TEST_F(CookieSegmentation, TestNormal1HasOnlyBackground) {
  auto r = segmentation_->DetectImage(Decode(testing::SharedPath("data/lookout-cookies/test-images/test-normal-1.jpg")));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->is_anomalous);
  ASSERT_EQ(r->anomalies.size(), 1u);
  EXPECT_EQ(r->anomalies[0].name, "background");
  EXPECT_EQ(r->anomalies[0].pixel_anomaly.total_percentage_area, 1.0);
  EXPECT_NE(DetectAnomalyResultJson(*r).find("\"AnomalyMask\":\""), std::string::npos);
}

TEST_F(CookieSegmentation, ClassificationModelHasNoAnomaliesOrMask) {
  auto r = classification_->DetectImage(Decode(testing::SharedPath("data/lookout-cookies/test-images/test-anomaly-1.jpg")));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->anomalies.empty());
  EXPECT_TRUE(r->anomaly_mask_png.empty());
  const std::string json = DetectAnomalyResultJson(*r);
  EXPECT_EQ(json.find("Anomalies"), std::string::npos);
  EXPECT_EQ(json.find("AnomalyMask"), std::string::npos);
}

TEST_F(CookieSegmentation, ImageLevelQualityIsNoWorseThanClassification) {
  const EvaluationMetrics seg = Evaluate(EvaluateTestManifest(*segmentation_));
  const EvaluationMetrics cls = Evaluate(EvaluateTestManifest(*classification_));
  EXPECT_GE(seg.roc_auc, cls.roc_auc);
  EXPECT_GE(seg.f1, cls.f1);
}

// Pixel quality on the held-out fifth of train.manifest (its anomalies have
// masks). Measured: pixel ROCAUC 0.9894, cracked AIOU 0.5045, F1 0.6716.
TEST_F(CookieSegmentation, HeldOutPixelQualityMeetsTheFloor) {
  const std::vector<AnomalyClass>& classes = segmentation_->model().segmentation.classes;
  PixelMetricsAccumulator pixels(8.0 * segmentation_->model().threshold);
  ClassPixelMetricsAccumulator per_class(classes.size());
  for (const ManifestEntry& e : split_->test) {
    const RgbImage image = Decode(e.image_path);
    auto analysis = segmentation_->Analyze(image);
    ASSERT_TRUE(analysis.ok());
    ClassMask truth{image.width, image.height, std::vector<uint8_t>(static_cast<size_t>(image.width) * image.height, 0)};
    if (!e.mask_ref.empty()) {
      auto mask = DecodeClassMask(testing::ReadFileOrDie(e.mask_path), {image.width, image.height}, e.color_map, classes);
      ASSERT_TRUE(mask.ok());
      truth = *mask;
    }
    std::vector<uint8_t> defect(truth.labels.size());
    for (size_t i = 0; i < defect.size(); ++i) defect[i] = truth.labels[i] != 0;
    const std::vector<float> map = analysis->map.ToOriginal();
    ASSERT_TRUE(pixels.AddImage(map.data(), defect.data(), image.width, image.height).ok());
    ASSERT_TRUE(per_class.AddImage(analysis->segmentation.labels.data(), truth.labels.data(), truth.labels.size()).ok());
  }
  EXPECT_GE(pixels.PixelRocAuc(), 0.97);
  EXPECT_GE(per_class.Results()[0].aiou, 0.45);
}

}  // namespace
}  // namespace anomalens
