// Model file version 2: segmentation metadata, the class bank with its
// labels and the clean bank round-trip; bad class-bank labels are rejected;
// version 1 files (no v2 sections, no v2 metadata keys) still load.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/crc32.h"
#include "core/model/model_file.h"

namespace anomalens {
namespace {

Model ClassificationModel() {
  Model m;
  m.backbone_id = "mobilenet_v2_1.0_224/block_10";
  m.backbone_checksum = 0x2e82133f;
  m.scale = 0.388888;
  m.stats.working_size = {224, 304};
  m.layer_scales[0] = 0.25f;
  m.layer_scales[1] = 0.125f;
  m.feature_dim = 8;
  m.bank_rows = 3;
  m.anomaly_bank_rows = 1;
  std::mt19937 rng(11);
  std::normal_distribution<float> dist;
  for (int i = 0; i < 24; ++i) m.bank.push_back(dist(rng));
  for (int i = 0; i < 8; ++i) m.anomaly_bank.push_back(dist(rng));
  m.threshold = 7.123456789012345;
  m.confidence_scale = 0.4;
  m.stats.normal_images = 20;
  m.stats.anomaly_images = 10;
  m.stats.image_width = 576;
  m.stats.image_height = 768;
  m.stats.training_patches = 4000;
  m.stats.calibration_normal_scores = {1.5, 2.25};
  m.stats.calibration_anomaly_scores = {9.0};
  return m;
}

Model SegmentationModelWithBanks() {
  Model m = ClassificationModel();
  m.config.anomaly_bank_from_masks = false;  // not the defaults, so the round trip shows
  m.config.normal_patches_from_masks = true;
  m.stats.masked_anomaly_images = 9;
  m.stats.pixel_rule_mean_iou = 0.6180339887498949;
  m.segmentation.classes = {{"cracked", 0x23A436}, {"dent", 0x0033CC}};
  m.segmentation.pixel_rule.threshold = 3.141592653589793;
  m.segmentation.pixel_rule.relative_to_peak = 0.7;
  std::mt19937 rng(12);
  std::normal_distribution<float> dist;
  // 3 class-bank rows: their 3 u16 labels (6 bytes) need 2 bytes of padding.
  for (int i = 0; i < 3 * 8; ++i) m.segmentation.class_bank.push_back(dist(rng));
  m.segmentation.class_bank_labels = {1, 0, 1};
  for (int i = 0; i < 2 * 8; ++i) m.segmentation.clean_bank.push_back(dist(rng));
  return m;
}

// Replaces the file's CRC with the right one for its (edited) body.
void Reseal(std::vector<uint8_t>& bytes) {
  bytes.resize(bytes.size() - 4);
  const uint32_t crc = Crc32(bytes.data(), bytes.size());
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<uint8_t>(crc >> (8 * i)));
}

TEST(ModelFileSegmentation, Round_trips_classes_rule_and_banks_exactly) {
  const Model m = SegmentationModelWithBanks();
  const std::vector<uint8_t> bytes = SerializeModel(m);
  // Version 4 only adds the dark-spot channel; a model without one is written as version 3.
  EXPECT_EQ(bytes[4], 3) << "written as the oldest version that holds it";
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const Model& p = *parsed;
  ASSERT_TRUE(p.segmentation.enabled());
  ASSERT_EQ(p.segmentation.classes.size(), 2u);
  EXPECT_EQ(p.segmentation.classes[0].name, "cracked");
  EXPECT_EQ(p.segmentation.classes[0].color, 0x23A436u);
  EXPECT_EQ(p.segmentation.classes[1].name, "dent");
  EXPECT_EQ(p.segmentation.classes[1].color, 0x0033CCu);
  EXPECT_EQ(p.segmentation.pixel_rule.threshold, m.segmentation.pixel_rule.threshold);  // bit-exact
  EXPECT_EQ(p.segmentation.pixel_rule.relative_to_peak, 0.7);
  EXPECT_EQ(p.segmentation.class_bank, m.segmentation.class_bank);
  EXPECT_EQ(p.segmentation.class_bank_labels, m.segmentation.class_bank_labels);
  EXPECT_EQ(p.segmentation.clean_bank, m.segmentation.clean_bank);
  EXPECT_EQ(p.bank, m.bank);
  EXPECT_EQ(p.anomaly_bank, m.anomaly_bank);
  EXPECT_EQ(p.config.anomaly_bank_from_masks, false);
  EXPECT_EQ(p.config.normal_patches_from_masks, true);
  EXPECT_EQ(p.stats.masked_anomaly_images, 9);
  EXPECT_EQ(p.stats.pixel_rule_mean_iou, m.stats.pixel_rule_mean_iou);
  EXPECT_EQ(SerializeModel(p), bytes) << "serialization is deterministic";
}

TEST(ModelFileSegmentation, One_class_model_without_class_bank_round_trips) {
  Model m = SegmentationModelWithBanks();
  m.segmentation.classes.resize(1);
  m.segmentation.class_bank.clear();
  m.segmentation.class_bank_labels.clear();
  const std::vector<uint8_t> bytes = SerializeModel(m);
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->segmentation.classes.size(), 1u);
  EXPECT_TRUE(parsed->segmentation.class_bank.empty());
  EXPECT_EQ(parsed->segmentation.clean_bank, m.segmentation.clean_bank);
  EXPECT_EQ(SerializeModel(*parsed), bytes);
}

