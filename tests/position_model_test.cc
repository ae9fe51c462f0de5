// The per-position normal model: Gaussian fit and scores, the alignment
// measure behind the automatic choice, the model file section, and training
// and detection end to end.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "core/base/crc32.h"
#include "core/lookout/class_mask.h"
#include "core/model/detector.h"
#include "core/model/model_file.h"
#include "core/model/trainer.h"
#include "core/scoring/position_model.h"
#include "core/synthetic/synthetic_dataset.h"
#include "test_support.h"

namespace anomalens {
namespace {

std::vector<PatchGrid> AlignedGrids(int count, int width, int height, float noise, uint32_t seed) {
  return testing::AlignedGrids(count, width, height, kPatchFeatureDim, noise, seed);
}

std::vector<const PatchGrid*> Pointers(const std::vector<PatchGrid>& grids) {
  std::vector<const PatchGrid*> out;
  for (const PatchGrid& g : grids) out.push_back(&g);
  return out;
}

TEST(PositionModel, ScoresAnOddPatchAtItsOwnPlace) {
  const std::vector<PatchGrid> grids = AlignedGrids(40, 6, 5, 0.5f, 1);
  const PositionFit fit = FitPositionModel(Pointers(grids), {}, 5);
  ASSERT_EQ(fit.model.cells(), 30u);
  ASSERT_EQ(fit.model.params.size(), 30u * PositionFloatsPerCell(kStride8Features));
  EXPECT_EQ(fit.model.stride, 8);
  EXPECT_EQ(fit.model.features, kStride8Features);
  ASSERT_EQ(fit.normal_scores.size(), 40u);

  PatchGrid probe = grids[7];
  const std::vector<float> before = PositionScores(fit.model, probe);
  for (float s : before) {
    EXPECT_GE(s, 0.0f);
    EXPECT_LT(s, 6.0f);  // a training-like patch is a few spreads at most
  }
  // Cell (3, 2) takes the features of cell (0, 0): normal somewhere, not here.
  const size_t odd = 2 * 6 + 3;
  std::copy_n(grids[7].cell(0), kPatchFeatureDim, &probe.data[odd * kPatchFeatureDim]);
  const std::vector<float> after = PositionScores(fit.model, probe);
  EXPECT_GT(after[odd], 20.0f);
  for (size_t c = 0; c < after.size(); ++c)
    if (c != odd) EXPECT_EQ(after[c], before[c]);
}

TEST(PositionModel, HeldOutScoresAreStandardized) {
  const std::vector<PatchGrid> grids = AlignedGrids(50, 4, 4, 1.0f, 2);
  const PositionFit fit = FitPositionModel(Pointers(grids), {}, 5);
  // Before clipping at 0 the held-out scores have mean 0 and spread 1 per
  // cell, so about half are 0 and few exceed 3.
  size_t zeros = 0, high = 0, total = 0;
  for (const auto& image : fit.normal_scores)
    for (float s : image) zeros += s == 0.0f, high += s > 3.0f, ++total;
  EXPECT_GT(zeros, total / 3);
  EXPECT_LT(high, total / 50);
}

// Photos of one part: a fixed pattern, plus per image a change shared by
// every cell (light, exposure: what makes a cell's neighbourhood samples of
// one photo alike, so a cell's Gaussian learns from about one sample a
// photo), plus per-cell noise.
std::vector<PatchGrid> PhotosOfOnePart(int count, int side, int dim, std::mt19937& rng) {
  const std::vector<float> pattern = [side, dim] {
    std::mt19937 fixed(7);
    std::normal_distribution<float> n01;
    std::vector<float> p(static_cast<size_t>(side) * side * dim);
    for (float& v : p) v = 3.0f * n01(fixed);
    return p;
  }();
  std::normal_distribution<float> n01;
  std::vector<PatchGrid> grids(count);
  for (PatchGrid& g : grids) {
    g.width = g.height = side;
    g.dim = dim;
    g.data.assign(pattern.begin(), pattern.end());
    std::vector<float> shared(dim);
    for (float& v : shared) v = n01(rng);
    for (size_t k = 0; k < g.data.size(); ++k) g.data[k] += shared[k % dim] + 0.5f * n01(rng);
  }
  return grids;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

TEST(PositionModel, CalibrationFoldsLeaveFewImagesOutWhenThereAreFew) {
  EXPECT_EQ(PositionCalibrationFolds(32, 5), 32);  // leave one out
  EXPECT_EQ(PositionCalibrationFolds(20, 5), 20);
  EXPECT_EQ(PositionCalibrationFolds(50, 5), 21);
  EXPECT_EQ(PositionCalibrationFolds(200, 5), 6);
  EXPECT_EQ(PositionCalibrationFolds(1000, 5), 5);
  EXPECT_EQ(PositionCalibrationFolds(3, 5), 3);
  for (int n = 2; n <= 300; ++n) {
    const int k = PositionCalibrationFolds(n, 5);
    EXPECT_TRUE(k == n || static_cast<long>(n) * (k - 1) >= kPositionFoldImageProduct) << n;
  }
}

// The held-out image scores (the largest cell score, as an image's) must be
// distributed as a new photo's scores against the model of all the
// training photos: the normal-only threshold is set on them. Two biases
// were measured (docs/model.md, "Threshold"): fold models fitted on 4/5 of
// the photos score high, the more so the more features a Gaussian has; and
// normalizers that include the scored photo hold its extreme cells low, the
// more so the more cells an image has. One case where each dominates; each
// fails with 5 folds or with in-sample normalizers.
double HeldOutMinusNewMedian(int side, int features, uint32_t seed) {
  constexpr int kTrain = 32, kNew = 300;
  std::mt19937 rng(seed);
  const std::vector<PatchGrid> train = PhotosOfOnePart(kTrain, side, features, rng);
  const std::vector<PatchGrid> fresh = PhotosOfOnePart(kNew, side, features, rng);
  const PositionFit fit = FitPositionModel(Pointers(train), {}, PositionCalibrationFolds(kTrain, 5), features, 8, 0);
  const auto image_score = [](const std::vector<float>& cells) {
    return static_cast<double>(*std::max_element(cells.begin(), cells.end()));
  };
  std::vector<double> held_out, new_photos;
  for (const auto& cells : fit.normal_scores) held_out.push_back(image_score(cells));
  for (const PatchGrid& g : fresh) new_photos.push_back(image_score(PositionScores(fit.model, g)));
  // In units of the new photos' spread below their median.
  const double spread = Median(new_photos) - *std::min_element(new_photos.begin(), new_photos.end());
  std::printf("%dx%d cells, %d features: held-out median %.3f, new photos' %.3f (spread %.3f)\n", side, side, features,
              Median(held_out), Median(new_photos), spread);
  return (Median(held_out) - Median(new_photos)) / spread;
}

TEST(PositionModel, HeldOutImageScoresMatchNewPhotos) {
  EXPECT_NEAR(HeldOutMinusNewMedian(6, 16, 11), 0.0, 0.1);  // few cells, many features
  EXPECT_NEAR(HeldOutMinusNewMedian(24, 4, 12), 0.0, 0.1);  // many cells, few features
}

// A codec moves each place's features in its own direction, by an amount
// that varies from photo to photo: `grid` plus a x strength x
// direction[cell] per cell, with a from [0.5, 1.5), and a little noise.
PatchGrid RoundTripLike(const PatchGrid& grid, const std::vector<float>& direction, float strength,
                        std::mt19937& rng) {
  std::uniform_real_distribution<float> amount(0.5f, 1.5f);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  PatchGrid out = grid;
  const float a = amount(rng) * strength;
  for (size_t i = 0; i < out.data.size(); ++i) out.data[i] += a * direction[i] + noise(rng);
  return out;
}

TEST(PositionModel, CompressionPairsKeepRoundTripsOfNormalsNormal) {
  // 40 normals fit the Gaussians, a 41st is a new photo; a round trip moves
  // a cell's features by about 6 along its own direction, 12 of the normals'
  // spreads (0.5 a feature).
  const std::vector<PatchGrid> grids = AlignedGrids(41, 6, 5, 0.5f, 5);
  const std::vector<PatchGrid> normals(grids.begin(), grids.begin() + 40);
  std::mt19937 rng(6);
  std::normal_distribution<float> n01;
  std::vector<float> direction(grids[0].data.size());
  for (float& v : direction) v = 6.0f / std::sqrt(static_cast<float>(kStride8Features)) * n01(rng);
  std::vector<PatchGrid> round_trips;
  std::vector<std::pair<size_t, size_t>> pairs;
  for (size_t i = 0; i < 8; ++i) {
    round_trips.push_back(RoundTripLike(normals[i], direction, 1.0f, rng));
    pairs.push_back({i, i});
  }
  const PositionFit plain = FitPositionModel(Pointers(normals), Pointers(round_trips), 5);
  const PositionFit floored = FitPositionModel(Pointers(normals), Pointers(round_trips), 5, kStride8Features, 8, 0, {},
                                               pairs);
  const auto max_of = [](const std::vector<float>& v) { return *std::max_element(v.begin(), v.end()); };
  // The new photo, clean and after a round trip of its own, milder than the
  // pairs' (the trainer's are at quality 85, users' JPEGs more often 90:
  // kPositionCompressionWeight).
  const PatchGrid& fresh = grids[40];
  const PatchGrid trip = RoundTripLike(fresh, direction, 0.6f, rng);
  // Flagged: above every held-out normal photo's highest cell.
  const auto highest_normal = [&max_of](const PositionFit& fit) {
    float m = 0;
    for (const auto& image : fit.normal_scores) m = std::max(m, max_of(image));
    return m;
  };
  const float plain_bar = highest_normal(plain), floored_bar = highest_normal(floored);
  const float trip_plain = max_of(PositionScores(plain.model, trip));
  const float trip_floored = max_of(PositionScores(floored.model, trip));
  // Without the floor the round trip is far outside its cells' Gaussians;
  // with it, about as far as normal photos reach.
  EXPECT_GT(trip_plain, 2 * plain_bar);
  EXPECT_LT(trip_floored, 1.5f * floored_bar);
  EXPECT_LT(trip_floored, trip_plain / 2);
  EXPECT_LT(max_of(PositionScores(floored.model, fresh)), floored_bar);
  // The held-out round trips (each against the Gaussians fitted without its
  // own pair's fold, at the pairs' full strength) move less than half as far.
  double held_out_plain = 0, held_out_floored = 0;
  for (size_t j = 0; j < round_trips.size(); ++j) {
    held_out_plain += max_of(plain.anomaly_scores[j]);
    held_out_floored += max_of(floored.anomaly_scores[j]);
  }
  EXPECT_LT(held_out_floored, held_out_plain / 2);
  // A patch seen elsewhere is still far from its new place's Gaussian.
  PatchGrid odd = fresh;
  const size_t c = 2 * 6 + 3;
  std::copy_n(fresh.cell(0), kPatchFeatureDim, &odd.data[c * kPatchFeatureDim]);
  EXPECT_GT(PositionScores(floored.model, odd)[c], 3 * trip_floored);
  // No pairs, no floor: the same parameters as before the floor existed.
  const PositionFit none = FitPositionModel(Pointers(normals), {}, 5);
  EXPECT_EQ(none.model.params, plain.model.params);
}

TEST(PositionModel, AlignmentSeparatesAlignedFromShuffledParts) {
  std::vector<PatchGrid> grids = AlignedGrids(20, 8, 8, 0.3f, 3);
  EXPECT_LT(PositionAlignment(Pointers(grids)), 0.05);
  // Shuffle the cells of every image: position says nothing any more.
  std::mt19937 rng(4);
  for (PatchGrid& g : grids) {
    std::vector<size_t> order(g.cells());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<float> data(g.data.size());
    for (size_t i = 0; i < order.size(); ++i)
      std::copy_n(g.cell(order[i]), g.dim, &data[i * g.dim]);
    g.data.assign(data.begin(), data.end());
  }
  EXPECT_GT(PositionAlignment(Pointers(grids)), 0.8);
}

// A per-position model over a 48x32 working size: stride 4 (24 features,
// as the trainer fits where the grid fits) or 8 (32, as version 2 held).
Model PerPositionModel(int stride = 4) {
  const std::vector<PatchGrid> grids = AlignedGrids(10, 48 / stride, 32 / stride, 0.5f, 5);
  Model m;
  m.backbone_id = "b";
  m.scale = 0.5;
  m.stats.working_size = {48, 32};
  m.feature_dim = kPatchFeatureDim;
  m.threshold = 3.5;
  m.confidence_scale = 0.5;
  m.threshold_rule = ThresholdRule::kNormalMedianPlus3RobustSd;
  m.config.normal_model = NormalModelKind::kAuto;
  m.normal_model = NormalModelKind::kPerPosition;
  m.stats.alignment = 0.0625;
  m.position = FitPositionModel(Pointers(grids), {}, 5, stride == 4 ? kStride4Features : kStride8Features, stride).model;
  return m;
}

TEST(PositionModel, ModelFileRoundTrip) {
  const Model m = PerPositionModel();
  const std::vector<uint8_t> bytes = SerializeModel(m);
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->normal_model, NormalModelKind::kPerPosition);
  EXPECT_EQ(parsed->config.normal_model, NormalModelKind::kAuto);
  EXPECT_EQ(parsed->stats.alignment, 0.0625);
  EXPECT_EQ(parsed->bank_rows, 0u);
  EXPECT_EQ(parsed->position.grid_width, 12);
  EXPECT_EQ(parsed->position.grid_height, 8);
  EXPECT_EQ(parsed->position.stride, 4);
  EXPECT_EQ(parsed->position.features, kStride4Features);
  EXPECT_EQ(parsed->position.params.size(), 96 * PositionFloatsPerCell(kStride4Features));
  EXPECT_EQ(parsed->position.params, m.position.params);
  EXPECT_EQ(SerializeModel(*parsed), bytes);
  for (size_t n = 8; n < bytes.size(); n += 97) EXPECT_FALSE(ParseModelFile(ByteSpan(bytes.data(), n)).ok());
}

// Replaces the file's CRC with the right one for its (edited) body.
void Reseal(std::vector<uint8_t>& bytes) {
  bytes.resize(bytes.size() - 4);
  const uint32_t crc = Crc32(bytes.data(), bytes.size());
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<uint8_t>(crc >> (8 * i)));
}

// The offset of a per-position file's stride field (after the metadata,
// the feature dim, the two empty banks, the cell count and the grid size).
size_t StrideOffset(const std::vector<uint8_t>& bytes) {
  const size_t meta = bytes[8] | bytes[9] << 8 | bytes[10] << 16 | static_cast<size_t>(bytes[11]) << 24;
  return (12 + meta + 15) / 16 * 16 + 4 + 8 + 8 + 8 + 8;
}

TEST(PositionModel, VersionTwoFilesLoadAsStrideEight) {
  const Model m = PerPositionModel(8);
  std::vector<uint8_t> bytes = SerializeModel(m);
  // Version 2 wrote no stride and feature count.
  const size_t at = StrideOffset(bytes);
  ASSERT_EQ(bytes[at], 8);
  ASSERT_EQ(bytes[at + 4], kStride8Features);
  bytes.erase(bytes.begin() + at, bytes.begin() + at + 8);
  bytes[4] = 2;
  Reseal(bytes);
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->normal_model, NormalModelKind::kPerPosition);
  EXPECT_EQ(parsed->position.stride, 8);
  EXPECT_EQ(parsed->position.features, kStride8Features);
  EXPECT_EQ(parsed->position.grid_width, 6);
  EXPECT_EQ(parsed->position.params, m.position.params);
  EXPECT_EQ(SerializeModel(*parsed), SerializeModel(m)) << "rewritten as version 3";
}

