// The trainer's self-check: synthetic defects pasted into held-out normal
// training images are scored, summarized per family and size, kept in the
// model file and in the EvaluationResult, and change nothing else.
#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <string>

#include "core/lookout/evaluation.h"
#include "core/lookout/self_check_report.h"
#include "core/selfcheck/synthetic_defect.h"
#include "core/model/model_file.h"
#include "core/model/trainer.h"
#include "core/synthetic/synthetic_dataset.h"
#include "test_support.h"

namespace anomalens {
namespace {

TEST(SelfCheckTally, CountsRecallFalsePositivesAndRocAucPerGroup) {
  SelfCheckTally tally;
  tally.Add({"spot", 0, 5.0});     // caught
  tally.Add({"spot", 2, 1.0});     // missed, below every normal
  tally.Add({"scratch", 2, 3.5});  // caught
  const std::vector<double> normals = {1.5, 2.0, 2.5, 4.0};  // one at or above the threshold
  const SelfCheckReport r = tally.Summarize(normals, 3.0, nullptr);
  ASSERT_TRUE(r.ran());
  EXPECT_EQ(r.defects, 3);
  EXPECT_EQ(r.normal_images, 4);
  EXPECT_DOUBLE_EQ(r.recall, 2.0 / 3);
  EXPECT_DOUBLE_EQ(r.false_positive_rate, 0.25);
  // Pairs (defect > normal): 5.0 beats 4, 1.0 beats 0, 3.5 beats 3: 7 of 12.
  EXPECT_DOUBLE_EQ(r.image_rocauc, 7.0 / 12);
  ASSERT_EQ(r.families.size(), 2u);
  EXPECT_EQ(r.families[0].name, "spot");
  EXPECT_EQ(r.families[0].defects, 2);
  EXPECT_EQ(r.families[0].detected, 1);
  EXPECT_DOUBLE_EQ(r.families[0].image_rocauc, 4.0 / 8);
  EXPECT_EQ(r.families[1].name, "scratch");
  EXPECT_DOUBLE_EQ(r.families[1].image_rocauc, 3.0 / 4);
  ASSERT_EQ(r.sizes.size(), 2u);  // classes 0 and 2; class 1 had none
  EXPECT_EQ(r.sizes[0].name, SelfCheckSizeClassName(0));
  EXPECT_EQ(r.sizes[1].name, SelfCheckSizeClassName(2));
  EXPECT_EQ(r.sizes[1].defects, 2);
  EXPECT_TRUE(std::isnan(r.pixel_aupro));  // no pixels given
  EXPECT_FALSE(SelfCheckTally().Summarize(normals, 3.0, nullptr).ran());
}

TEST(SelfCheckTally, SizeClassesFollowTheirBounds) {
  EXPECT_EQ(SelfCheckSizeClass(0.0001), 0);
  EXPECT_EQ(SelfCheckSizeClass(0.00099), 0);
  EXPECT_EQ(SelfCheckSizeClass(0.001), 1);
  EXPECT_EQ(SelfCheckSizeClass(0.0049), 1);
  EXPECT_EQ(SelfCheckSizeClass(0.005), 2);
  EXPECT_EQ(SelfCheckSizeClass(0.02), 2);
}

// Plates at half the default size keep the suite quick; each count is
// trained once.
Model TrainPlatesUncached(int self_check_defects) {
  SyntheticOptions small;
  small.width = kSyntheticWidth / 2;
  small.height = kSyntheticHeight / 2;
  ModelConfig config;
  config.self_check_defects = self_check_defects;
  Trainer trainer(testing::SharedBackbone(), config);
  trainer.ExpectNormalImages(10);
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(trainer.AddImage(GenerateSyntheticSample(5, i, false, small).image, ImageLabel::kNormal).ok());
  // The few-pixel class on top: one for every kSelfCheckDefectsPerFewPixel.
  EXPECT_EQ(trainer.synthetic_defects(), self_check_defects + FewPixelSelfCheckDefects(self_check_defects));
  auto model = trainer.Finish();
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : Model{};
}

const Model& TrainPlates(int self_check_defects) {
  static std::map<int, Model> trained;
  auto it = trained.find(self_check_defects);
  if (it == trained.end()) it = trained.emplace(self_check_defects, TrainPlatesUncached(self_check_defects)).first;
  return it->second;
}

TEST(SelfCheck, ScoresEveryFamilyAndChangesNothingElse) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  const Model with = TrainPlates(14);
  const Model without = TrainPlates(0);
  const SelfCheckReport& r = with.stats.self_check;
  ASSERT_TRUE(r.ran());
  std::printf("%s\n", FormatSelfCheck(r).c_str());
  EXPECT_EQ(r.defects, 14 + 4);  // and 4 of the few-pixel class
  // The held-out normals, and the first kCompressionCheckImages of them
  // again after the JPEG-like round trip (model.h).
  EXPECT_EQ(r.normal_images, 10 + std::min(kCompressionCheckImages, 10));
  // 14 plans: two of each family, and 4 few-pixel ones for 4 families.
  ASSERT_EQ(r.families.size(), AllDefectFamilies().size());
  int in_families = 0;
  for (const SelfCheckGroup& g : r.families) {
    EXPECT_GE(g.defects, 2) << g.name;
    EXPECT_LE(g.defects, 3) << g.name;
    in_families += g.defects;
  }
  EXPECT_EQ(in_families, 18);
  int sized = 0;
  for (const SelfCheckGroup& g : r.sizes) sized += g.defects;
  EXPECT_EQ(sized, 18);
  ASSERT_FALSE(r.sizes.empty());
  EXPECT_EQ(r.sizes.back().name, "3-8 px");
  EXPECT_EQ(r.sizes.back().defects, 4);
  for (double v : {r.image_rocauc, r.pixel_rocauc, r.pixel_aupro, r.recall, r.false_positive_rate}) {
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
  // On the plain synthetic plates most pasted defects stand out.
  EXPECT_GT(r.image_rocauc, 0.6);
  EXPECT_GT(r.pixel_rocauc, 0.7);
  // The synthetic defects are only scored: bank, threshold and calibration
  // scores are those of a model trained without them.
  EXPECT_EQ(with.bank, without.bank);
  EXPECT_EQ(with.threshold, without.threshold);
  EXPECT_EQ(with.stats.calibration_normal_scores, without.stats.calibration_normal_scores);
  EXPECT_FALSE(without.stats.self_check.ran());
}

// A per-position model's Gaussians take their compression floor
// (position_model.h) from the compression check's round trips whether the
// self-check runs or not, and its threshold stays on the clean normals: the
// same model either way.
TEST(SelfCheck, PerPositionModelsKeepTheirCompressionFloorWithoutIt) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  SyntheticOptions small;
  small.width = kSyntheticWidth / 2;
  small.height = kSyntheticHeight / 2;
  Model models[2];
  for (int k = 0; k < 2; ++k) {
    ModelConfig config;
    config.normal_model = NormalModelKind::kPerPosition;
    config.dark_spots = false;
    config.self_check_defects = k == 0 ? 6 : 0;
    Trainer trainer(testing::SharedBackbone(), config);
    for (int i = 0; i < 10; ++i)
      ASSERT_TRUE(trainer.AddImage(GenerateSyntheticSample(5, i, false, small).image, ImageLabel::kNormal).ok());
    auto model = trainer.Finish();
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    models[k] = *model;
  }
  ASSERT_EQ(models[0].normal_model, NormalModelKind::kPerPosition);
  ASSERT_FALSE(models[0].position.empty());
  EXPECT_TRUE(models[0].stats.self_check.ran());
  EXPECT_EQ(models[0].position.params, models[1].position.params);
  EXPECT_EQ(models[0].threshold, models[1].threshold);
}

TEST(SelfCheck, ReportSurvivesTheModelFileAndTrainingIsDeterministic) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  Model model = TrainPlates(6);  // a copy
  model.stats.self_check.pixel_aupro = std::numeric_limits<double>::quiet_NaN();  // written as null
  const std::vector<uint8_t> bytes = SerializeModel(model);
  auto read = ParseModelFile(bytes);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  const SelfCheckReport& a = model.stats.self_check;
  const SelfCheckReport& b = read->stats.self_check;
  EXPECT_EQ(read->config.self_check_defects, 6);
  EXPECT_EQ(b.defects, a.defects);
  EXPECT_EQ(b.image_rocauc, a.image_rocauc);
  EXPECT_EQ(b.recall, a.recall);
  EXPECT_TRUE(std::isnan(b.pixel_aupro));
  ASSERT_EQ(b.families.size(), a.families.size());
  EXPECT_EQ(b.families[3].name, a.families[3].name);
  EXPECT_EQ(b.families[3].image_rocauc, a.families[3].image_rocauc);
  // The compression check's counts: its copies, and those over the threshold.
  EXPECT_EQ(a.compressed_normals, std::min(kCompressionCheckImages, 10));
  EXPECT_LE(a.compressed_flagged, a.compressed_normals);
  EXPECT_EQ(b.compressed_normals, a.compressed_normals);
  EXPECT_EQ(b.compressed_flagged, a.compressed_flagged);
  EXPECT_EQ(SerializeModel(*read), bytes);
  // Files written before the counts existed still load, with none; counts
  // that do not add up are refused.
  std::string text(bytes.begin(), bytes.end());
  const std::string counts = "\"compressed_flagged\":" + std::to_string(a.compressed_flagged) +
                             ",\"compressed_normals\":" + std::to_string(a.compressed_normals) + ",";
  const size_t at = text.find(counts);
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(SerializeModel(TrainPlatesUncached(6)), SerializeModel(TrainPlates(6)));

