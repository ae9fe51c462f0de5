// The configuration search: which candidates it tries (and which options
// pin a dimension away), how it ranks them, that the model it returns is the
// model the chosen configuration trains alone, and that its table survives
// the model file.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <string>

#include "core/model/candidate.h"
#include "core/model/configuration_search.h"
#include "core/model/detector.h"
#include "core/model/model_file.h"
#include "core/model/trainer.h"
#include "core/scoring/position_model.h"
#include "core/synthetic/synthetic_dataset.h"
#include "test_support.h"

namespace anomalens {
namespace {

SyntheticOptions SmallPlates() {
  SyntheticOptions small;
  small.width = kSyntheticWidth / 2;  // 160 x 120: quick, and room for a finer scale than 64 px
  small.height = kSyntheticHeight / 2;
  return small;
}

// `normals` normal plates (10 by default) and 3 anomalous ones (labelled, no masks).
template <typename Builder>
void AddPlates(Builder& builder, bool anomalies, int normals = 10) {
  builder.ExpectNormalImages(normals);
  for (int i = 0; i < normals; ++i)
    ASSERT_TRUE(builder.AddImage(GenerateSyntheticSample(5, i, false, SmallPlates()).image, ImageLabel::kNormal).ok());
  for (int i = 0; anomalies && i < 3; ++i)
    ASSERT_TRUE(builder.AddImage(GenerateSyntheticSample(5, 20 + i, true, SmallPlates()).image, ImageLabel::kAnomaly).ok());
}

ModelConfig SmallConfig() {
  ModelConfig config;
  config.short_side = 64;
  config.self_check_defects = 12;
  return config;
}

Model Search(SearchPins pins, ModelConfig config = SmallConfig(), bool anomalies = true, int normals = 10) {
  ConfigurationSearch search(testing::SharedBackbone(), config, {}, pins);
  AddPlates(search, anomalies, normals);
  auto model = search.Finish();
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : Model{};
}

std::set<std::string> Names(const Model& model) {
  std::set<std::string> names;
  for (const CandidateFigures& c : model.stats.search) names.insert(CandidateName(c));
  return names;
}

CandidateFigures Figures(double synthetic, double aupro, double labelled = -1) {
  CandidateFigures c;
  c.synthetic_rocauc = synthetic, c.synthetic_aupro = aupro, c.labelled_rocauc = labelled;
  c.synthetic_defects = 36, c.held_out_normals = 25, c.labelled_anomalies = labelled >= 0 ? 26 : 0;
  return c;
}

TEST(CandidateRanking, LabelledAnomaliesWinThenSyntheticThenAupro) {
  CandidateFigures a = Figures(0.9, 0.3), b = Figures(0.7, 0.3);
  EXPECT_TRUE(CandidateRanksAbove(a, b));
  EXPECT_FALSE(CandidateRanksAbove(b, a));
  // Labelled anomalies disagree with the synthetic ones: they win.
  a.labelled_rocauc = 0.90, b.labelled_rocauc = 0.99;
  a.labelled_anomalies = b.labelled_anomalies = 26;
  EXPECT_FALSE(CandidateRanksAbove(a, b));
  EXPECT_TRUE(CandidateRanksAbove(b, a));
  // Within the margins it is a tie, and the incumbent (the earlier) stays.
  a.labelled_rocauc = b.labelled_rocauc = 0.99;
  a.synthetic_rocauc = 0.805, b.synthetic_rocauc = 0.8;
  a.synthetic_aupro = 0.51, b.synthetic_aupro = 0.5;
  EXPECT_FALSE(CandidateRanksAbove(a, b));
  EXPECT_FALSE(CandidateRanksAbove(b, a));
  a.synthetic_aupro = 0.6;  // a clear AUPRO lead breaks the tie
  EXPECT_TRUE(CandidateRanksAbove(a, b));
  // NaN is no evidence; a candidate that failed never wins.
  a.synthetic_rocauc = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(CandidateRanksAbove(a, b));
  a.synthetic_rocauc = 0.805;
  a.error = "no fit";
  EXPECT_FALSE(CandidateRanksAbove(a, b));
  EXPECT_TRUE(CandidateRanksAbove(b, a));
}

TEST(CandidateRanking, OneThatFlagsMostCompressedNormalsLosesToOneThatDoesNot) {
  // b ranks defects far better, but flags 8 of the 8 compressed copies of
  // held-out normals at its own threshold: a user's re-saved good parts
  // would fail. a flags 1 of 8, so it wins, whatever the ROCAUCs say.
  CandidateFigures a = Figures(0.70, 0.3), b = Figures(0.95, 0.9);
  a.compressed_normals = b.compressed_normals = 8;
  a.compressed_flagged = 1, b.compressed_flagged = 8;
  EXPECT_TRUE(CandidateRanksAbove(a, b));
  EXPECT_FALSE(CandidateRanksAbove(b, a));
  // Half is not most: then the self-check's figures decide as before.
  b.compressed_flagged = 4;
  EXPECT_TRUE(CandidateRanksAbove(b, a));
  // Both flag most: neither is spared, the figures decide.
  a.compressed_flagged = 5, b.compressed_flagged = 7;
  EXPECT_TRUE(CandidateRanksAbove(b, a));
  // No compression check ran (0 copies, --self-check-defects 0): no evidence.
  a.compressed_normals = b.compressed_normals = a.compressed_flagged = b.compressed_flagged = 0;
  EXPECT_TRUE(CandidateRanksAbove(b, a));
  EXPECT_FALSE(CandidateRanksAbove(a, b));
}

TEST(CandidateRanking, DifferencesWithinTheStandardErrorAreTies) {
  // 36 synthetic defects against 25 normals, both near chance (the cookies'
  // self-check): 0.07 apart is within one standard error (about 0.074), and
  // AUPRO does not decide between candidates that cannot find the defects.
  EXPECT_NEAR(RocAucStandardError(0.5733, 36, 25), 0.074, 0.002);
  EXPECT_FALSE(CandidateRanksAbove(Figures(0.5733, 0.24), Figures(0.5050, 0.17)));
  EXPECT_FALSE(CandidateRanksAbove(Figures(0.50, 0.36), Figures(0.50, 0.17)));
  // The same gap higher up, with 10 times the images, is clear.
  CandidateFigures a = Figures(0.90, 0.3), b = Figures(0.83, 0.3);
  a.synthetic_defects = b.synthetic_defects = 360;
  a.held_out_normals = b.held_out_normals = 250;
  EXPECT_TRUE(CandidateRanksAbove(a, b));
  // Without pairs there is no evidence at all.
  EXPECT_EQ(RocAucStandardError(0.9, 0, 25), 0.5);
}

TEST(CandidateRanking, WhereLabelledAnomaliesTieASyntheticLeadNeedsACandidateClearlyAboveChance) {
  // The cookies as a classification model (issue 16): 886 px, taps 8+16
  // led the default 0.6017 to 0.5152 on 56 synthetic defects against 25
  // held-out normals, more than the larger standard error apart, but 0.60
  // is within two standard errors of chance, and the 26 labelled anomalies
  // ranked both near 1.0 (0.9892 and 0.9954, a tie): the incumbent stays.
  CandidateFigures incumbent = Figures(0.5152, 0.10, 0.9954), fine = Figures(0.6017, 0.30, 0.9892);
  incumbent.synthetic_defects = fine.synthetic_defects = 56;
  fine.short_side = 886, incumbent.short_side = 224;
  EXPECT_GT(fine.synthetic_rocauc - incumbent.synthetic_rocauc, RocAucStandardError(fine.synthetic_rocauc, 56, 25));
  EXPECT_LT(fine.synthetic_rocauc - 2 * RocAucStandardError(fine.synthetic_rocauc, 56, 25), 0.5);
  EXPECT_FALSE(CandidateRanksAbove(fine, incumbent));
  EXPECT_FALSE(CandidateRanksAbove(incumbent, fine));
  // Nor does it decide through the later keys (few-pixel class, AUPRO).
  fine.few_pixel_defects = incumbent.few_pixel_defects = 14;
  fine.few_pixel_rocauc = 0.9, incumbent.few_pixel_rocauc = 0.4;
  EXPECT_FALSE(CandidateRanksAbove(fine, incumbent));
  // Clearly above chance, the lead decides, whether or not the incumbent is:
  // a candidate that finds the defects where the incumbent does not is what
  // the key is for, so only the favoured one must be clear of chance.
  fine.synthetic_rocauc = 0.748, incumbent.synthetic_rocauc = 0.680;
  EXPECT_TRUE(CandidateRanksAbove(fine, incumbent));
  EXPECT_FALSE(CandidateRanksAbove(incumbent, fine));
  incumbent.synthetic_rocauc = 0.52;
  EXPECT_TRUE(CandidateRanksAbove(fine, incumbent));
  // Without labelled anomalies the self-check is the only evidence, and a
  // clear lead near chance still decides (woven dev seed 3: per-position
  // 0.5911 against the shared bank's 0.4810, 56 defects and 32 normals;
  // dev ROCAUC 0.76 against 0.64).
  CandidateFigures bank = Figures(0.4810, 0.7), position = Figures(0.5911, 0.2);
  bank.synthetic_defects = position.synthetic_defects = 56;
  bank.held_out_normals = position.held_out_normals = 32;
  EXPECT_TRUE(CandidateRanksAbove(position, bank));
  EXPECT_FALSE(CandidateRanksAbove(bank, position));
}

TEST(CandidateRanking, BetweenScalesTheFewPixelDefectsBreakATie) {
  // circuit dev seed 3: 896 px, tap 8 ranks the self-check 0.838 against
  // 448 px, tap 8's 0.794, within the standard error, and AUPRO 0.893
  // against 0.874 is within its margin; on the 14 few-pixel defects alone
  // 0.809 against 0.701, more than one defect's worth (1/14 = 0.071).
  CandidateFigures fine = Figures(0.838, 0.893), coarse = Figures(0.794, 0.874);
  fine.short_side = 896, coarse.short_side = 448;
  fine.few_pixel_defects = coarse.few_pixel_defects = 14;
  fine.few_pixel_rocauc = 0.809, coarse.few_pixel_rocauc = 0.701;
  EXPECT_TRUE(CandidateRanksAbove(fine, coarse));
  EXPECT_FALSE(CandidateRanksAbove(coarse, fine));
  // The same figures at one scale: the taps do not change which defects a
  // cell can see, so the few-pixel class has no say; AUPRO is a tie too.
  CandidateFigures same = fine;
  same.short_side = 448;
  EXPECT_FALSE(CandidateRanksAbove(same, coarse));
  // Less than one defect's worth apart: a tie, the incumbent stays.
  fine.few_pixel_rocauc = 0.75;
  EXPECT_FALSE(CandidateRanksAbove(fine, coarse));
  fine.few_pixel_rocauc = 0.809;
  // Different few-pixel counts (or none) cannot be compared.
  fine.few_pixel_defects = 13;
  EXPECT_FALSE(CandidateRanksAbove(fine, coarse));
  fine.few_pixel_defects = coarse.few_pixel_defects = 0;
  EXPECT_FALSE(CandidateRanksAbove(fine, coarse));
  fine.few_pixel_defects = coarse.few_pixel_defects = 14;
  // Candidates that cannot tell the defects from normal images (0.55
  // against 0.52, both within two standard errors of chance): no evidence.
  fine.synthetic_rocauc = 0.55, coarse.synthetic_rocauc = 0.52;
  EXPECT_FALSE(CandidateRanksAbove(fine, coarse));
  // A clear overall lead of the coarse scale still wins over the few-pixel class.
  fine.synthetic_rocauc = 0.70, coarse.synthetic_rocauc = 0.85;
  EXPECT_TRUE(CandidateRanksAbove(coarse, fine));
  EXPECT_FALSE(CandidateRanksAbove(fine, coarse));
}

TEST(ConfigurationSearch, TriesScalesAndTapsAndReturnsTheChosenConfigurationsModel) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  const Model model = Search({});
  // 120 px of image over a 64 px base: the finer scale is 120 px (the
  // images' own). Fewer than 50 normal images: no per-position candidates.
  // Without masks each scale also tries the shared dark-spot channel.
  // 120 px is no more than twice the base and 320x240 fits 1024x1024: the
  // upsampled scale (twice the images' own size) with its shared banks.
  EXPECT_EQ(Names(model), (std::set<std::string>{"64 px, shared-bank, taps 8+16", "64 px, shared-bank, tap 8",
                                                 "64 px, shared-bank, taps 8+16, dark spots",
                                                 "120 px, shared-bank, taps 8+16", "120 px, shared-bank, tap 8",
                                                 "120 px, shared-bank, taps 8+16, dark spots",
                                                 "240 px, shared-bank, taps 8+16", "240 px, shared-bank, tap 8"}));
  // Where the position-free channel is offered it is each scale's first
  // candidate, so the walk starts from it and keeps it on a tie: the plain
  // banks must rank clearly above it.
  ASSERT_EQ(model.stats.search.size(), 8u);
  EXPECT_EQ(CandidateName(model.stats.search[0]), "64 px, shared-bank, taps 8+16, dark spots");
  EXPECT_EQ(CandidateName(model.stats.search[3]), "120 px, shared-bank, taps 8+16, dark spots");
  int chosen = 0;
  const CandidateFigures* winner = nullptr;
  for (const CandidateFigures& c : model.stats.search) {
    EXPECT_TRUE(c.error.empty()) << c.error;
    EXPECT_GE(c.labelled_rocauc, 0.0);  // the 3 labelled anomalies were scored
    EXPECT_FALSE(std::isnan(c.synthetic_rocauc));
    if (c.chosen) ++chosen, winner = &c;
  }
  ASSERT_EQ(chosen, 1);
  EXPECT_EQ(model.config.short_side, winner->short_side);
  EXPECT_EQ(model.config.coarse_weight, winner->coarse_weight);
  // No candidate ranks above the winner.
  for (const CandidateFigures& c : model.stats.search) EXPECT_FALSE(CandidateRanksAbove(c, *winner)) << CandidateName(c);