TEST(PositionModel, ModelFileRejectsAGridThatDoesNotFitItsStride) {
  // A stride-4 grid (12x8) recorded as stride 8 does not cover 48x32.
  std::vector<uint8_t> bytes = SerializeModel(PerPositionModel(4));
  bytes[StrideOffset(bytes)] = 8;
  Reseal(bytes);
  auto parsed = ParseModelFile(bytes);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("does not cover its working size 48x32"), std::string::npos)
      << parsed.status().ToString();
  // Nor is any other stride known.
  bytes[StrideOffset(bytes)] = 2;
  Reseal(bytes);
  parsed = ParseModelFile(bytes);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("needs stride 4 or 8"), std::string::npos) << parsed.status().ToString();
  // A version-2 file's grid is a stride-8 one.
  bytes = SerializeModel(PerPositionModel(4));
  const size_t at = StrideOffset(bytes);
  bytes.erase(bytes.begin() + at, bytes.begin() + at + 8);
  bytes[4] = 2;
  Reseal(bytes);
  EXPECT_FALSE(ParseModelFile(bytes).ok());
}

TEST(PositionModel, DetectorRejectsFeaturesItCannotExtract) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  Model m = PerPositionModel(4);
  m.backbone_id = testing::SharedBackbone()->id();
  m.backbone_checksum = testing::SharedBackbone()->checksum();
  EXPECT_TRUE(Detector::FromModel(m, testing::SharedBackbone()).ok());
  const std::vector<PatchGrid> grids = AlignedGrids(10, 12, 8, 0.5f, 5);
  m.position = FitPositionModel(Pointers(grids), {}, 5, 16, 4).model;  // 16 features at stride 4
  auto detector = Detector::FromModel(m, testing::SharedBackbone());
  ASSERT_FALSE(detector.ok());
  EXPECT_NE(detector.status().message().find("16 features a cell at stride 4"), std::string::npos);
}

