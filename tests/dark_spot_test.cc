// The dark-spot channel: its features on synthetic spots, grooves and edges
// (full resolution and pyramid scales), determinism, the analysed image's
// size cap, the shift-tolerant Gaussians of version-4 channels, and the
// channel in training, detection and the model file (version 5 with its
// bank; version 4 still read; version 3 without it), and the option that
// turns it off.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "core/base/crc32.h"
#include "core/features/dark_spot_features.h"
#include "core/model/dark_spot_channel.h"
#include "core/model/detector.h"
#include "core/model/model_file.h"
#include "core/model/trainer.h"
#include "core/synthetic/synthetic_dataset.h"
#include "test_support.h"

namespace anomalens {
namespace {

constexpr int kW = 96, kH = 64;

RgbImage Grey(int width, int height, uint8_t value) {
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.assign(static_cast<size_t>(width) * height * 3, value);
  return image;
}

void Paint(RgbImage& image, int x, int y, uint8_t value) { std::fill_n(image.at(x, y), 3, value); }

// The largest value of feature `d` over all cells.
float MaxFeature(const PatchGrid& g, int d) {
  float m = -1e30f;
  for (size_t c = 0; c < g.cells(); ++c) m = std::max(m, g.cell(c)[d]);
  return m;
}

const std::vector<float> kSmallScales = {1.5f, 3.0f};  // version 4's, below the pyramid
const std::vector<float> kAllScales(std::begin(kDarkSpotSigmas), std::end(kDarkSpotSigmas));

PatchGrid Features(const RgbImage& image, const std::vector<float>& sigmas = kSmallScales) {
  return DarkSpotFeatures(image, PlanGeometry({image.width, image.height}, 1.0, 16), 4, sigmas);
}

TEST(DarkSpotFeatures, ASpotRespondsAnEdgeOrAGrooveDoesNot) {
  const PatchGrid flat = Features(Grey(kW, kH, 128));
  ASSERT_EQ(flat.width, kW / 4);
  ASSERT_EQ(flat.height, kH / 4);
  ASSERT_EQ(flat.dim, 4);
  for (float v : flat.data) EXPECT_EQ(v, 0.0f) << "a flat image has no curvature";

  // A dark disc of radius 2 px at (50, 30): cell (12, 7).
  RgbImage spot = Grey(kW, kH, 128);
  for (int y = 26; y <= 34; ++y)
    for (int x = 46; x <= 54; ++x)
      if ((x - 50) * (x - 50) + (y - 30) * (y - 30) <= 4) Paint(spot, x, y, 40);
  const PatchGrid s = Features(spot);
  const float* at_spot = s.cell(7 * s.width + 12);
  for (int k = 0; k < 2; ++k) {
    EXPECT_GT(at_spot[2 * k], 5.0f) << "Hessian's smaller eigenvalue, scale " << k;
    EXPECT_GT(at_spot[2 * k + 1], 10.0f) << "Laplacian, scale " << k;
    EXPECT_EQ(MaxFeature(s, 2 * k), at_spot[2 * k]) << "peaks at the spot";
  }
  EXPECT_EQ(s.cell(0)[0], 0.0f) << "far from the spot, nothing";

  // A dark groove 3 px wide down the image, and a step edge: the Laplacian
  // sees the groove (a dark line), the smaller eigenvalue neither.
  RgbImage groove = Grey(kW, kH, 128), edge = Grey(kW, kH, 60);
  for (int y = 0; y < kH; ++y) {
    for (int x = 49; x <= 51; ++x) Paint(groove, x, y, 40);
    for (int x = kW / 2; x < kW; ++x) Paint(edge, x, y, 200);
  }
  const PatchGrid g = Features(groove), e = Features(edge);
  for (int k = 0; k < 2; ++k) {
    EXPECT_LT(MaxFeature(g, 2 * k), 0.05f * at_spot[2 * k]) << "groove, scale " << k;
    EXPECT_LT(MaxFeature(e, 2 * k), 0.05f * at_spot[2 * k]) << "edge, scale " << k;
    EXPECT_GT(MaxFeature(g, 2 * k + 1), 0.3f * at_spot[2 * k + 1]) << "the Laplacian sees the groove, scale " << k;
  }
}

TEST(DarkSpotFeatures, PyramidScalesSeeLargeSpotsAndNotEdges) {
  // Scales from 4 px up run on halved images: a dark disc of radius 10 px
  // answers at 8 px where it is, a step edge does not, and the grid and the
  // small scales are those of a full-resolution run.
  constexpr int kSide = 128;
  RgbImage disc = Grey(kSide, kSide, 150), edge = Grey(kSide, kSide, 60);
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x) {
      if ((x - 64) * (x - 64) + (y - 64) * (y - 64) <= 100) Paint(disc, x, y, 40);
      if (x >= kSide / 2) Paint(edge, x, y, 200);
    }
  const std::vector<float> scales = {1.0f, 8.0f};
  const PatchGrid d = Features(disc, scales), e = Features(edge, scales);
  ASSERT_EQ(d.dim, 4);
  const float* centre = d.cell(16 * d.width + 16);
  EXPECT_GT(centre[2], 20.0f) << "8 px: the disc's centre";
  EXPECT_EQ(MaxFeature(d, 2), centre[2]) << "peaks at the disc";
  EXPECT_LT(d.cell(0)[2], 0.05f * centre[2]) << "far from it, little";
  EXPECT_LT(MaxFeature(e, 2), 0.05f * centre[2]) << "an edge is no spot at 8 px either";
  const PatchGrid small = Features(disc, {1.0f});
  for (size_t c = 0; c < d.cells(); ++c) EXPECT_EQ(d.cell(c)[0], small.cell(c)[0]) << "1 px: the full-resolution path";
}

TEST(DarkSpotFeatures, PaddingCellsRepeatTheContentEdge) {
  // 90x60 px pads to 96x64: the last column and row of cells are padding.
  RgbImage image = Grey(90, 60, 128);
  for (int y = 0; y < 60; ++y) Paint(image, 88, y, 30);  // a dark line at the last interior column
  const WorkingGeometry geometry = PlanGeometry({90, 60}, 1.0, 16);
  ASSERT_EQ(geometry.padded.width, 96);
  const PatchGrid g = DarkSpotFeatures(image, geometry, 4, kAllScales);
  for (int y = 0; y < g.height; ++y)
    for (int d = 0; d < g.dim; ++d) EXPECT_EQ(g.cell(y * g.width + 23)[d], g.cell(y * g.width + 22)[d]);
  EXPECT_GT(g.cell(5 * g.width + 23)[1], 1.0f);
}

TEST(DarkSpotFeatures, AreDeterministic) {
  // Pinned: the same floats on every target (the core is built without
  // contraction; wasm runs the same code). A change here changes models.
  const RgbImage image = GenerateSyntheticSample(3, 0, true).image;
  const WorkingGeometry geometry = PlanGeometry({image.width, image.height}, 0.5, 16);
  const PatchGrid a = DarkSpotFeatures(image, geometry, 4, kAllScales);
  const PatchGrid b = DarkSpotFeatures(image, geometry, 4, kAllScales);
  ASSERT_EQ(a.data, b.data);
  const uint32_t crc = Crc32(reinterpret_cast<const uint8_t*>(a.data.data()), a.data.size() * sizeof(float));
  RecordProperty("crc", std::to_string(crc));
  EXPECT_EQ(crc, 3471171483u) << "features' CRC-32";
}

TEST(DarkSpotFeatures, AnalysedSizeIsCapped) {
  // bsdata-pitting: 1130x460 at 224 px is 2.05x finer natively: all of it.
  const Size pitting = DarkSpotAnalysisSize({1130, 460}, ChooseScale({1130, 460}, 224));
  EXPECT_EQ(pitting.width, 1130);
  EXPECT_EQ(pitting.height, 460);
  // Lookout's largest image at 224 px: 3x the working size, not 4096.
  const Size large = DarkSpotAnalysisSize({4096, 4096}, ChooseScale({4096, 4096}, 224));
  EXPECT_EQ(large.width, 672);
  // The largest stride-4 grid (16,384 cells: 512x512 working px) bounds it
  // whatever the input: 1536x1536, 2.4 Mpx (docs/limits.md).
  const Size largest = DarkSpotAnalysisSize({4096, 4096}, ChooseScale({4096, 4096}, 512));
  EXPECT_EQ(largest.width, 1536);
  EXPECT_EQ(largest.height, 1536);
}

TEST(PositionModelShift, ANeighboursPatternMatchesOnlyWithTheShift) {
  // Noise everywhere, and a structure (feature 0 at 20) in the last column.
  std::vector<PatchGrid> grids = testing::AlignedGrids(40, 6, 5, 4, 0.5f, 7);
  for (PatchGrid& g : grids)
    for (size_t c = 0; c < g.cells(); ++c) {
      g.data[c * 4] = g.data[c * 4] / 6.0f + (c % 6 == 5 ? 20.0f : 0.0f);
      for (int d = 1; d < 4; ++d) g.data[c * 4 + d] /= 6.0f;
    }
  std::vector<const PatchGrid*> normals;
  for (const PatchGrid& g : grids) normals.push_back(&g);
  const PositionFit own = FitPositionModel(normals, {}, 5, 4, 4, 0);
  const PositionFit shifted = FitPositionModel(normals, {}, 5, 4, 4, 1);
  EXPECT_EQ(shifted.model.shift, 1);
  EXPECT_EQ(own.model.params, shifted.model.params) << "the shift changes the scoring, not the fit";
  // Each cell's Gaussian holds the patches of its +-1 neighbourhood, so with
  // shift 1 a cell matches structure up to 2 cells away. Cell (3, 2) takes
  // the features of the cell 2 to its right; cell (0, 0) those of a cell 5 away.
  PatchGrid probe = grids[3];
  std::copy_n(grids[3].cell(2 * 6 + 5), 4, &probe.data[(2 * 6 + 3) * 4]);
  std::copy_n(grids[3].cell(5), 4, &probe.data[0]);
  const std::vector<float> a = PositionScores(own.model, probe), b = PositionScores(shifted.model, probe);
  EXPECT_GT(a[2 * 6 + 3], 10.0f);
  EXPECT_LT(b[2 * 6 + 3], 3.0f) << "moved by two cells: matched";
  EXPECT_GT(b[0], 10.0f) << "moved by five: still anomalous";
  for (size_t c = 0; c < a.size(); ++c) EXPECT_LE(b[c], a[c]) << "the own cell is among the shifted ones";
  // Held-out scores use the shift too: never above the unshifted ones (up
  // to the unshifted path's rounding of distances to float), often below.
  size_t lower = 0;
  for (size_t i = 0; i < grids.size(); ++i)
    for (size_t c = 0; c < a.size(); ++c) {
      EXPECT_LE(shifted.normal_scores[i][c], own.normal_scores[i][c] + 1e-4f);
      lower += shifted.normal_scores[i][c] < own.normal_scores[i][c] - 1e-3f;
    }
  EXPECT_GT(lower, grids.size() * a.size() / 10);
}

// Arithmetic alone: its own suite, run one test a process (and under the
// sanitizers) rather than within DarkSpotChannel's shared trainings.
TEST(DarkSpotFusion, KeepsTheBackboneScaleAndWeighsZScores) {
  DarkSpotChannel c;
  c.backbone_mean = 2, c.backbone_sd = 0.5, c.channel_mean = 10, c.channel_sd = 4;
  EXPECT_EQ(c.backbone_weight, kDarkSpotBackboneWeight) << "new channels weigh the backbone by a quarter";
  EXPECT_DOUBLE_EQ(FuseImageScores(c, 3.0, 18.0), 3.0) << "both 2 sd above their normals";
  EXPECT_DOUBLE_EQ(FuseImageScores(c, 2.0, 18.0), 2.75) << "z 0 and 2, weighed 1:3, make 1.5";
  EXPECT_DOUBLE_EQ(FuseImageScores(c, 2.0, 10.0), 2.0);
  c.backbone_weight = kDarkSpotBackboneWeightV4;
  EXPECT_DOUBLE_EQ(FuseImageScores(c, 2.0, 18.0), 2.5) << "version 4: z 0 and 2 average to 1";
  const std::vector<float> map = MeanCellScores(c, {4.0f, 0.0f}, {0.0f, 2.0f});
  EXPECT_EQ(map, (std::vector<float>{2.0f, 1.0f}));
}

// A model trained on 12 normal synthetic plates with `config`.
Model TrainedOnPlates(const ModelConfig& config) {
  Trainer trainer(testing::SharedBackbone(), config);
  for (int i = 0; i < 12; ++i) EXPECT_TRUE(trainer.AddImage(GenerateSyntheticSample(3, i, false).image, ImageLabel::kNormal).ok());
  auto model = trainer.Finish();
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? std::move(model).value() : Model{};
}

// A per-position model trained on the synthetic plates (12 normal images,
// stride 4), with the channel unless `dark_spots` is false. Trained once a
// process: the suites DarkSpotChannel and SharedDarkSpotChannel each run as
// one CTest test (ANOMALENS_SHARED_FIXTURE_SUITES in tests/CMakeLists.txt),
// so their tests share these models; each test copies before it changes one.
const Model& Trained(bool dark_spots) {
  static Model models[2];
  static bool done[2] = {false, false};
  if (!done[dark_spots]) {
    ModelConfig config;
    config.normal_model = NormalModelKind::kPerPosition;
    config.dark_spots = dark_spots;
    models[dark_spots] = TrainedOnPlates(config);
    done[dark_spots] = true;
  }
  return models[dark_spots];
}

// Both models' scores agree between a model in memory and its file, and
// the synthetic defects separate.
void ExpectDetectsAsItsFile(const Model& m, const std::vector<uint8_t>& bytes) {
  auto in_memory = Detector::FromModel(m, testing::SharedBackbone());
  auto loaded = Detector::Create(bytes, testing::SharedBackbone());
  ASSERT_TRUE(in_memory.ok()) << in_memory.status().ToString();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  double normal_max = 0, anomalous_min = 1e30;
  for (int i = 100; i < 106; ++i) {
    for (bool anomalous : {false, true}) {
      const RgbImage image = GenerateSyntheticSample(3, i, anomalous).image;
      auto a = (*in_memory)->Analyze(image, true);
      auto b = (*loaded)->Analyze(image, true);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(a->result.score, b->result.score);
      EXPECT_EQ(a->map.values, b->map.values);
      (anomalous ? anomalous_min : normal_max) =
          anomalous ? std::min(anomalous_min, a->result.score) : std::max(normal_max, a->result.score);
    }
  }
  EXPECT_GT(anomalous_min, normal_max) << "the synthetic defects separate";
}

TEST(DarkSpotChannel, TrainsDetectsAndRoundTripsAsVersionFive) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  const Model& m = Trained(true);
  ASSERT_EQ(m.normal_model, NormalModelKind::kPerPosition);
  ASSERT_EQ(m.position.stride, 4);
  ASSERT_FALSE(m.dark_spots.empty());
  EXPECT_TRUE(m.config.dark_spots);
  EXPECT_EQ(m.dark_spots.sigmas, kAllScales);
  EXPECT_TRUE(m.dark_spots.position.empty()) << "a bank, not Gaussians";
  const PositionBank& b = m.dark_spots.bank;
  EXPECT_EQ(b.features, 2 * static_cast<int>(kAllScales.size()));
  EXPECT_EQ(b.entries, 12) << "12 training images, under the cap of " << kPositionBankEntries;
  EXPECT_EQ(b.grid_width, m.position.grid_width);
  EXPECT_EQ(b.grid_height, m.position.grid_height);
  EXPECT_EQ(m.dark_spots.backbone_weight, kDarkSpotBackboneWeight);
  EXPECT_GT(m.dark_spots.backbone_sd, 0);
  EXPECT_GT(m.dark_spots.channel_sd, 0);