  // The same model as the chosen configuration trained alone.
  Trainer alone(testing::SharedBackbone(), model.config);
  AddPlates(alone, true);
  auto expected = alone.Finish();
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  Model without_table = model;
  without_table.stats.search.clear();
  EXPECT_EQ(SerializeModel(without_table), SerializeModel(*expected));
}

TEST(ConfigurationSearch, EveryPinRemovesItsDimension) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  SearchPins pins;
  pins.short_side = true;
  EXPECT_EQ(Names(Search(pins)), (std::set<std::string>{"64 px, shared-bank, taps 8+16", "64 px, shared-bank, tap 8",
                                                        "64 px, shared-bank, taps 8+16, dark spots"}));
  pins.coarse_weight = true;
  EXPECT_EQ(Names(Search(pins)),
            (std::set<std::string>{"64 px, shared-bank, taps 8+16", "64 px, shared-bank, taps 8+16, dark spots"}));
  // --no-dark-spots removes the shared channel too.
  {
    SearchPins no_spots = pins;
    no_spots.dark_spots = true;
    ModelConfig config = SmallConfig();
    config.dark_spots = false;
    EXPECT_EQ(Names(Search(no_spots, config)), (std::set<std::string>{"64 px, shared-bank, taps 8+16"}));
  }
  // --shared-dark-spots: every shared-bank candidate carries the channel.
  {
    SearchPins shared = pins;
    shared.shared_dark_spots = true;
    ModelConfig config = SmallConfig();
    config.shared_dark_spots = true;
    const Model model = Search(shared, config);
    EXPECT_EQ(Names(model), (std::set<std::string>{"64 px, shared-bank, taps 8+16, dark spots"}));
    EXPECT_FALSE(model.dark_spots.shared.empty());
  }
  // A pinned per-position model on 10 photos: tried, because asked for;
  // the dark-spot channel is not, below kMinPositionImages photos.
  pins = {};
  pins.short_side = pins.normal_model = true;
  ModelConfig config = SmallConfig();
  config.normal_model = NormalModelKind::kPerPosition;
  const Model position = Search(pins, config, false);
  EXPECT_EQ(Names(position), (std::set<std::string>{"64 px, per-position, no dark spots"}));
  EXPECT_EQ(position.normal_model, NormalModelKind::kPerPosition);
  pins.dark_spots = true;
  config.dark_spots = false;
  EXPECT_EQ(Names(Search(pins, config, false)), (std::set<std::string>{"64 px, per-position, no dark spots"}));
}

