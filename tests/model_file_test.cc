// Model file round trip, and rejection of truncated, corrupt and foreign files.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "core/base/crc32.h"
#include "core/model/dark_spot_channel.h"
#include "core/model/model_file.h"

namespace anomalens {
namespace {

Model MakeModel() {
  Model m;
  m.backbone_id = "mobilenet_v2_1.0_224/block_10";
  m.backbone_checksum = 0x2e82133f;
  m.scale = 0.388888;
  m.stats.working_size = {224, 304};
  m.layer_scales[0] = 0.25f;
  m.layer_scales[1] = 0.125f;
  m.feature_dim = 8;
  m.bank_rows = 3;
  m.anomaly_bank_rows = 2;
  std::mt19937 rng(5);
  std::normal_distribution<float> dist;
  for (int i = 0; i < 24; ++i) m.bank.push_back(dist(rng));
  for (int i = 0; i < 16; ++i) m.anomaly_bank.push_back(dist(rng));
  m.threshold = 7.123456789012345;
  m.confidence_scale = 0.4;
  m.threshold_rule = ThresholdRule::kNormalMedianPlus3RobustSd;
  m.stats.normal_images = 25;
  m.stats.anomaly_images = 26;
  m.stats.image_width = 576;
  m.stats.image_height = 768;
  m.stats.training_patches = 26600;
  m.stats.calibration_normal_scores = {1.5, 2.25};
  m.stats.calibration_anomaly_scores = {9.0};
  return m;
}

TEST(ModelFile, RoundTripsEveryField) {
  const Model m = MakeModel();
  const std::vector<uint8_t> bytes = SerializeModel(m);
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const Model& p = *parsed;
  EXPECT_EQ(p.backbone_id, m.backbone_id);
  EXPECT_EQ(p.backbone_checksum, m.backbone_checksum);
  EXPECT_EQ(p.scale, m.scale);
  EXPECT_EQ(p.stats.working_size, m.stats.working_size);
  EXPECT_EQ(p.config.tiling.tile, m.config.tiling.tile);
  EXPECT_EQ(p.layer_scales[0], m.layer_scales[0]);
  EXPECT_EQ(p.layer_scales[1], m.layer_scales[1]);
  EXPECT_EQ(p.bank, m.bank);
  EXPECT_EQ(p.anomaly_bank, m.anomaly_bank);
  EXPECT_EQ(p.bank_rows, 3u);
  EXPECT_EQ(p.anomaly_bank_rows, 2u);
  EXPECT_EQ(p.threshold, m.threshold);  // bit-exact: the decision depends on it
  EXPECT_EQ(p.confidence_scale, m.confidence_scale);
  EXPECT_EQ(p.threshold_rule, m.threshold_rule);
  EXPECT_EQ(p.config.coreset_ratio, m.config.coreset_ratio);
  EXPECT_EQ(p.config.anomaly_patches_per_image, m.config.anomaly_patches_per_image);
  EXPECT_EQ(p.stats.calibration_normal_scores, m.stats.calibration_normal_scores);
  EXPECT_EQ(p.stats.training_patches, m.stats.training_patches);
  EXPECT_EQ(SerializeModel(p), bytes) << "serialization is deterministic";
}

// The normal-only rule keeps its false-positive rate beside it; the older
// normal-only rule's files (MakeModel) load without one.
TEST(ModelFile, RoundTripsTheFalsePositiveRateRule) {
  Model m = MakeModel();
  m.threshold_rule = ThresholdRule::kNormalFalsePositiveRate;
  m.config.false_positive_rate = 0.025;
  auto parsed = ParseModelFile(SerializeModel(m));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->threshold_rule, ThresholdRule::kNormalFalsePositiveRate);
  EXPECT_EQ(parsed->config.false_positive_rate, 0.025);
  EXPECT_EQ(SerializeModel(*parsed), SerializeModel(m));
  // The older rules write no rate: their files keep the bytes they had.
  const std::vector<uint8_t> old_rule = SerializeModel(MakeModel());
  EXPECT_EQ(std::string(old_rule.begin(), old_rule.end()).find("false_positive_rate"), std::string::npos);
  m.config.false_positive_rate = 0.5;  // out of range: rejected by name
  auto bad = ParseModelFile(SerializeModel(m));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("false-positive rate must be above 0 and below 0.5"), std::string::npos)
      << bad.status().message();
}

TEST(ModelFile, Rejects_every_truncation) {
  const std::vector<uint8_t> bytes = SerializeModel(MakeModel());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto parsed = ParseModelFile(ByteSpan(bytes.data(), n));
    ASSERT_FALSE(parsed.ok()) << "length " << n;
    if (n >= 8) EXPECT_EQ(parsed.status().code(), StatusCode::kDataLoss) << "length " << n;
  }
}