  const std::vector<uint8_t> bytes = SerializeModel(m);
  EXPECT_EQ(bytes[4], 5) << "a model with the bank is a version-5 file";
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(parsed->config.dark_spots);
  EXPECT_EQ(parsed->dark_spots.sigmas, m.dark_spots.sigmas);
  EXPECT_EQ(parsed->dark_spots.bank.vectors, b.vectors);
  EXPECT_EQ(parsed->dark_spots.bank.distance_mean, b.distance_mean);
  EXPECT_EQ(parsed->dark_spots.bank.distance_sd, b.distance_sd);
  EXPECT_EQ(parsed->dark_spots.feature_scales, m.dark_spots.feature_scales);
  EXPECT_EQ(parsed->dark_spots.backbone_weight, m.dark_spots.backbone_weight);
  EXPECT_EQ(parsed->dark_spots.backbone_mean, m.dark_spots.backbone_mean);
  EXPECT_EQ(parsed->dark_spots.backbone_sd, m.dark_spots.backbone_sd);
  EXPECT_EQ(parsed->dark_spots.channel_mean, m.dark_spots.channel_mean);
  EXPECT_EQ(parsed->dark_spots.channel_sd, m.dark_spots.channel_sd);
  EXPECT_EQ(SerializeModel(*parsed), bytes);
  for (size_t n = 8; n < bytes.size(); n += 4099) EXPECT_FALSE(ParseModelFile(ByteSpan(bytes.data(), n)).ok());
  ExpectDetectsAsItsFile(m, bytes);
}