TEST(ConfigurationSearch, TriesThePerPositionModelFromTheSearchsOwnMinimumOfPhotos) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  SearchPins pins;
  pins.short_side = pins.coarse_weight = true;
  const std::set<std::string> shared = {"64 px, shared-bank, taps 8+16"};
  // Below the search's minimum: the shared bank, and with it the
  // position-free dark-spot channel (offered where no per-position is).
  EXPECT_EQ(Names(Search(pins, SmallConfig(), false, kMinSearchPositionImages - 1)),
            (std::set<std::string>{"64 px, shared-bank, taps 8+16", "64 px, shared-bank, taps 8+16, dark spots"}));
  // From it, well below `auto`'s 50: per-position too (the self-check, not
  // the alignment rule, decides), without the dark-spot channel, which
  // waits for kMinPositionImages photos.
  static_assert(kMinSearchPositionImages < kMinPositionImages, "the search tries what auto would not pick");
  std::set<std::string> with_position = shared;
  with_position.insert("64 px, per-position, no dark spots");
  EXPECT_EQ(Names(Search(pins, SmallConfig(), false, kMinSearchPositionImages)), with_position);
  // The channel pinned on is still tried: asked for.
  SearchPins spots = pins;
  spots.dark_spots = true;
  EXPECT_EQ(Names(Search(spots, SmallConfig(), false, kMinSearchPositionImages)),
            (std::set<std::string>{"64 px, shared-bank, taps 8+16", "64 px, per-position, dark spots"}));
}