TEST(ModelFileSegmentation, Rejects_class_bank_label_at_or_above_class_count) {
  Model m = SegmentationModelWithBanks();
  m.segmentation.class_bank_labels = {0, 2, 1};  // 2 classes: indices 0 and 1
  auto parsed = ParseModelFile(SerializeModel(m));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(parsed.status().message().find("class bank names class 2 of 2"), std::string::npos)
      << parsed.status().message();
}

TEST(ModelFileSegmentation, Rejects_class_bank_with_fewer_than_two_classes) {
  Model m = SegmentationModelWithBanks();
  m.segmentation.classes.resize(1);
  m.segmentation.class_bank_labels = {0, 0, 0};
  auto parsed = ParseModelFile(SerializeModel(m));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(parsed.status().message().find("class bank but not several classes"), std::string::npos)
      << parsed.status().message();
}

// The map refinement (map_refinement.h): written only when enabled, read
// back exactly, absent in older files (no refinement), and range-checked.
nlohmann::ordered_json Metadata(const std::vector<uint8_t>& bytes) {
  uint32_t meta_len = 0;
  std::memcpy(&meta_len, &bytes[8], 4);
  return nlohmann::ordered_json::parse(bytes.begin() + 12, bytes.begin() + 12 + meta_len);
}

// The file with its metadata replaced (padding redone, CRC resealed).
std::vector<uint8_t> WithMetadata(const std::vector<uint8_t>& bytes, const nlohmann::ordered_json& meta) {
  uint32_t meta_len = 0;
  std::memcpy(&meta_len, &bytes[8], 4);
  const size_t body_at = (12 + meta_len + 15) / 16 * 16;
  const std::string text = meta.dump();
  std::vector<uint8_t> out(bytes.begin(), bytes.begin() + 8);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(text.size() >> (8 * i)));
  out.insert(out.end(), text.begin(), text.end());
  while (out.size() % 16 != 0) out.push_back(0);
  out.insert(out.end(), bytes.begin() + body_at, bytes.end());
  Reseal(out);
  return out;
}

TEST(ModelFileSegmentation, Map_refinement_round_trips_and_is_absent_when_disabled) {
  Model m = SegmentationModelWithBanks();
  EXPECT_FALSE(Metadata(SerializeModel(m))["segmentation"].contains("guided_filter"));
  auto plain = ParseModelFile(SerializeModel(m));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE(plain->segmentation.refinement.enabled());

  m.segmentation.refinement = {24, 0.01};
  const std::vector<uint8_t> bytes = SerializeModel(m);
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->segmentation.refinement.radius, 24);
  EXPECT_EQ(parsed->segmentation.refinement.epsilon, 0.01);
  EXPECT_EQ(SerializeModel(*parsed), bytes);
}