TEST(DarkSpotChannel, AVersionFourChannelStillLoadsScoresAndRoundTrips) {
  // Version-4 files hold two scales' Gaussians and average both z-scores: a
  // model of that kind, made as that build's trainer did, reads back as
  // written, byte for byte, and detects.
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  Model m = Trained(true);
  DarkSpotChannel& c = m.dark_spots;
  c = DarkSpotChannel{};
  c.sigmas = {std::begin(kDarkSpotSigmasV4), std::end(kDarkSpotSigmasV4)};
  c.backbone_weight = kDarkSpotBackboneWeightV4;
  c.feature_scales.assign(c.features(), 0.05f);
  std::vector<PatchGrid> grids;
  for (int i = 0; i < 12; ++i) {
    const RgbImage image = GenerateSyntheticSample(3, i, false).image;
    grids.push_back(DarkSpotGrid(c, image, PlanGeometry({image.width, image.height}, m.scale, MobileNetV2::kInputMultiple)));
  }
  std::vector<const PatchGrid*> normals;
  for (const PatchGrid& g : grids) normals.push_back(&g);
  c.position = FitPositionModel(normals, {}, 5, c.features(), 4, kDarkSpotShift).model;
  c.backbone_mean = 1, c.backbone_sd = 0.5, c.channel_mean = 2, c.channel_sd = 1;
  ASSERT_EQ(c.position.grid_width, m.position.grid_width);
  const std::vector<uint8_t> bytes = SerializeModel(m);
  EXPECT_EQ(bytes[4], 4) << "Gaussians: still a version-4 file";
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->dark_spots.sigmas, c.sigmas);
  EXPECT_EQ(parsed->dark_spots.backbone_weight, kDarkSpotBackboneWeightV4);
  EXPECT_EQ(parsed->dark_spots.position.params, c.position.params);
  EXPECT_TRUE(parsed->dark_spots.bank.empty());
  EXPECT_EQ(SerializeModel(*parsed), bytes);
  auto detector = Detector::Create(bytes, testing::SharedBackbone());
  ASSERT_TRUE(detector.ok()) << detector.status().ToString();
  EXPECT_TRUE((*detector)->Analyze(GenerateSyntheticSample(3, 100, true).image, true).ok());
}