TEST(ConfigurationSearch, OffersTheUpsampledScaleOnlyWhereItsRulesHold) {
  // A finer scale (short side at least 1.5 times the base's), and at twice
  // the size, or as much as fits 1024x1024 working pixels, at least 1.5x.
  EXPECT_TRUE(UpsampledScaleFits({448, 448}, 224));   // the circuit scene: 896 px
  EXPECT_EQ(UpsampledShortSide({448, 448}, 224), 896);
  EXPECT_TRUE(UpsampledScaleFits({336, 400}, 224));
  EXPECT_FALSE(UpsampledScaleFits({320, 256}, 224));  // brushed metal: no finer scale, nor an upsampled one
  EXPECT_FALSE(UpsampledScaleFits({288, 288}, 224));  // woven
  EXPECT_TRUE(UpsampledScaleFits({512, 448}, 224));   // 1024 x 896
  EXPECT_EQ(UpsampledShortSide({512, 448}, 224), 896);
  // Issue 16: short sides above twice the base get it too, at the largest
  // scale that fits: 640x640 PCB scans at 1.6x (1024 px), tiny-defects'
  // 640x480 at 1.85x, 600x448 at 1.97x.
  EXPECT_TRUE(UpsampledScaleFits({640, 640}, 224));
  EXPECT_DOUBLE_EQ(UpsampledScaleFor({640, 640}, 224), 1.6);
  EXPECT_EQ(UpsampledShortSide({640, 640}, 224), 1024);
  EXPECT_TRUE(UpsampledScaleFits({640, 480}, 224));
  EXPECT_EQ(UpsampledShortSide({640, 480}, 224), 886);
  EXPECT_LE(640.0 * 886 / 480 * 886, 1024.0 * 1024.0);
  EXPECT_TRUE(UpsampledScaleFits({600, 448}, 224));
  // Less than 1.5x fits: not offered, it would be nearly the images' own.
  EXPECT_FALSE(UpsampledScaleFits({700, 700}, 224));  // 1.46x
  EXPECT_EQ(UpsampledScaleFor({700, 700}, 224), 0);
  EXPECT_EQ(UpsampledShortSide({700, 700}, 224), 0);
  EXPECT_FALSE(UpsampledScaleFits({1130, 460}, 224)); // bsdata-pitting: 1.39x
  EXPECT_FALSE(UpsampledScaleFits({1200, 300}, 224)); // long strip: no finer scale
  EXPECT_FALSE(UpsampledScaleFits({1024, 1024}, 224));

  ASSERT_NE(testing::SharedBackbone(), nullptr);
  auto upsampled = [](const Model& model) {
    int n = 0;
    for (const CandidateFigures& c : model.stats.search) n += c.short_side == 240;
    return n;
  };
  // An image of another size drops it (and its features).
  {
    ConfigurationSearch search(testing::SharedBackbone(), SmallConfig(), {}, {});
    AddPlates(search, false);
    SyntheticOptions other = SmallPlates();
    other.width = 150;
    ASSERT_TRUE(search.AddImage(GenerateSyntheticSample(5, 40, false, other).image, ImageLabel::kNormal).ok());
    auto model = search.Finish();
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    EXPECT_EQ(upsampled(*model), 0);
    EXPECT_FALSE(model->stats.search.empty());
  }
  // More normal images than its subsample: still offered (it used to be
  // dropped at the 65th), compared on the first kSearchNormalImages as every
  // scale is. The shared bank and no dark-spot channel pinned, so that only
  // the scales and taps vary: 70 images through every candidate took 136 s under ASan.
  {
    SearchPins pins;
    pins.normal_model = true;
    pins.dark_spots = true;
    pins.shared_dark_spots = true;
    ModelConfig config = SmallConfig();
    config.normal_model = NormalModelKind::kSharedBank;
    config.dark_spots = false;
    config.shared_dark_spots = false;
    // Plates of 128x96: the finer scale is their own 96 px, the upsampled 192 px.
    SyntheticOptions plates = SmallPlates();
    plates.width = 128;
    plates.height = 96;
    ConfigurationSearch search(testing::SharedBackbone(), config, {}, pins);
    const int normals = kMaxUpsampledNormalImages + 6;
    search.ExpectNormalImages(normals);
    for (int i = 0; i < normals; ++i)
      ASSERT_TRUE(search.AddImage(GenerateSyntheticSample(5, i, false, plates).image, ImageLabel::kNormal).ok());
    auto model = search.Finish();
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    int offered = 0;
    for (const CandidateFigures& c : model->stats.search) offered += c.short_side == 192;
    EXPECT_EQ(offered, 2);
  }
  // Classes (a segmentation model) and a pinned per-position model drop it.
  {
    ConfigurationSearch search(testing::SharedBackbone(), SmallConfig(), {}, {});
    AddPlates(search, false);
    ASSERT_TRUE(search.ExtendClasses({{"scratch", 0xff0000}}).ok());
    auto model = search.Finish();
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    EXPECT_EQ(upsampled(*model), 0);
  }
  {
    SearchPins pins;
    pins.normal_model = true;
    ModelConfig config = SmallConfig();
    config.normal_model = NormalModelKind::kPerPosition;
    EXPECT_EQ(upsampled(Search(pins, config, false)), 0);
  }
  // Chosen, its model works at twice the size: the scale above 1 survives
  // the model file and a detector scores an image at it.
  {
    Trainer alone(testing::SharedBackbone(), [] {
      ModelConfig c = SmallConfig();
      c.short_side = 240;
      c.max_scale = kUpsampledScale;
      c.normal_model = NormalModelKind::kSharedBank;
      return c;
    }());
    AddPlates(alone, false);
    auto model = alone.Finish();
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    EXPECT_DOUBLE_EQ(model->scale, 2.0);
    EXPECT_EQ(model->stats.working_size.width, 320);
    auto read = ParseModelFile(SerializeModel(*model));
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_DOUBLE_EQ(read->scale, 2.0);

    // At detection, images of any size: within the working-pixel bound a
    // very elongated one is tiled as usual; past it (a large image, 4x its
    // pixels at 2x) a clear error before any working-size buffer.
    auto detector = Detector::FromModel(*read, testing::SharedBackbone());
    ASSERT_TRUE(detector.ok()) << detector.status().ToString();
    auto grey = [](int w, int h) {
      return RgbImage{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3, 128)};
    };
    auto strip = (*detector)->DetectImage(grey(4096, 24));  // 8192 x 48 working px
    EXPECT_TRUE(strip.ok()) << strip.status().ToString();
    auto large = (*detector)->DetectImage(grey(2100, 2100));  // 4200 x 4200 > 4096 x 4096
    ASSERT_FALSE(large.ok());
    EXPECT_EQ(large.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(large.status().message().find("image is 2100x2100 px"), std::string::npos) << large.status().message();
    EXPECT_NE(large.status().message().find("about 2048x2048 px"), std::string::npos) << large.status().message();
    auto tall = (*detector)->DetectImage(grey(1100, 4096));  // 2200 x 8192 working px: also past it
    EXPECT_FALSE(tall.ok());
  }
}