  {
    std::string older = text;
    older.erase(at, counts.size());
    older.insert(at, std::string(counts.size(), ' '));  // keeps the metadata's length
    std::vector<uint8_t> older_bytes(older.begin(), older.end());
    testing::FixModelChecksum(&older_bytes);
    auto old_file = ParseModelFile(older_bytes);
    ASSERT_TRUE(old_file.ok()) << old_file.status().ToString();
    EXPECT_EQ(old_file->stats.self_check.compressed_normals, 0);
    EXPECT_EQ(old_file->stats.self_check.image_rocauc, a.image_rocauc);
    std::string bad = text;
    bad.replace(at, counts.size(), "\"compressed_flagged\":9,\"compressed_normals\":8," +
                                       std::string(counts.size() - 46, ' '));
    std::vector<uint8_t> bad_bytes(bad.begin(), bad.end());
    testing::FixModelChecksum(&bad_bytes);
    auto refused = ParseModelFile(bad_bytes);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("\"self_check\" is malformed"), std::string::npos)
        << refused.status().ToString();
  }

  // A model without a self-check writes neither key.
  const std::vector<uint8_t> plain = SerializeModel(TrainPlates(0));
  const std::string plain_text(plain.begin(), plain.end());
  EXPECT_EQ(plain_text.find("self_check"), std::string::npos);
}

TEST(SelfCheck, EvaluationResultCarriesIt) {
  SelfCheckTally tally;
  tally.Add({"spot", 1, 5.0});
  const SelfCheckReport r = tally.Summarize({1.0, 2.0}, 3.0, nullptr);
  EvaluationDetails details;
  details.self_check = &r;
  const std::string json = EvaluationResultJson(EvaluationMetrics{}, details);
  EXPECT_NE(json.find("\"AnomalensSelfCheck\":{\"SyntheticDefects\":1,\"HeldOutNormalImages\":2,\"ROCAUC\":1.0"),
            std::string::npos)
      << json;
  EXPECT_EQ(EvaluationResultJson(EvaluationMetrics{}, EvaluationDetails{}).find("AnomalensSelfCheck"), std::string::npos);
}

TEST(SelfCheck, DefectCountOutsideItsLimitIsRejected) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  ModelConfig config;
  config.self_check_defects = kMaxSelfCheckDefects + 1;
  Trainer trainer(testing::SharedBackbone(), config);
  const Status s = trainer.AddImage(GenerateSyntheticSample(5, 0, false).image, ImageLabel::kNormal);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("self-check defects must be 0 to 1000"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace anomalens