TEST(DarkSpotChannel, ModelFileRejectsAMalformedChannel) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  Model m = Trained(true);
  ASSERT_FALSE(m.dark_spots.empty());
  m.dark_spots.channel_sd = 0;
  auto parsed = ParseModelFile(SerializeModel(m));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("spreads positive"), std::string::npos) << parsed.status().ToString();
  // A bank cell whose normal distances have no spread would divide by zero.
  Model flat = Trained(true);
  flat.dark_spots.bank.distance_sd[7] = 0;
  parsed = ParseModelFile(SerializeModel(flat));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("dark-spot bank's distance means must be finite and spreads positive"),
            std::string::npos)
      << parsed.status().ToString();
  // A vector that is not a number (stored as a NaN half).
  Model nan = Trained(true);
  nan.dark_spots.bank.vectors[3] = std::nanf("");
  parsed = ParseModelFile(SerializeModel(nan));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("dark-spot bank's vectors must be finite"), std::string::npos)
      << parsed.status().ToString();
  // Scales out of range, and a weight outside [0, 1], are named.
  Model wide = Trained(true);
  wide.dark_spots.sigmas[0] = 1000;
  parsed = ParseModelFile(SerializeModel(wide));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("scales must be from 0 to 256 px, got 1000"), std::string::npos)
      << parsed.status().ToString();
  Model heavy = Trained(true);
  heavy.dark_spots.backbone_weight = 1.5;
  parsed = ParseModelFile(SerializeModel(heavy));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("\"backbone_weight\" must be from 0 to 1, got 1.5"), std::string::npos)
      << parsed.status().ToString();
  EXPECT_FALSE(Detector::FromModel(heavy, testing::SharedBackbone()).ok()) << "in memory too";
  // A channel whose per-position model is not there.
  Model shared = Trained(true);
  shared.normal_model = NormalModelKind::kSharedBank;
  shared.bank.assign(kPatchFeatureDim, 1.0f);
  shared.bank_rows = 1;
  shared.position = {};
  parsed = ParseModelFile(SerializeModel(shared));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("no dark-spot channel"), std::string::npos) << parsed.status().ToString();
  EXPECT_FALSE(Detector::FromModel(shared, testing::SharedBackbone()).ok());
}