TEST(PositionModel, ModelFileRejectsAMissingOrStrayPositionSection) {
  Model m = PerPositionModel();
  m.position = {};  // says per-position, holds none
  auto parsed = ParseModelFile(SerializeModel(m));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("per-position model has 0 cells"), std::string::npos);

  Model shared = PerPositionModel();
  shared.normal_model = NormalModelKind::kSharedBank;  // a bank model with a stray position section
  shared.bank.assign(kPatchFeatureDim, 1.0f);
  shared.bank_rows = 1;
  parsed = ParseModelFile(SerializeModel(shared));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("it should have none"), std::string::npos);
}

TEST(PositionModel, VersionOneFilesStillLoad) {
  Model m;
  m.backbone_id = "b";
  m.scale = 0.5;
  m.feature_dim = 8;
  m.bank.assign(16, 0.5f);
  m.bank_rows = 2;
  m.confidence_scale = 1;
  std::vector<uint8_t> bytes = SerializeModel(m);
  // A version-1 file: none of version 2's three sections (their u64 zero
  // counts before the CRC), version 1.
  bytes.resize(bytes.size() - 4 - 24);
  bytes[4] = 1;
  const uint32_t crc = Crc32(bytes.data(), bytes.size());
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<uint8_t>(crc >> (8 * i)));
  // Its metadata names keys version 1 did not have; they are ignored.
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->normal_model, NormalModelKind::kSharedBank);
  EXPECT_EQ(parsed->bank, m.bank);
}

