// The dark-spot channel: its features on synthetic spots, grooves and edges,
// determinism, the analysed image's size cap, the shift-tolerant Gaussians,
// and the channel in training, detection and the model file (version 4;
// version 3 without it), and the option that turns it off.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/crc32.h"
#include "core/dark_spot_channel.h"
#include "core/dark_spot_features.h"
#include "core/detector.h"
#include "core/model_file.h"
#include "core/synthetic_dataset.h"
#include "core/trainer.h"
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

PatchGrid Features(const RgbImage& image) {
  return DarkSpotFeatures(image, PlanGeometry({image.width, image.height}, 1.0, 16), 4);
}

TEST(DarkSpotFeatures, ASpotRespondsAnEdgeOrAGrooveDoesNot) {
  const PatchGrid flat = Features(Grey(kW, kH, 128));
  ASSERT_EQ(flat.width, kW / 4);
  ASSERT_EQ(flat.height, kH / 4);
  ASSERT_EQ(flat.dim, kDarkSpotFeatures);
  for (float v : flat.data) EXPECT_EQ(v, 0.0f) << "a flat image has no curvature";

  // A dark disc of radius 2 px at (50, 30): cell (12, 7).
  RgbImage spot = Grey(kW, kH, 128);
  for (int y = 26; y <= 34; ++y)
    for (int x = 46; x <= 54; ++x)
      if ((x - 50) * (x - 50) + (y - 30) * (y - 30) <= 4) Paint(spot, x, y, 40);
  const PatchGrid s = Features(spot);
  const float* at_spot = s.cell(7 * s.width + 12);
  for (int k = 0; k < kDarkSpotScales; ++k) {
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
  for (int k = 0; k < kDarkSpotScales; ++k) {
    EXPECT_LT(MaxFeature(g, 2 * k), 0.05f * at_spot[2 * k]) << "groove, scale " << k;
    EXPECT_LT(MaxFeature(e, 2 * k), 0.05f * at_spot[2 * k]) << "edge, scale " << k;
    EXPECT_GT(MaxFeature(g, 2 * k + 1), 0.3f * at_spot[2 * k + 1]) << "the Laplacian sees the groove, scale " << k;
  }
}

TEST(DarkSpotFeatures, PaddingCellsRepeatTheContentEdge) {
  // 90x60 px pads to 96x64: the last column and row of cells are padding.
  RgbImage image = Grey(90, 60, 128);
  for (int y = 0; y < 60; ++y) Paint(image, 88, y, 30);  // a dark line at the last interior column
  const WorkingGeometry geometry = PlanGeometry({90, 60}, 1.0, 16);
  ASSERT_EQ(geometry.padded.width, 96);
  const PatchGrid g = DarkSpotFeatures(image, geometry, 4);
  for (int y = 0; y < g.height; ++y)
    for (int d = 0; d < kDarkSpotFeatures; ++d) EXPECT_EQ(g.cell(y * g.width + 23)[d], g.cell(y * g.width + 22)[d]);
  EXPECT_GT(g.cell(5 * g.width + 23)[1], 1.0f);
}

TEST(DarkSpotFeatures, AreDeterministic) {
  // Pinned: the same floats on every target (the core is built without
  // contraction; wasm runs the same code). A change here changes models.
  const RgbImage image = GenerateSyntheticSample(3, 0, true).image;
  const WorkingGeometry geometry = PlanGeometry({image.width, image.height}, 0.5, 16);
  const PatchGrid a = DarkSpotFeatures(image, geometry, 4);
  const PatchGrid b = DarkSpotFeatures(image, geometry, 4);
  ASSERT_EQ(a.data, b.data);
  const uint32_t crc = Crc32(reinterpret_cast<const uint8_t*>(a.data.data()), a.data.size() * sizeof(float));
  RecordProperty("crc", std::to_string(crc));
  EXPECT_EQ(crc, 990349078u) << "features' CRC-32";
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

TEST(DarkSpotChannel, FusionKeepsTheBackboneScaleAndAveragesZScores) {
  DarkSpotChannel c;
  c.backbone_mean = 2, c.backbone_sd = 0.5, c.channel_mean = 10, c.channel_sd = 4;
  EXPECT_DOUBLE_EQ(FuseImageScores(c, 3.0, 18.0), 3.0) << "both 2 sd above their normals";
  EXPECT_DOUBLE_EQ(FuseImageScores(c, 2.0, 18.0), 2.5) << "z 0 and 2 average to 1";
  EXPECT_DOUBLE_EQ(FuseImageScores(c, 2.0, 10.0), 2.0);
}

// A per-position model trained on the synthetic plates (12 normal images,
// stride 4), with the channel unless `dark_spots` is false.
const Model& Trained(bool dark_spots) {
  static Model models[2];
  static bool done[2] = {false, false};
  Model& m = models[dark_spots];
  if (!done[dark_spots]) {
    ModelConfig config;
    config.normal_model = NormalModelKind::kPerPosition;
    config.dark_spots = dark_spots;
    Trainer trainer(testing::SharedBackbone(), config);
    for (int i = 0; i < 12; ++i) EXPECT_TRUE(trainer.AddImage(GenerateSyntheticSample(3, i, false).image, ImageLabel::kNormal).ok());
    auto model = trainer.Finish();
    EXPECT_TRUE(model.ok()) << model.status().ToString();
    if (model.ok()) m = std::move(model).value();
    done[dark_spots] = true;
  }
  return m;
}

TEST(DarkSpotChannel, TrainsDetectsAndRoundTripsAsVersionFour) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  const Model& m = Trained(true);
  ASSERT_EQ(m.normal_model, NormalModelKind::kPerPosition);
  ASSERT_EQ(m.position.stride, 4);
  ASSERT_FALSE(m.dark_spots.empty());
  EXPECT_TRUE(m.config.dark_spots);
  const PositionModel& d = m.dark_spots.position;
  EXPECT_EQ(d.features, kDarkSpotFeatures);
  EXPECT_EQ(d.shift, kDarkSpotShift);
  EXPECT_EQ(d.grid_width, m.position.grid_width);
  EXPECT_EQ(d.grid_height, m.position.grid_height);
  EXPECT_GT(m.dark_spots.backbone_sd, 0);
  EXPECT_GT(m.dark_spots.channel_sd, 0);

  const std::vector<uint8_t> bytes = SerializeModel(m);
  EXPECT_EQ(bytes[4], 4) << "a model with the channel is a version-4 file";
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(parsed->config.dark_spots);
  EXPECT_EQ(parsed->dark_spots.position.params, d.params);
  EXPECT_EQ(parsed->dark_spots.position.shift, kDarkSpotShift);
  for (int k = 0; k < kDarkSpotFeatures; ++k)
    EXPECT_EQ(parsed->dark_spots.feature_scales[k], m.dark_spots.feature_scales[k]);
  EXPECT_EQ(parsed->dark_spots.backbone_mean, m.dark_spots.backbone_mean);
  EXPECT_EQ(parsed->dark_spots.backbone_sd, m.dark_spots.backbone_sd);
  EXPECT_EQ(parsed->dark_spots.channel_mean, m.dark_spots.channel_mean);
  EXPECT_EQ(parsed->dark_spots.channel_sd, m.dark_spots.channel_sd);
  EXPECT_EQ(SerializeModel(*parsed), bytes);
  for (size_t n = 8; n < bytes.size(); n += 4099) EXPECT_FALSE(ParseModelFile(ByteSpan(bytes.data(), n)).ok());

  auto in_memory = Detector::FromModel(m, testing::SharedBackbone());
  auto loaded = Detector::Create(bytes, testing::SharedBackbone());
  ASSERT_TRUE(in_memory.ok() && loaded.ok());
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

TEST(DarkSpotChannel, ModelFileRejectsAMalformedChannel) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  Model m = Trained(true);
  ASSERT_FALSE(m.dark_spots.empty());
  m.dark_spots.channel_sd = 0;
  auto parsed = ParseModelFile(SerializeModel(m));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("spreads positive"), std::string::npos) << parsed.status().ToString();
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