TEST(DarkSpotChannel, OffLeavesTheBackboneModelAloneAsVersionThree) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  const Model& off = Trained(false);
  const Model& on = Trained(true);
  ASSERT_EQ(off.normal_model, NormalModelKind::kPerPosition);
  EXPECT_TRUE(off.dark_spots.empty());
  EXPECT_EQ(off.position.params, on.position.params) << "the backbone model is the same either way";
  const std::vector<uint8_t> bytes = SerializeModel(off);
  EXPECT_EQ(bytes[4], 3) << "without the channel, the version-3 file as before";
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_FALSE(parsed->config.dark_spots);
  EXPECT_TRUE(parsed->dark_spots.empty());
  // Scores as a version-3 model scored: the backbone map's maximum.
  auto detector = Detector::Create(bytes, testing::SharedBackbone());
  auto with = Detector::FromModel(on, testing::SharedBackbone());
  ASSERT_TRUE(detector.ok() && with.ok());
  const RgbImage image = GenerateSyntheticSample(3, 101, true).image;
  auto a = (*detector)->Analyze(image, true);
  auto b = (*with)->Analyze(image, true);
  ASSERT_TRUE(a.ok() && b.ok());
  const AnomalyMap& map = a->map;
  EXPECT_EQ(a->result.score, map.ContentMax());
  EXPECT_NE(a->result.score, b->result.score);
  EXPECT_NE(a->map.values, b->map.values);
}

}  // namespace
}  // namespace anomalens