TEST(ModelFileSegmentation, Rejects_a_map_refinement_out_of_range) {
  Model m = SegmentationModelWithBanks();
  m.segmentation.refinement = {8, 0.01};
  const std::vector<uint8_t> bytes = SerializeModel(m);
  const struct {
    nlohmann::ordered_json filter;
    const char* message;
  } cases[] = {
      {{{"radius", 0}, {"epsilon", 0.01}}, "\"radius\" must be a whole number from 1 to 64"},
      {{{"radius", 65}, {"epsilon", 0.01}}, "\"radius\" must be a whole number from 1 to 64"},
      {{{"radius", 2.5}, {"epsilon", 0.01}}, "\"radius\" must be a whole number"},
      {{{"radius", 8}, {"epsilon", 0}}, "guided filter epsilon must be above 0 and at most 1"},
      {{{"radius", 8}}, "lacks \"epsilon\""},
  };
  for (const auto& c : cases) {
    nlohmann::ordered_json meta = Metadata(bytes);
    meta["segmentation"]["guided_filter"] = c.filter;
    auto parsed = ParseModelFile(WithMetadata(bytes, meta));
    ASSERT_FALSE(parsed.ok()) << c.filter.dump();
    EXPECT_NE(parsed.status().message().find(c.message), std::string::npos) << parsed.status().message();
  }
}

TEST(ModelFileSegmentation, Defect_head_round_trips_exactly_and_is_checked) {
  Model m = SegmentationModelWithBanks();
  DefectHead& head = m.segmentation.head;
  for (int i = 0; i < kDefectHeadInputs; ++i) {
    head.mean.push_back(0.1 * i + 1.0 / 3);
    head.scale.push_back(1.0 / (i + 7));
    head.weights.push_back(-0.37 * i + 2.0 / 7);
  }
  head.bias = -1.2345678901234567;
  const std::vector<uint8_t> bytes = SerializeModel(m);
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->segmentation.head.mean, head.mean);
  EXPECT_EQ(parsed->segmentation.head.scale, head.scale);
  EXPECT_EQ(parsed->segmentation.head.weights, head.weights);
  EXPECT_EQ(parsed->segmentation.head.bias, head.bias);
  EXPECT_EQ(SerializeModel(*parsed), bytes);

  nlohmann::ordered_json meta = Metadata(bytes);
  meta["segmentation"]["defect_head"]["weights"].erase(0);
  auto short_list = ParseModelFile(WithMetadata(bytes, meta));
  ASSERT_FALSE(short_list.ok());
  EXPECT_NE(short_list.status().message().find("\"weights\" must be a list of " + std::to_string(kDefectHeadInputs)),
            std::string::npos)
      << short_list.status().message();
  meta = Metadata(bytes);
  meta["segmentation"]["defect_head"]["mean"][3] = "x";
  auto not_number = ParseModelFile(WithMetadata(bytes, meta));
  ASSERT_FALSE(not_number.ok());
  EXPECT_NE(not_number.status().message().find("not a finite number"), std::string::npos);
  meta = Metadata(bytes);
  meta["segmentation"]["defect_head"].erase("bias");
  EXPECT_FALSE(ParseModelFile(WithMetadata(bytes, meta)).ok());
}

// Per-class heads (class_head.h): written only where they name the types,
// in a version 6 file; read back exactly; checked against the class count.
TEST(ModelFileSegmentation, Class_heads_round_trip_in_version_6_and_only_there) {
  Model m = SegmentationModelWithBanks();
  uint32_t version = 0;
  std::vector<uint8_t> bytes = SerializeModel(m);
  std::memcpy(&version, &bytes[4], 4);
  EXPECT_EQ(version, 3u);  // as before class heads: older builds still read it
  EXPECT_FALSE(Metadata(bytes)["segmentation"].contains("class_heads"));
  m.segmentation.class_bank.clear();
  m.segmentation.class_bank_labels.clear();
  for (int k = 0; k < 2; ++k) {
    DefectHead h;
    for (int i = 0; i < kPatchFeatureDim; ++i) {
      h.mean.push_back(0.01 * i + k / 3.0);
      h.scale.push_back(1.0 / (i + 3 + k));
      h.weights.push_back((k ? -0.29 : 0.31) * i + 1.0 / 7);
    }
    h.bias = k ? 0.123456789012345678 : -2.5;
    m.segmentation.class_head.classes.push_back(std::move(h));
  }
  bytes = SerializeModel(m);
  std::memcpy(&version, &bytes[4], 4);
  EXPECT_EQ(version, 6u);
  auto parsed = ParseModelFile(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->segmentation.class_head.classes.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    const DefectHead &a = parsed->segmentation.class_head.classes[k], &b = m.segmentation.class_head.classes[k];
    EXPECT_EQ(a.mean, b.mean);
    EXPECT_EQ(a.scale, b.scale);
    EXPECT_EQ(a.weights, b.weights);
    EXPECT_EQ(a.bias, b.bias);
  }
  EXPECT_EQ(SerializeModel(*parsed), bytes);

  nlohmann::ordered_json meta = Metadata(bytes);
  meta["segmentation"]["class_heads"].erase(1);
  auto one_head = ParseModelFile(WithMetadata(bytes, meta));
  ASSERT_FALSE(one_head.ok());
  EXPECT_NE(one_head.status().message().find("one head a class"), std::string::npos) << one_head.status().message();
  meta = Metadata(bytes);
  meta["segmentation"]["class_heads"][1]["weights"].erase(0);
  EXPECT_FALSE(ParseModelFile(WithMetadata(bytes, meta)).ok());
}