TEST(ConfigurationSearch, TableSurvivesTheModelFileWithoutItsSeconds) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  SearchPins pins;
  pins.short_side = true;
  Model model = Search(pins, SmallConfig(), false);
  ASSERT_EQ(model.stats.search.size(), 3u);
  model.stats.search[0].fit_seconds = 12.5;  // a host's clock: not part of the file
  model.stats.search[1].error = "not fitted";
  model.stats.search[2].compressed_normals = 8;  // the compression check's counts, as the search sets them
  model.stats.search[2].compressed_flagged = 3;
  const std::vector<uint8_t> bytes = SerializeModel(model);
  auto read = ParseModelFile(bytes);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->stats.search.size(), 3u);
  const CandidateFigures& a = model.stats.search[0];
  const CandidateFigures& b = read->stats.search[0];
  EXPECT_EQ(CandidateName(a), CandidateName(b));
  EXPECT_EQ(a.chosen, b.chosen);
  EXPECT_EQ(a.synthetic_rocauc, b.synthetic_rocauc);
  EXPECT_EQ(b.labelled_rocauc, -1.0);  // no labelled anomalies
  EXPECT_EQ(b.fit_seconds, 0.0);
  EXPECT_EQ(read->stats.search[1].error, "not fitted");
  EXPECT_EQ(read->stats.search[2].compressed_normals, 8);
  EXPECT_EQ(read->stats.search[2].compressed_flagged, 3);
  EXPECT_EQ(SerializeModel(*read), bytes);
}

}  // namespace
}  // namespace anomalens