namespace anomalens {
namespace {

// A shared-bank model with the position-free channel (issue 16).
const Model& TrainedShared() {
  static const Model m = [] {
    ModelConfig config;
    config.normal_model = NormalModelKind::kSharedBank;
    config.shared_dark_spots = true;
    return TrainedOnPlates(config);
  }();
  return m;
}

TEST(SharedDarkSpotChannel, TrainsDetectsAndRoundTripsAsVersionSeven) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  const Model& m = TrainedShared();
  ASSERT_EQ(m.normal_model, NormalModelKind::kSharedBank);
  const DarkSpotChannel& c = m.dark_spots;
  ASSERT_FALSE(c.shared.empty());
  EXPECT_TRUE(c.bank.empty() && c.position.empty());
  EXPECT_TRUE(c.colour);
  EXPECT_EQ(c.features(), 2 * static_cast<int>(kAllScales.size()) + kColourSpotFeatures);
  EXPECT_EQ(c.shared.size() % c.features(), 0u);
  EXPECT_GE(c.shared_rows(), 1u);
  EXPECT_LE(c.shared_rows(), kMaxSharedDarkSpotRows);
  EXPECT_TRUE(SharedDarkSpotChannelFits(c));
  EXPECT_GT(c.channel_sd, 0);

  const std::vector<uint8_t> bytes = SerializeModel(m);
  EXPECT_EQ(bytes[4], 7) << "a shared channel is a version-7 file";
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->dark_spots.shared, c.shared);
  EXPECT_TRUE(parsed->dark_spots.colour);
  EXPECT_EQ(parsed->dark_spots.feature_scales, c.feature_scales);
  EXPECT_EQ(SerializeModel(*parsed), bytes);
  for (size_t n = 8; n < bytes.size(); n += 4099) EXPECT_FALSE(ParseModelFile(ByteSpan(bytes.data(), n)).ok());
  ExpectDetectsAsItsFile(m, bytes);
}