// The synthetic scenes: a textured part placed the same way in every image.
TEST(PositionModel, TrainsDetectsAndRoundTripsEndToEnd) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  ModelConfig config;
  config.normal_model = NormalModelKind::kPerPosition;
  Trainer trainer(testing::SharedBackbone(), config);
  for (int i = 0; i < 12; ++i)
    ASSERT_TRUE(trainer.AddImage(GenerateSyntheticSample(3, i, false).image, ImageLabel::kNormal).ok());
  auto model = trainer.Finish();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->normal_model, NormalModelKind::kPerPosition);
  EXPECT_EQ(model->bank_rows, 0u);
  EXPECT_FALSE(model->position.empty());
  EXPECT_EQ(model->position.stride, 4) << "the stride-4 grid fits";
  EXPECT_EQ(model->position.features, kStride4Features);
  EXPECT_EQ(model->position.grid_width * 4, model->stats.working_size.width);
  EXPECT_EQ(model->position.grid_height * 4, model->stats.working_size.height);
  EXPECT_GE(model->stats.alignment, 0.0);

  auto in_memory = Detector::FromModel(*model, testing::SharedBackbone());
  auto loaded = Detector::Create(SerializeModel(*model), testing::SharedBackbone());
  ASSERT_TRUE(in_memory.ok() && loaded.ok());
  double normal_max = 0, anomalous_min = 1e30;
  for (int i = 100; i < 106; ++i) {
    for (bool anomalous : {false, true}) {
      const RgbImage image = GenerateSyntheticSample(3, i, anomalous).image;
      auto a = (*in_memory)->DetectImage(image);
      auto b = (*loaded)->DetectImage(image);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(a->score, b->score);
      (anomalous ? anomalous_min : normal_max) =
          anomalous ? std::min(anomalous_min, a->score) : std::max(normal_max, a->score);
    }
  }
  EXPECT_GT(anomalous_min, normal_max) << "the synthetic defects separate";

  // Another image size has no per-position counterpart.
  SyntheticOptions bigger;
  bigger.width = 2 * GenerateSyntheticSample(3, 0, false).image.width;
  bigger.height = GenerateSyntheticSample(3, 0, false).image.height;
  auto other = (*in_memory)->DetectImage(GenerateSyntheticSample(3, 0, false, bigger).image);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("analyses images of its training size"), std::string::npos);
}