// A per-position model (stride 4) with a version-4 dark-spot channel (its
// per-cell Gaussians), made by hand on a small grid: it reads back as
// written, and a file cut anywhere in the channel, or a channel of the wrong
// shape, is refused before its floats are read. Only models trained with
// the channel (DarkSpotChannel.*) reached this reader before.
TEST(ModelFile, RoundTripsAVersionFourDarkSpotChannelAndRefusesItCut) {
  Model m = MakeModel();
  m.stats.working_size = {32, 48};
  m.normal_model = NormalModelKind::kPerPosition;
  m.bank.clear();
  m.bank_rows = 0;
  std::mt19937 rng(6);
  std::normal_distribution<float> dist;
  auto fill = [&](PositionModel* p, int features, int shift) {
    p->grid_width = 8, p->grid_height = 12, p->stride = 4, p->features = features, p->shift = shift;
    p->params.resize(p->cells() * p->floats_per_cell());
    for (float& v : p->params) v = dist(rng);
  };
  fill(&m.position, 2, 0);
  m.config.dark_spots = true;
  DarkSpotChannel& c = m.dark_spots;
  c.sigmas.assign(std::begin(kDarkSpotSigmasV4), std::end(kDarkSpotSigmasV4));
  c.backbone_weight = kDarkSpotBackboneWeightV4;
  c.feature_scales.assign(c.features(), 0.05f);
  c.backbone_mean = 1, c.backbone_sd = 0.5, c.channel_mean = 2, c.channel_sd = 1;
  fill(&c.position, c.features(), kDarkSpotShift);

  const std::vector<uint8_t> bytes = SerializeModel(m);
  EXPECT_EQ(bytes[4], 4) << "Gaussians: a version-4 file";
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->position.params, m.position.params);
  EXPECT_EQ(parsed->dark_spots.position.params, c.position.params);
  EXPECT_EQ(parsed->dark_spots.position.shift, kDarkSpotShift);
  EXPECT_EQ(parsed->dark_spots.sigmas, c.sigmas);
  EXPECT_TRUE(parsed->dark_spots.bank.empty());
  EXPECT_EQ(SerializeModel(*parsed), bytes);

  // Cut in the channel (its two u32s, then its floats) or just before it.
  const size_t channel = 8 + c.position.params.size() * 4 + 16;
  for (size_t n = bytes.size() - channel; n < bytes.size(); ++n) {
    auto cut = ParseModelFile(ByteSpan(bytes.data(), n));
    ASSERT_FALSE(cut.ok()) << "length " << n;
    EXPECT_EQ(cut.status().code(), StatusCode::kDataLoss) << "length " << n;
  }
  Model wide = m;
  fill(&wide.dark_spots.position, c.features(), 3);
  auto refused = ParseModelFile(SerializeModel(wide));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("a shift of at most 2"), std::string::npos) << refused.status().message();
}

TEST(ModelFile, Rejects_flipped_bit_with_checksum_error) {
  std::vector<uint8_t> bytes = SerializeModel(MakeModel());
  bytes[bytes.size() / 2] ^= 0x10;
  auto parsed = ParseModelFile(bytes);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(parsed.status().message().find("checksum mismatch"), std::string::npos);
}

TEST(ModelFile, Rejects_foreign_file) {
  const std::string png = "\x89PNG\r\n\x1a\n0000000000000";
  auto parsed = ParseModelFile(png);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(parsed.status().message().find("not an anomalens model file"), std::string::npos);
}

TEST(ModelFile, Rejects_future_version) {
  std::vector<uint8_t> bytes = SerializeModel(MakeModel());
  bytes[4] = 9;
  auto parsed = ParseModelFile(bytes);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(parsed.status().message().find("version 9"), std::string::npos);
}

TEST(ModelFile, Rejects_well_checksummed_but_inconsistent_bank) {
  // A file whose checksum is right but whose bank header lies about its size.
  std::vector<uint8_t> bytes = SerializeModel(MakeModel());
  // Drop the crc, the three (empty) version-2 sections' row counts and two
  // floats of the anomaly bank.
  bytes.resize(bytes.size() - 4 - 24 - 8);
  const uint32_t crc = Crc32(bytes.data(), bytes.size());
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<uint8_t>(crc >> (8 * i)));
  auto parsed = ParseModelFile(bytes);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(parsed.status().message().find("anomaly bank should hold"), std::string::npos);
}

// Replaces `from` with `to` (the same length, so the metadata's length field
// stays right) in a serialized model, and makes its checksum right again.
std::vector<uint8_t> WithMetadataEdited(std::vector<uint8_t> bytes, const std::string& from, const std::string& to) {
  EXPECT_EQ(from.size(), to.size());
  std::string text(bytes.begin(), bytes.end());
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at == std::string::npos) return bytes;
  std::copy(to.begin(), to.end(), bytes.begin() + static_cast<std::ptrdiff_t>(at));
  const uint32_t crc = Crc32(bytes.data(), bytes.size() - 4);
  for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
  return bytes;
}

// Numbers are range-checked before they are cast to int or float: a double
// outside the target type's range would be undefined behaviour (tests/fuzz).
TEST(ModelFile, Rejects_numbers_outside_their_fields_type_by_name) {
  const std::vector<uint8_t> bytes = SerializeModel(MakeModel());
  ASSERT_TRUE(ParseModelFile(WithMetadataEdited(bytes, "\"image_width\":576", "\"image_width\":576")).ok());
  struct Case {
    const char* from;
    const char* to;
    const char* message;
  } cases[] = {
      {"\"image_width\":576", "\"image_width\":9e9", "\"image_width\" must be a whole number from 0 to 2147483647, got 9000000000.0"},
      {"\"image_width\":576", "\"image_width\":5.5", "\"image_width\" must be a whole number from 0 to 2147483647, got 5.5"},
      {"\"normal_images\":25", "\"normal_images\":-1", "\"normal_images\" must be a whole number from 0 to 2147483647, got -1"},
      {"[0.25,0.125]", "[4e99,0.125]", "\"layer_scales\" must be a finite number of at most"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseModelFile(WithMetadataEdited(bytes, c.from, c.to));
    ASSERT_FALSE(parsed.ok()) << c.to;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(parsed.status().message().find(c.message), std::string::npos) << parsed.status().message();
  }
}

}  // namespace
}  // namespace anomalens