TEST(SharedDarkSpotChannel, TheDetectorRefusesAMalformedChannel) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  Model bad = TrainedShared();
  bad.dark_spots.shared[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(Detector::FromModel(bad, testing::SharedBackbone()).ok());
  bad = TrainedShared();
  bad.dark_spots.shared.resize(bad.dark_spots.shared.size() - 1);
  EXPECT_FALSE(Detector::FromModel(bad, testing::SharedBackbone()).ok());
  // A per-position model does not take a shared channel.
  Model position = Trained(true);
  position.dark_spots.shared = TrainedShared().dark_spots.shared;
  EXPECT_FALSE(Detector::FromModel(position, testing::SharedBackbone()).ok());
}

TEST(ColourSpotFeatures, AForeignColouredSpotStandsOutOnGrey) {
  RgbImage image = Grey(64, 64, 120);
  for (int y = 30; y < 34; ++y)
    for (int x = 40; x < 44; ++x) {
      uint8_t* p = image.at(x, y);
      p[0] = 40, p[1] = 160, p[2] = 40;  // green
    }
  const WorkingGeometry g = PlanGeometry({64, 64}, 1.0, 16);
  const PatchGrid grid = ColourSpotFeatures(image, g, 4);
  ASSERT_EQ(grid.dim, kColourSpotFeatures);
  ASSERT_EQ(grid.width, 16);
  const float* spot = grid.cell(8 * 16 + 10);
  const float* far = grid.cell(2 * 16 + 2);
  EXPECT_LT(spot[1], -40.0f) << "red-green's minimum: green";
  EXPECT_NEAR(far[0], 0.0f, 1e-3f);
  EXPECT_NEAR(far[1], 0.0f, 1e-3f);
}

}  // namespace
}  // namespace anomalens