// A per-position segmentation model with its dark-spot channel, on small
// plates: the training of the masked anomalous images through the stride-4
// fit, the channel's fused scores and the pixel rule's held-out maps, which
// only the long end-to-end tests (SegmentationEndToEnd, DarkSpotChannel)
// reached before, in a second or two for the sanitizers.
TEST(PositionModel, SmallPerPositionSegmentationTrainsOnMaskedAnomalies) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  SyntheticOptions small;
  small.width = kSyntheticWidth / 2, small.height = kSyntheticHeight / 2;
  ModelConfig config;
  config.normal_model = NormalModelKind::kPerPosition;
  config.dark_spots = true;
  config.short_side = 64;
  Trainer trainer(testing::SharedBackbone(), config, {{"defect", 0xE6194B}});
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(trainer.AddImage(GenerateSyntheticSample(5, i, false, small).image, ImageLabel::kNormal).ok());
  for (int i = 0; i < 4; ++i) {
    const SyntheticSample s = GenerateSyntheticSample(5, 20 + i, true, small);
    ClassMask mask{s.image.width, s.image.height, std::vector<uint8_t>(s.mask.size(), 0)};
    for (size_t p = 0; p < s.mask.size(); ++p) mask.labels[p] = s.mask[p] ? 1 : 0;
    ASSERT_TRUE(trainer.AddImage(s.image, ImageLabel::kAnomaly, &mask).ok());
  }
  auto model = trainer.Finish();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(model->normal_model, NormalModelKind::kPerPosition);
  EXPECT_EQ(model->position.stride, 4);
  EXPECT_FALSE(model->dark_spots.empty());
  EXPECT_TRUE(model->segmentation.enabled());
  EXPECT_EQ(model->stats.masked_anomaly_images, 4);

  auto detector = Detector::Create(SerializeModel(*model), testing::SharedBackbone());
  ASSERT_TRUE(detector.ok()) << detector.status().ToString();
  const SyntheticSample s = GenerateSyntheticSample(5, 30, true, small);
  auto analysis = (*detector)->Analyze(s.image);
  ASSERT_TRUE(analysis.ok()) << analysis.status().ToString();
  ASSERT_FALSE(analysis->result.anomalies.empty());
  EXPECT_EQ(analysis->result.anomalies[0].name, "background");
  EXPECT_EQ(analysis->segmentation.labels.size(), s.mask.size());
}

