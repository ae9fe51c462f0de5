// Training and detection end to end: on the synthetic inspection set (always),
// and on Lookout's cookie set (when ../shared is present) with a ROCAUC floor.
#include <gtest/gtest.h>

#include <optional>

#include "core/image/image_decode.h"
#include "core/lookout/anomaly_classes.h"
#include "core/lookout/dataset_split.h"
#include "core/lookout/evaluation.h"
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


struct SyntheticRun {
  Model model;
  std::vector<EvaluatedImage> test;
};

SyntheticRun TrainSynthetic(bool with_anomalies) {
  Trainer trainer(testing::SharedBackbone(), ModelConfig{});
  for (int i = 0; i < 12; ++i) EXPECT_TRUE(trainer.AddImage(GenerateSyntheticSample(3, i, false).image, ImageLabel::kNormal).ok());
  if (with_anomalies)
    for (int i = 0; i < 6; ++i) EXPECT_TRUE(trainer.AddImage(GenerateSyntheticSample(3, i, true).image, ImageLabel::kAnomaly).ok());
  auto model = trainer.Finish();
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  SyntheticRun run{*model, {}};
  auto detector = Detector::FromModel(*model, testing::SharedBackbone());
  EXPECT_TRUE(detector.ok());
  for (int i = 100; i < 110; ++i) {
    for (bool anomalous : {false, true}) {
      auto r = (*detector)->DetectImage(GenerateSyntheticSample(3, i, anomalous).image);
      EXPECT_TRUE(r.ok());
      run.test.push_back({anomalous, *r});
    }
  }
  return run;
}

// Each run trained once a process: the suite runs as one CTest test
// (ANOMALENS_SHARED_FIXTURE_SUITES in tests/CMakeLists.txt), so its tests
// share the two trainings instead of making four.
const SyntheticRun& TrainedSynthetic(bool with_anomalies) {
  static std::optional<SyntheticRun> runs[2];
  if (!runs[with_anomalies]) runs[with_anomalies] = TrainSynthetic(with_anomalies);
  return *runs[with_anomalies];
}

TEST(TrainingEndToEnd, SyntheticSetIsSeparated) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  for (bool with_anomalies : {true, false}) {
    const SyntheticRun& run = TrainedSynthetic(with_anomalies);
    const EvaluationMetrics m = Evaluate(run.test);
    EXPECT_GE(m.roc_auc, 0.9) << "with anomalies: " << with_anomalies;
    EXPECT_GE(m.f1, 0.8) << "with anomalies: " << with_anomalies;
    EXPECT_EQ(run.model.threshold_rule, with_anomalies ? ThresholdRule::kF1Optimal : ThresholdRule::kNormalFalsePositiveRate);
    EXPECT_EQ(run.model.anomaly_bank_rows, with_anomalies ? 6u * 10u : 0u);
  }
}

TEST(TrainingEndToEnd, SaveLoadDetectGivesIdenticalResults) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  const SyntheticRun& run = TrainedSynthetic(true);
  const std::vector<uint8_t> bytes = SerializeModel(run.model);
  auto in_memory = Detector::FromModel(run.model, testing::SharedBackbone());
  auto loaded = Detector::Create(bytes, testing::SharedBackbone());
  ASSERT_TRUE(in_memory.ok());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  for (int i = 200; i < 204; ++i) {
    const RgbImage image = GenerateSyntheticSample(3, i, i % 2 == 1).image;
    auto a = (*in_memory)->DetectImage(image);
    auto b = (*loaded)->DetectImage(image);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->score, b->score);
    EXPECT_EQ(DetectAnomalyResultJson(*a), DetectAnomalyResultJson(*b));
  }
}

TEST(TrainingEndToEnd, ModelFromAnotherBackboneIsRejected) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  Model model = TrainedSynthetic(false).model;
  model.backbone_checksum ^= 1;
  auto detector = Detector::FromModel(model, testing::SharedBackbone());
  ASSERT_FALSE(detector.ok());
  EXPECT_NE(detector.status().message().find("trained on backbone"), std::string::npos);
}

// The Trainer's own checks, which train nothing to speak of: a suite of
// their own, so that CTest runs them one by one, under the sanitizers too,
// rather than within TrainingEndToEnd (a shared-fixture suite the ASan run
// leaves out for its trainings).
TEST(TrainingChecks, FinishNeedsTwoNormalImages) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  Trainer trainer(testing::SharedBackbone(), ModelConfig{});
  ASSERT_TRUE(trainer.AddImage(GenerateSyntheticSample(4, 0, false).image, ImageLabel::kNormal).ok());
  ASSERT_TRUE(trainer.AddImage(GenerateSyntheticSample(4, 0, true).image, ImageLabel::kAnomaly).ok());
  auto model = trainer.Finish();
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(model.status().message().find("at least 2 normal images; got 1"), std::string::npos);
}

TEST(TrainingChecks, HooksReportProgressAndCancel) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  Trainer trainer(testing::SharedBackbone(), ModelConfig{});
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(trainer.AddImage(GenerateSyntheticSample(4, i, false).image, ImageLabel::kNormal).ok());
  std::vector<size_t> reported;
  Hooks hooks;
  hooks.progress = [&](std::string_view stage, size_t done, size_t total) {
    EXPECT_EQ(stage, "calibration");
    EXPECT_EQ(total, 5u);  // 4 folds (one per normal image) and the final bank
    reported.push_back(done);
  };
  hooks.cancelled = [&] { return reported.size() >= 2; };
  auto model = trainer.Finish(hooks);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(reported, (std::vector<size_t>{0, 1}));
}