TEST(ModelFileSegmentation, Version_1_file_still_loads) {
  // Built from a v2 file of a classification model: version 1, the v2-only
  // metadata keys removed, and the three u64 counts (per-position cells,
  // class bank, clean bank, all 0) dropped before the CRC.
  const Model m = ClassificationModel();
  const std::vector<uint8_t> v2 = SerializeModel(m);
  uint32_t meta_len = 0;
  std::memcpy(&meta_len, &v2[8], 4);  // little-endian host assumed, as the format
  nlohmann::ordered_json meta = nlohmann::ordered_json::parse(v2.begin() + 12, v2.begin() + 12 + meta_len);
  meta["config"].erase("anomaly_bank_from_masks");
  meta["config"].erase("normal_patches_from_masks");
  meta["stats"].erase("masked_anomaly_images");
  meta["stats"].erase("pixel_rule_mean_iou");
  meta["config"].erase("normal_model");
  meta.erase("normal_model");
  meta["stats"].erase("alignment");
  ASSERT_FALSE(meta.contains("segmentation"));
  const std::string text = meta.dump();
  const size_t banks_at = (12 + meta_len + 15) / 16 * 16;  // the feature dim, after the padding

  std::vector<uint8_t> v1 = {'A', 'N', 'L', 'M', 1, 0, 0, 0};
  for (int i = 0; i < 4; ++i) v1.push_back(static_cast<uint8_t>(text.size() >> (8 * i)));
  v1.insert(v1.end(), text.begin(), text.end());
  while (v1.size() % 16 != 0) v1.push_back(0);
  // Feature dim, memory bank and anomaly bank; not the last 24 + 4 bytes.
  v1.insert(v1.end(), v2.begin() + banks_at, v2.end() - 4 - 24);
  v1.insert(v1.end(), 4, 0);  // CRC placeholder
  Reseal(v1);

  auto parsed = ParseModelFile(v1);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_FALSE(parsed->segmentation.enabled());
  EXPECT_EQ(parsed->bank, m.bank);
  EXPECT_EQ(parsed->anomaly_bank, m.anomaly_bank);
  EXPECT_EQ(parsed->threshold, m.threshold);
  EXPECT_EQ(parsed->feature_dim, 8);
  EXPECT_FALSE(parsed->config.anomaly_bank_from_masks);  // version 1 predates masks
  EXPECT_FALSE(parsed->config.normal_patches_from_masks);
  EXPECT_EQ(parsed->stats.masked_anomaly_images, 0);

  // The v1 file with the three v2 counts left in is 24 bytes too long.
  std::vector<uint8_t> long_v1 = v1;
  long_v1.insert(long_v1.end() - 4, 24, 0);
  Reseal(long_v1);
  auto extra = ParseModelFile(long_v1);
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(extra.status().message().find("24 unexpected bytes"), std::string::npos) << extra.status().message();

  // Saved again, it is the version-2 file of the same model with the mask
  // options off.
  Model without_masks = m;
  without_masks.config.anomaly_bank_from_masks = false;
  without_masks.config.normal_patches_from_masks = false;
  without_masks.config.normal_model = NormalModelKind::kSharedBank;
  without_masks.normal_model = NormalModelKind::kSharedBank;
  EXPECT_EQ(SerializeModel(*parsed), SerializeModel(without_masks));
}

}  // namespace
}  // namespace anomalens