TEST(PositionModel, FallsBackToStrideEightWhenTheFineGridIsTooLarge) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  ModelConfig config;
  config.normal_model = NormalModelKind::kPerPosition;
  config.short_side = 512;  // 688x512 px: 22,016 stride-4 cells, 5,504 stride-8 ones
  // The grid's size is what is tested, not the self-check, which only scores
  // (SelfCheck.ScoresEveryFamilyAndChangesNothingElse): without its defect
  // copies, 8 feature extractions of these large images instead of 17.
  config.self_check_defects = 0;
  Trainer trainer(testing::SharedBackbone(), config);
  SyntheticOptions large;
  large.width = 680;
  large.height = 512;
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(trainer.AddImage(GenerateSyntheticSample(3, i, false, large).image, ImageLabel::kNormal).ok());
  auto model = trainer.Finish();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(model->normal_model, NormalModelKind::kPerPosition);
  EXPECT_EQ(model->position.stride, 8);
  EXPECT_EQ(model->position.features, kStride8Features);
  EXPECT_EQ(model->position.grid_width * 8, model->stats.working_size.width);
  auto detector = Detector::Create(SerializeModel(*model), testing::SharedBackbone());
  ASSERT_TRUE(detector.ok()) << detector.status().ToString();
  EXPECT_TRUE((*detector)->DetectImage(GenerateSyntheticSample(3, 9, true, large).image).ok());
}