TEST(TrainingChecks, BadConfigIsRejectedOnFirstImage) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  ModelConfig config;
  config.coreset_ratio = 0;
  Trainer trainer(testing::SharedBackbone(), config);
  const Status s = trainer.AddImage(GenerateSyntheticSample(4, 0, false).image, ImageLabel::kNormal);
  EXPECT_EQ(s.code(), StatusCode::kInvalidInput);
  EXPECT_NE(s.message().find("coreset ratio must be in (0, 1]"), std::string::npos);
}

// A project's classes may grow between images (new defect types named), not
// shrink or change, and only up to the project's limit.
TEST(TrainingChecks, ClassesMayOnlyGrow) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  const AnomalyClass scratch{"scratch", 0xE6194B}, dent{"dent", 0x3CB44B}, stain{"stain", 0x4363D8};
  Trainer trainer(testing::SharedBackbone(), ModelConfig{}, {scratch});
  EXPECT_TRUE(trainer.ExtendClasses({scratch, dent}).ok());
  const Status shrunk = trainer.ExtendClasses({scratch});
  EXPECT_EQ(shrunk.code(), StatusCode::kInvalidInput);
  EXPECT_NE(shrunk.message().find("the classes may only grow: class 2 was 'dent'"), std::string::npos)
      << shrunk.message();
  const Status changed = trainer.ExtendClasses({stain, dent, scratch});
  EXPECT_NE(changed.message().find("class 1 was 'scratch'"), std::string::npos) << changed.message();
  std::vector<AnomalyClass> many(kMaxProjectAnomalyClasses + 1, stain);
  many[0] = scratch, many[1] = dent;
  const Status too_many = trainer.ExtendClasses(many);
  EXPECT_NE(too_many.message().find("at most 100 anomaly classes; got 101"), std::string::npos) << too_many.message();
  EXPECT_TRUE(trainer.ExtendClasses({scratch, dent, stain}).ok());
}

// Lookout's getting-started data: train on train.manifest (split 80/20 as a
// single dataset), evaluate on test.manifest. Measured: ROCAUC 1.0, F1 1.0;
// the floor leaves room for harmless changes, not for regressions to
// normal-only quality (ROCAUC 0.955).
TEST(TrainingEndToEnd, CookiesMeetTheQualityFloor) {
  REQUIRE_SHARED_DATA();
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  const std::string dir = testing::SharedPath("data/lookout-cookies/manifests/");
  auto train = LoadManifestFile(dir + "train.manifest");
  auto test = LoadManifestFile(dir + "test.manifest");
  ASSERT_TRUE(train.ok() && test.ok());
  const DatasetSplit split = SplitDataset(*train);
  Trainer trainer(testing::SharedBackbone(), ModelConfig{});
  auto decode = [](const std::string& path) {
    auto bytes = ReadFile(path, 8u << 20);
    EXPECT_TRUE(bytes.ok());
    auto image = DecodeImage(*bytes, "image/jpeg");
    EXPECT_TRUE(image.ok()) << path;
    return *image;
  };
  for (const ManifestEntry& e : split.train) ASSERT_TRUE(trainer.AddImage(decode(e.image_path), e.label).ok());
  auto model = trainer.Finish();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto detector = Detector::FromModel(*model, testing::SharedBackbone());
  ASSERT_TRUE(detector.ok());
  std::vector<EvaluatedImage> results;
  for (const ManifestEntry& e : *test) {
    auto r = (*detector)->DetectImage(decode(e.image_path));
    ASSERT_TRUE(r.ok());
    results.push_back({e.label == ImageLabel::kAnomaly, *r});
  }
  const EvaluationMetrics m = Evaluate(results);
  EXPECT_EQ(m.test_images, 22);
  EXPECT_GE(m.roc_auc, 0.98);
  EXPECT_GE(m.f1, 0.9);
}

}  // namespace
}  // namespace anomalens

namespace anomalens {
namespace {

// The automatic split names images by their source-ref as written, so the
// same manifest splits the same way whatever path it is opened by.
TEST(DatasetLoading, SplitDoesNotDependOnHowTheManifestIsReached) {
  REQUIRE_SHARED_DATA();
  const std::string direct = testing::SharedPath("data/lookout-cookies/manifests/train.manifest");
  const std::string roundabout = testing::SharedPath("data/lookout-cookies/test-images/../manifests/train.manifest");
  auto a = LoadManifestFile(direct);
  auto b = LoadManifestFile(roundabout);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)[0].image_path, (*b)[0].image_path);
  const DatasetSplit sa = SplitDataset(*a), sb = SplitDataset(*b);
  ASSERT_EQ(sa.test.size(), sb.test.size());
  for (size_t i = 0; i < sa.test.size(); ++i) EXPECT_EQ(sa.test[i].source_ref, sb.test[i].source_ref);
}

}  // namespace
}  // namespace anomalens