// The hint that few normal images will come skips the stride-4 grids; if
// `auto` picks the per-position model all the same, it fits stride 8.
TEST(PositionModel, AHintOfFewImagesSkipsTheStride4Grid) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  // The choice of grid is tested, not the self-check, which only scores
  // (SelfCheck.ScoresEveryFamilyAndChangesNothingElse): without its 56
  // defect copies the 50 images take 58 feature extractions, not 114.
  ModelConfig config;
  config.self_check_defects = 0;
  Trainer trainer(testing::SharedBackbone(), config);
  trainer.ExpectNormalImages(kMinPositionImages - 1);
  for (int i = 0; i < kMinPositionImages; ++i)
    ASSERT_TRUE(trainer.AddImage(GenerateSyntheticSample(3, i, false).image, ImageLabel::kNormal).ok());
  auto model = trainer.Finish();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(model->normal_model, NormalModelKind::kPerPosition) << "alignment " << model->stats.alignment;
  EXPECT_EQ(model->position.stride, 8);
  EXPECT_EQ(model->position.features, kStride8Features);
}

TEST(PositionModel, PerPositionNeedsOneImageSize) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  ModelConfig config;
  config.normal_model = NormalModelKind::kPerPosition;
  Trainer trainer(testing::SharedBackbone(), config);
  SyntheticOptions wide;
  wide.width = 2 * GenerateSyntheticSample(3, 0, false).image.width;
  wide.height = GenerateSyntheticSample(3, 0, false).image.height;
  ASSERT_TRUE(trainer.AddImage(GenerateSyntheticSample(3, 0, false).image, ImageLabel::kNormal).ok());
  ASSERT_TRUE(trainer.AddImage(GenerateSyntheticSample(3, 1, false, wide).image, ImageLabel::kNormal).ok());
  auto model = trainer.Finish();
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("sizes differ"), std::string::npos);

  // Automatic: falls back to the shared bank.
  Trainer automatic(testing::SharedBackbone(), ModelConfig{});
  ASSERT_TRUE(automatic.AddImage(GenerateSyntheticSample(3, 0, false).image, ImageLabel::kNormal).ok());
  ASSERT_TRUE(automatic.AddImage(GenerateSyntheticSample(3, 1, false, wide).image, ImageLabel::kNormal).ok());
  auto fallback = automatic.Finish();
  ASSERT_TRUE(fallback.ok()) << fallback.status().ToString();
  EXPECT_EQ(fallback->normal_model, NormalModelKind::kSharedBank);
  EXPECT_EQ(fallback->stats.alignment, -1.0);
}

}  // namespace
}  // namespace anomalens
