#include "core/model/model_file.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/base/byte_reader.h"
#include "core/base/crc32.h"
#include "core/base/half_float.h"
#include "core/features/working_geometry.h"
#include "core/lookout/anomaly_classes.h"

namespace anomalens {
namespace {

using nlohmann::json;

constexpr char kMagic[4] = {'A', 'N', 'L', 'M'};

void PutU32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutU64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

json ToJson(const std::vector<double>& v) { return json(v); }

// A number as JSON writes it, for errors: -80276543, not -80276543.000000.
std::string NumberText(double v) { return json(v).dump(); }

// A figure that may be undefined (NaN): null in the file.
json Figure(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

json SelfCheckJson(const SelfCheckReport& r) {
  auto groups = [](const std::vector<SelfCheckGroup>& gs) {
    json out = json::array();
    for (const SelfCheckGroup& g : gs)
      out.push_back({{"name", g.name}, {"defects", g.defects}, {"detected", g.detected},
                     {"image_rocauc", Figure(g.image_rocauc)}});
    return out;
  };
  return {{"defects", r.defects},
          {"normal_images", r.normal_images},
          {"image_rocauc", Figure(r.image_rocauc)},
          {"pixel_rocauc", Figure(r.pixel_rocauc)},
          {"pixel_aupro", Figure(r.pixel_aupro)},
          {"recall", Figure(r.recall)},
          {"false_positive_rate", Figure(r.false_positive_rate)},
          {"compressed_normals", r.compressed_normals},
          {"compressed_flagged", r.compressed_flagged},
          {"families", groups(r.families)},
          {"sizes", groups(r.sizes)}};
}

// The configuration search's table, without its seconds (candidate.h).
json SearchJson(const std::vector<CandidateFigures>& table) {
  json out = json::array();
  for (const CandidateFigures& c : table) {
    json row = {{"short_side", c.short_side},
                {"normal_model", c.normal_model},
                {"coarse_weight", c.coarse_weight},
                {"dark_spots", c.dark_spots},
                {"chosen", c.chosen}};
    if (c.error.empty()) {
      row["synthetic_rocauc"] = Figure(c.synthetic_rocauc);
      row["synthetic_aupro"] = Figure(c.synthetic_aupro);
      row["synthetic_recall"] = Figure(c.synthetic_recall);
      if (c.labelled_rocauc >= 0) row["labelled_rocauc"] = Figure(c.labelled_rocauc);
      if (c.compressed_normals > 0) {
        row["compressed_normals"] = c.compressed_normals;
        row["compressed_flagged"] = c.compressed_flagged;
      }
    } else {
      row["error"] = c.error;
    }
    out.push_back(std::move(row));
  }
  return out;
}

json Metadata(const Model& m) {
  json meta;
  meta["format"] = "anomalens-model";
  meta["backbone"] = {{"id", m.backbone_id}, {"checksum", m.backbone_checksum}};
  meta["config"] = {{"short_side", m.config.short_side},
                    {"tile", m.config.tiling.tile},
                    {"tile_overlap", m.config.tiling.overlap},
                    {"coreset_candidate_factor", m.config.coreset_candidate_factor},
                    {"coreset_ratio", m.config.coreset_ratio},
                    {"coarse_weight", m.config.coarse_weight},
                    {"max_bank_rows", m.config.max_bank_rows},
                    {"smoothing_sigma", m.config.smoothing_sigma},
                    {"calibration_folds", m.config.calibration_folds},
                    {"anomaly_patches_per_image", m.config.anomaly_patches_per_image},
                    {"anomaly_bank_from_masks", m.config.anomaly_bank_from_masks},
                    {"normal_patches_from_masks", m.config.normal_patches_from_masks},
                    {"normal_model", NormalModelKindName(m.config.normal_model)}};
  meta["normal_model"] = NormalModelKindName(m.normal_model);
  meta["scale"] = m.scale;
  meta["layer_scales"] = {m.layer_scales[0], m.layer_scales[1]};
  meta["threshold"] = m.threshold;
  meta["confidence_scale"] = m.confidence_scale;
  meta["threshold_rule"] = ThresholdRuleName(m.threshold_rule);
  // The rule's parameter, only beside the rule that has one: models with
  // the other rules keep the bytes they had before it.
  if (m.threshold_rule == ThresholdRule::kNormalFalsePositiveRate) {
    meta["false_positive_rate"] = m.config.false_positive_rate;
  }
  meta["stats"] = {{"normal_images", m.stats.normal_images},
                   {"anomaly_images", m.stats.anomaly_images},
                   {"image_width", m.stats.image_width},
                   {"image_height", m.stats.image_height},
                   {"working_size", {m.stats.working_size.width, m.stats.working_size.height}},
                   {"training_patches", m.stats.training_patches},
                   {"alignment", m.stats.alignment},
                   {"calibration_normal_scores", ToJson(m.stats.calibration_normal_scores)},
                   {"calibration_anomaly_scores", ToJson(m.stats.calibration_anomaly_scores)},
                   {"masked_anomaly_images", m.stats.masked_anomaly_images},
                   {"pixel_rule_mean_iou", m.stats.pixel_rule_mean_iou}};
  if (!m.dark_spots.empty()) {  // version 4
    const DarkSpotChannel& d = m.dark_spots;
    meta["config"]["dark_spots"] = m.config.dark_spots;
    meta["dark_spots"] = {{"feature_scales", d.feature_scales},
                          {"backbone_mean", d.backbone_mean},
                          {"backbone_sd", d.backbone_sd},
                          {"channel_mean", d.channel_mean},
                          {"channel_sd", d.channel_sd}};
    if (!d.bank.empty() || !d.shared.empty()) {  // version 5
      meta["dark_spots"]["sigmas"] = d.sigmas;
      meta["dark_spots"]["backbone_weight"] = d.backbone_weight;
    }
    if (!d.shared.empty()) meta["dark_spots"]["shared"] = true;  // version 7
  }
  if (m.config.self_check_defects > 0) meta["config"]["self_check_defects"] = m.config.self_check_defects;
  if (m.stats.self_check.ran()) meta["self_check"] = SelfCheckJson(m.stats.self_check);
  if (!m.stats.search.empty()) meta["configuration_search"] = SearchJson(m.stats.search);
  if (m.segmentation.enabled()) {
    json classes = json::array();
    for (const AnomalyClass& c : m.segmentation.classes) classes.push_back({{"name", c.name}, {"color", HexColor(c.color)}});
    meta["segmentation"] = {{"classes", classes},
                            {"pixel_threshold", m.segmentation.pixel_rule.threshold},
                            {"pixel_threshold_relative_to_peak", m.segmentation.pixel_rule.relative_to_peak}};
    // Absent in models trained before it (no refinement, as they were calibrated).
    const MapRefinement& refinement = m.segmentation.refinement;
    if (refinement.enabled()) {
      meta["segmentation"]["guided_filter"] = {{"radius", refinement.radius}, {"epsilon", refinement.epsilon}};
    }
    // Absent in models trained before it, and where none was learned.
    const DefectHead& head = m.segmentation.head;
    if (head.enabled()) {
      meta["segmentation"]["defect_head"] = {
          {"mean", head.mean}, {"scale", head.scale}, {"weights", head.weights}, {"bias", head.bias}};
    }
    // Version 6, only where the per-class head names the types.
    if (m.segmentation.class_head.enabled()) {
      json heads = json::array();
      for (const DefectHead& h : m.segmentation.class_head.classes)
        heads.push_back({{"mean", h.mean}, {"scale", h.scale}, {"weights", h.weights}, {"bias", h.bias}});
      meta["segmentation"]["class_heads"] = std::move(heads);
    }
  }
  return meta;
}

// Typed reads that report instead of throwing on a wrong or missing field.
class MetadataReader {
 public:
  MetadataReader() = default;
  const Status& status() const { return status_; }

  const json* Field(const json& obj, const char* key) {
    if (!status_.ok()) return nullptr;
    if (!obj.is_object() || !obj.contains(key)) {
      status_ = InvalidInput(std::string("model file metadata lacks \"") + key + "\"");
      return nullptr;
    }
    return &obj[key];
  }
  double Number(const json& obj, const char* key) {
    const json* v = Field(obj, key);
    if (v == nullptr) return 0;
    if (!v->is_number()) {
      status_ = InvalidInput(std::string("model file metadata \"") + key + "\" is not a number");
      return 0;
    }
    return v->get<double>();
  }
  // A whole number from `min` to `max`. The range is checked before the
  // cast: converting a double outside the target type's range is undefined
  // behaviour (found by tests/fuzz's model-file target).
  int64_t Integer(const json& obj, const char* key, int64_t min, int64_t max) {
    return CheckedInteger(Number(obj, key), key, min, max);
  }
  int64_t CheckedInteger(double v, const char* key, int64_t min, int64_t max) {
    if (!status_.ok()) return 0;
    if (!(v >= static_cast<double>(min) && v <= static_cast<double>(max)) || v != std::floor(v)) {
      status_ = InvalidInput(std::string("model file metadata \"") + key + "\" must be a whole number from " +
                             std::to_string(min) + " to " + std::to_string(max) + ", got " + NumberText(v));
      return 0;
    }
    return static_cast<int64_t>(v);
  }
  // A number a float can hold (the same undefined cast otherwise).
  float Float(const json& obj, const char* key) { return CheckedFloat(Number(obj, key), key); }
  float CheckedFloat(double v, const char* key) {
    if (!status_.ok()) return 0;
    if (!(std::fabs(v) <= std::numeric_limits<float>::max())) {
      status_ = InvalidInput(std::string("model file metadata \"") + key + "\" must be a finite number of at most " +
                             NumberText(std::numeric_limits<float>::max()) + " in size, got " + NumberText(v));
      return 0;
    }
    return static_cast<float>(v);
  }
  std::string String(const json& obj, const char* key) {
    const json* v = Field(obj, key);
    if (v == nullptr) return {};
    if (!v->is_string()) {
      status_ = InvalidInput(std::string("model file metadata \"") + key + "\" is not a string");
      return {};
    }
    return v->get<std::string>();
  }
  std::vector<double> Numbers(const json& obj, const char* key, size_t max_count) {
    const json* v = Field(obj, key);
    std::vector<double> out;
    if (v == nullptr) return out;
    if (!v->is_array() || v->size() > max_count) {
      status_ = InvalidInput(std::string("model file metadata \"") + key + "\" is not a list of at most " +
                             std::to_string(max_count) + " numbers");
      return out;
    }
    for (const json& x : *v) {
      if (!x.is_number()) {
        status_ = InvalidInput(std::string("model file metadata \"") + key + "\" holds a non-number");
        return {};
      }
      out.push_back(x.get<double>());
    }
    return out;
  }

 private:
  Status status_;
};

// A logistic head's fields ("mean", "scale", "weights" of one size from
// `sizes`, and "bias"), `what` naming it in errors.
Status ReadLogisticHead(const json& h, const std::string& what, std::initializer_list<int> sizes, MetadataReader* r,
                        DefectHead* head) {
  std::string allowed;
  for (int size : sizes) allowed += (allowed.empty() ? "" : " or ") + std::to_string(size);
  for (const auto& [key, values] : {std::pair<const char*, std::vector<double>*>{"mean", &head->mean},
                                    {"scale", &head->scale}, {"weights", &head->weights}}) {
    const json* list = r->Field(h, key);
    RETURN_IF_ERROR(r->status());
    const size_t size = head->mean.empty() ? list->size() : head->mean.size();
    if (!list->is_array() || list->size() != size ||
        std::none_of(sizes.begin(), sizes.end(), [size](int s) { return static_cast<size_t>(s) == size; })) {
      return InvalidInput("model file " + what + "'s \"" + key + "\" must be a list of " + allowed +
                          " numbers, as its \"mean\"");
    }
    for (const json& v : *list) {
      if (!v.is_number() || !std::isfinite(v.get<double>())) {
        return InvalidInput("model file " + what + "'s \"" + key + "\" holds a value that is not a finite number");
      }
      values->push_back(v.get<double>());
    }
  }
  head->bias = r->Number(h, "bias");
  RETURN_IF_ERROR(r->status());
  if (!std::isfinite(head->bias)) return InvalidInput("model file " + what + "'s bias is not a finite number");
  return Status::Ok();
}

// Files of version 6 and later may hold per-class heads (`class_heads`).
Status ReadSegmentation(const json& seg, bool class_heads, MetadataReader* r, SegmentationModel* out) {
  const json* classes = r->Field(seg, "classes");
  out->pixel_rule.threshold = r->Number(seg, "pixel_threshold");
  out->pixel_rule.relative_to_peak = r->Number(seg, "pixel_threshold_relative_to_peak");
  RETURN_IF_ERROR(r->status());
  if (!(out->pixel_rule.relative_to_peak >= 0 && out->pixel_rule.relative_to_peak <= 1)) {
    return InvalidInput("model file pixel threshold's relative part must be 0 to 1");
  }
  if (seg.contains("defect_head")) {
    RETURN_IF_ERROR(ReadLogisticHead(seg["defect_head"], "defect head", {kDefectHeadInputs, kFineDefectHeadInputs}, r,
                                     &out->head));
  }
  if (class_heads && seg.contains("class_heads")) {
    const json& heads = seg["class_heads"];
    if (!heads.is_array() || !classes->is_array() || heads.size() != classes->size() || heads.size() < 2) {
      return InvalidInput("model file \"class_heads\" must be a list of one head a class, for 2 or more classes");
    }
    for (size_t k = 0; k < heads.size(); ++k) {
      DefectHead head;
      RETURN_IF_ERROR(ReadLogisticHead(heads[k], "class head " + std::to_string(k), {kPatchFeatureDim}, r, &head));
      out->class_head.classes.push_back(std::move(head));
    }
  }
  if (seg.contains("guided_filter")) {
    const json& g = seg["guided_filter"];
    out->refinement.radius = static_cast<int>(r->Integer(g, "radius", 1, kMaxGuidedFilterRadius));
    out->refinement.epsilon = r->Number(g, "epsilon");
    RETURN_IF_ERROR(r->status());
    if (!(out->refinement.epsilon > 0 && out->refinement.epsilon <= 1)) {
      return InvalidInput("model file guided filter epsilon must be above 0 and at most 1");
    }
  }
  if (!classes->is_array() || classes->empty() || classes->size() > kMaxProjectAnomalyClasses) {
    return InvalidInput("model file segmentation classes must be a list of 1 to " +
                        std::to_string(kMaxProjectAnomalyClasses));
  }
  for (const json& c : *classes) {
    AnomalyClass k;
    k.name = r->String(c, "name");
    const std::string color = r->String(c, "color");
    RETURN_IF_ERROR(r->status());
    auto rgb = ParseHexColor(color);
    if (!rgb.ok()) return InvalidInput("model file segmentation class colour '" + color + "' is not #RRGGBB");
    k.color = rgb.value();
    out->classes.push_back(std::move(k));
  }
  return Status::Ok();
}

// The self-check report (optional: files written before it, or trained with
// it off, have none). Only shown to users, so a malformed one is an error
// but no figure is range-checked beyond its type.
Status ReadSelfCheck(const json& j, SelfCheckReport* out) {
  const auto figure = [](const json& obj, const char* key, double* v) {
    if (!obj.is_object() || !obj.contains(key)) return false;
    const json& x = obj[key];
    if (x.is_null()) return *v = std::numeric_limits<double>::quiet_NaN(), true;
    if (!x.is_number()) return false;
    return *v = x.get<double>(), true;
  };
  const auto count = [](const json& obj, const char* key, int* v) {
    if (!obj.is_object() || !obj.contains(key) || !obj[key].is_number_integer()) return false;
    const int64_t n = obj[key].get<int64_t>();
    if (n < 0 || n > INT32_MAX) return false;
    return *v = static_cast<int>(n), true;
  };
  const auto groups = [&](const char* key, std::vector<SelfCheckGroup>* gs) {
    if (!j.contains(key) || !j[key].is_array() || j[key].size() > 64) return false;
    for (const json& g : j[key]) {
      SelfCheckGroup group;
      if (!g.is_object() || !g.contains("name") || !g["name"].is_string()) return false;
      group.name = g["name"].get<std::string>();
      if (!count(g, "defects", &group.defects) || !count(g, "detected", &group.detected) ||
          !figure(g, "image_rocauc", &group.image_rocauc))
        return false;
      gs->push_back(std::move(group));
    }
    return true;
  };
  SelfCheckReport r;
  if (!count(j, "defects", &r.defects) || !count(j, "normal_images", &r.normal_images) ||
      !figure(j, "image_rocauc", &r.image_rocauc) || !figure(j, "pixel_rocauc", &r.pixel_rocauc) ||
      !figure(j, "pixel_aupro", &r.pixel_aupro) || !figure(j, "recall", &r.recall) ||
      !figure(j, "false_positive_rate", &r.false_positive_rate) || !groups("families", &r.families) ||
      !groups("sizes", &r.sizes)) {
    return InvalidInput("model file metadata \"self_check\" is malformed");
  }
  // The compression check's counts came later: older files have none.
  if (j.contains("compressed_normals") &&
      (!count(j, "compressed_normals", &r.compressed_normals) || !count(j, "compressed_flagged", &r.compressed_flagged) ||
       r.compressed_flagged > r.compressed_normals))
    return InvalidInput("model file metadata \"self_check\" is malformed");
  *out = std::move(r);
  return Status::Ok();
}

// The configuration search's table (optional, like the self-check: only
// shown to users, so only types are checked).
Status ReadSearch(const json& j, std::vector<CandidateFigures>* out) {
  const Status malformed = InvalidInput("model file metadata \"configuration_search\" is malformed");
  if (!j.is_array() || j.size() > 64) return malformed;
  const auto figure = [](const json& row, const char* key, double* v) {
    if (!row.contains(key)) return true;
    if (row[key].is_null()) return *v = std::numeric_limits<double>::quiet_NaN(), true;
    return row[key].is_number() ? (*v = row[key].get<double>(), true) : false;
  };
  for (const json& row : j) {
    CandidateFigures c;
    if (!row.is_object() || !row.contains("short_side") || !row["short_side"].is_number_integer() ||
        !row.contains("normal_model") || !row["normal_model"].is_string() || !row.contains("coarse_weight") ||
        !row["coarse_weight"].is_number() || !row.contains("dark_spots") || !row["dark_spots"].is_boolean() ||
        !row.contains("chosen") || !row["chosen"].is_boolean()) {
      return malformed;
    }
    const int64_t side = row["short_side"].get<int64_t>();
    if (side < 0 || side > 65536) return malformed;
    c.short_side = static_cast<int>(side);
    c.normal_model = row["normal_model"].get<std::string>();
    c.coarse_weight = row["coarse_weight"].get<float>();
    c.dark_spots = row["dark_spots"].get<bool>();
    c.chosen = row["chosen"].get<bool>();
    if (row.contains("error")) {
      if (!row["error"].is_string()) return malformed;
      c.error = row["error"].get<std::string>();
    }
    if (!figure(row, "synthetic_rocauc", &c.synthetic_rocauc) || !figure(row, "synthetic_aupro", &c.synthetic_aupro) ||
        !figure(row, "synthetic_recall", &c.synthetic_recall) || !figure(row, "labelled_rocauc", &c.labelled_rocauc))
      return malformed;
    // The compression check's counts (later files, and only where it ran).
    if (row.contains("compressed_normals")) {
      if (!row["compressed_normals"].is_number_integer() || !row.contains("compressed_flagged") ||
          !row["compressed_flagged"].is_number_integer())
        return malformed;
      const int64_t normals = row["compressed_normals"].get<int64_t>(), flagged = row["compressed_flagged"].get<int64_t>();
      if (normals < 0 || normals > 1 << 20 || flagged < 0 || flagged > normals) return malformed;
      c.compressed_normals = static_cast<int>(normals);
      c.compressed_flagged = static_cast<int>(flagged);
    }
    out->push_back(std::move(c));
  }
  return Status::Ok();
}

Status ReadMetadata(const json& meta, uint32_t version, bool class_heads, Model* m) {
  MetadataReader r;
  if (r.String(meta, "format") != "anomalens-model") {
    RETURN_IF_ERROR(r.status());
    return InvalidInput("model file metadata is not an anomalens model");
  }
  const json* backbone = r.Field(meta, "backbone");
  const json* config = r.Field(meta, "config");
  const json* stats = r.Field(meta, "stats");
  RETURN_IF_ERROR(r.status());
  m->backbone_id = r.String(*backbone, "id");
  m->backbone_checksum = static_cast<uint32_t>(r.Integer(*backbone, "checksum", 0, UINT32_MAX));
  m->config.short_side = static_cast<int>(r.Integer(*config, "short_side", 0, INT32_MAX));
  m->config.tiling.tile = static_cast<int>(r.Integer(*config, "tile", 0, INT32_MAX));
  m->config.tiling.overlap = static_cast<int>(r.Integer(*config, "tile_overlap", 0, INT32_MAX));
  m->config.coreset_candidate_factor = static_cast<int>(r.Integer(*config, "coreset_candidate_factor", 0, INT32_MAX));
  m->config.coreset_ratio = r.Number(*config, "coreset_ratio");
  m->config.coarse_weight = r.Float(*config, "coarse_weight");
  m->config.max_bank_rows = static_cast<int>(r.Integer(*config, "max_bank_rows", 0, INT32_MAX));
  m->config.smoothing_sigma = r.Float(*config, "smoothing_sigma");
  m->config.calibration_folds = static_cast<int>(r.Integer(*config, "calibration_folds", 0, INT32_MAX));
  m->config.anomaly_patches_per_image = static_cast<int>(r.Integer(*config, "anomaly_patches_per_image", 0, INT32_MAX));
  m->config.normal_model = NormalModelKind::kSharedBank;  // version 1 knew no other
  m->normal_model = NormalModelKind::kSharedBank;
  if (version >= 2) {
    const std::string option = r.String(*config, "normal_model");
    const std::string used = r.String(meta, "normal_model");
    m->stats.alignment = r.Number(*stats, "alignment");
    RETURN_IF_ERROR(r.status());
    if (!ParseNormalModelKind(option, &m->config.normal_model) || !ParseNormalModelKind(used, &m->normal_model) ||
        m->normal_model == NormalModelKind::kAuto) {
      return Unsupported("model file normal model '" + used + "' (option '" + option + "') is unknown to this version");
    }
  }
  m->scale = r.Number(meta, "scale");
  const std::vector<double> size = r.Numbers(*stats, "working_size", 2);
  const std::vector<double> scales = r.Numbers(meta, "layer_scales", 2);
  m->threshold = r.Number(meta, "threshold");
  m->confidence_scale = r.Number(meta, "confidence_scale");
  const std::string rule = r.String(meta, "threshold_rule");
  m->stats.normal_images = static_cast<int>(r.Integer(*stats, "normal_images", 0, INT32_MAX));
  m->stats.anomaly_images = static_cast<int>(r.Integer(*stats, "anomaly_images", 0, INT32_MAX));
  m->stats.image_width = static_cast<int>(r.Integer(*stats, "image_width", 0, INT32_MAX));
  m->stats.image_height = static_cast<int>(r.Integer(*stats, "image_height", 0, INT32_MAX));
  m->stats.training_patches = static_cast<size_t>(r.Integer(*stats, "training_patches", 0, INT64_C(1) << 53));
  m->stats.calibration_normal_scores = r.Numbers(*stats, "calibration_normal_scores", 100000);
  m->stats.calibration_anomaly_scores = r.Numbers(*stats, "calibration_anomaly_scores", 100000);
  m->config.anomaly_bank_from_masks = false;  // version 1 predates masks
  m->config.normal_patches_from_masks = false;
  if (version >= 2) {
    const json* from_masks = r.Field(*config, "anomaly_bank_from_masks");
    const json* normal_from_masks = r.Field(*config, "normal_patches_from_masks");
    m->stats.masked_anomaly_images = static_cast<int>(r.Integer(*stats, "masked_anomaly_images", 0, INT32_MAX));
    m->stats.pixel_rule_mean_iou = r.Number(*stats, "pixel_rule_mean_iou");
    RETURN_IF_ERROR(r.status());
    if (!from_masks->is_boolean()) return InvalidInput("model file metadata \"anomaly_bank_from_masks\" is not a boolean");
    m->config.anomaly_bank_from_masks = from_masks->get<bool>();
    if (!normal_from_masks->is_boolean()) {
      return InvalidInput("model file metadata \"normal_patches_from_masks\" is not a boolean");
    }
    m->config.normal_patches_from_masks = normal_from_masks->get<bool>();
  }
  // Files before version 4 have no dark-spot channel; version 4 files are
  // written only for models with one (so files without stay readable by
  // builds that know version 3, byte for byte as before).
  m->config.dark_spots = false;
  if (version >= 4) {
    const json* dark_spots_option = r.Field(*config, "dark_spots");
    const json* spots = r.Field(meta, "dark_spots");
    RETURN_IF_ERROR(r.status());
    if (!dark_spots_option->is_boolean()) return InvalidInput("model file metadata \"dark_spots\" is not a boolean");
    m->config.dark_spots = dark_spots_option->get<bool>();
    DarkSpotChannel& d = m->dark_spots;
    d.colour = spots->is_object() && spots->contains("shared");  // version 7's shared channels read colour too
    if (version >= 5) {
      const std::vector<double> sigmas = r.Numbers(*spots, "sigmas", kMaxDarkSpotScales);
      d.backbone_weight = r.Number(*spots, "backbone_weight");
      RETURN_IF_ERROR(r.status());
      if (sigmas.empty()) return InvalidInput("model file dark-spot channel needs 1 to " + std::to_string(kMaxDarkSpotScales) + " scales");
      for (double sigma : sigmas) {
        if (!(sigma > 0 && sigma <= 256)) {
          return InvalidInput("model file dark-spot scales must be from 0 to 256 px, got " + std::to_string(sigma));
        }
        d.sigmas.push_back(static_cast<float>(sigma));
      }
      if (!(d.backbone_weight >= 0 && d.backbone_weight <= 1)) {
        return InvalidInput("model file dark-spot \"backbone_weight\" must be from 0 to 1, got " +
                            std::to_string(d.backbone_weight));
      }
    } else {
      d.sigmas.assign(std::begin(kDarkSpotSigmasV4), std::end(kDarkSpotSigmasV4));
      d.backbone_weight = kDarkSpotBackboneWeightV4;
    }
    const int features = d.features();
    const std::vector<double> scales = r.Numbers(*spots, "feature_scales", features);
    d.backbone_mean = r.Number(*spots, "backbone_mean");
    d.backbone_sd = r.Number(*spots, "backbone_sd");
    d.channel_mean = r.Number(*spots, "channel_mean");
    d.channel_sd = r.Number(*spots, "channel_sd");
    RETURN_IF_ERROR(r.status());
    if (scales.size() != static_cast<size_t>(features)) {
      return InvalidInput("model file dark-spot channel needs " + std::to_string(features) + " feature scales");
    }
    for (int k = 0; k < features; ++k) d.feature_scales.push_back(r.CheckedFloat(scales[k], "feature_scales"));
    RETURN_IF_ERROR(r.status());
    if (!(d.backbone_sd > 0) || !(d.channel_sd > 0) || !std::isfinite(d.backbone_mean) ||
        !std::isfinite(d.channel_mean) || !std::isfinite(d.backbone_sd) || !std::isfinite(d.channel_sd)) {
      return InvalidInput("model file dark-spot channel's score means must be finite and spreads positive");
    }
  }
  if (meta.contains("segmentation")) RETURN_IF_ERROR(ReadSegmentation(meta["segmentation"], class_heads, &r, &m->segmentation));
  // The self-check (written only when it ran; older files have neither key).
  m->config.self_check_defects = 0;
  if (config->contains("self_check_defects")) {
    m->config.self_check_defects =
        static_cast<int>(r.Integer(*config, "self_check_defects", 0, kMaxSelfCheckDefects));
  }
  if (meta.contains("self_check")) RETURN_IF_ERROR(ReadSelfCheck(meta["self_check"], &m->stats.self_check));
  if (meta.contains("configuration_search"))
    RETURN_IF_ERROR(ReadSearch(meta["configuration_search"], &m->stats.search));
  RETURN_IF_ERROR(r.status());
  if (size.size() != 2 || scales.size() != 2) return InvalidInput("model file metadata has a malformed size or scale");
  m->stats.working_size = {static_cast<int>(r.CheckedInteger(size[0], "working_size", 0, INT32_MAX)),
                           static_cast<int>(r.CheckedInteger(size[1], "working_size", 0, INT32_MAX))};
  RETURN_IF_ERROR(r.status());
  // The scale sets how many pixels every detection analyses: bound it.
  // Above 1: the configuration search's upsampled candidate (at most 2).
  if (!(m->scale >= 1.0 / 4096 && m->scale <= kMaxWorkingScale)) {
    return InvalidInput("model file scale must be between 1/4096 and 2, got " + std::to_string(m->scale));
  }
  const TilingConfig& t = m->config.tiling;
  if (t.tile < 64 || t.tile > 4096 || t.tile % 16 || t.overlap < 0 || t.overlap % 16 || t.overlap > t.tile / 2) {
    return InvalidInput("model file tiling is invalid (tile " + std::to_string(t.tile) + ", overlap " +
                        std::to_string(t.overlap) + ")");
  }
  m->layer_scales[0] = r.CheckedFloat(scales[0], "layer_scales");
  m->layer_scales[1] = r.CheckedFloat(scales[1], "layer_scales");
  RETURN_IF_ERROR(r.status());
  if (!(m->confidence_scale > 0)) return InvalidInput("model file confidence scale must be positive");
  if (!(m->config.smoothing_sigma >= 0 && m->config.smoothing_sigma <= 64))
    return InvalidInput("model file smoothing sigma must be 0 to 64");
  if (rule == ThresholdRuleName(ThresholdRule::kF1Optimal)) {
    m->threshold_rule = ThresholdRule::kF1Optimal;
  } else if (rule == ThresholdRuleName(ThresholdRule::kNormalMedianPlus3RobustSd)) {
    m->threshold_rule = ThresholdRule::kNormalMedianPlus3RobustSd;
  } else if (rule == ThresholdRuleName(ThresholdRule::kNormalFalsePositiveRate)) {
    m->threshold_rule = ThresholdRule::kNormalFalsePositiveRate;
    m->config.false_positive_rate = r.Number(meta, "false_positive_rate");
    RETURN_IF_ERROR(r.status());
    if (!(m->config.false_positive_rate > 0 && m->config.false_positive_rate < 0.5))
      return InvalidInput("model file false-positive rate must be above 0 and below 0.5");
  } else {
    return Unsupported("model file threshold rule '" + rule + "' is unknown to this version");
  }
  return Status::Ok();
}

Status ReadClassBank(ByteReader* r, Model* model) {
  SegmentationModel& seg = model->segmentation;
  const size_t dim = model->feature_dim;
  uint64_t rows = 0;
  if (!r->ReadU64(&rows)) return DataLoss("model file is truncated before its class bank");
  if (rows > kMaxModelBankRows) {
    return InvalidInput("model file class bank has " + std::to_string(rows) + " rows; the limit is " +
                        std::to_string(kMaxModelBankRows));
  }
  if (rows > 0 && seg.classes.size() < 2) return InvalidInput("model file has a class bank but not several classes");
  const uint64_t label_bytes = (rows * 2 + 3) / 4 * 4;
  if (rows * dim * 4 + label_bytes > r->remaining()) {
    return DataLoss("model file class bank should hold " + std::to_string(rows * dim * 4 + label_bytes) +
                    " bytes but only " + std::to_string(r->remaining()) + " remain");
  }
  seg.class_bank.resize(rows * dim);
  for (float& v : seg.class_bank) r->ReadF32(&v);
  seg.class_bank_labels.resize(rows);
  for (uint16_t& k : seg.class_bank_labels) {
    r->ReadU16(&k);
    if (k >= seg.classes.size()) return InvalidInput("model file class bank names class " + std::to_string(k) + " of " +
                                                     std::to_string(seg.classes.size()));
  }
  r->Seek(r->position() + (label_bytes - rows * 2));
  uint64_t clean_rows = 0;
  if (!r->ReadU64(&clean_rows)) return DataLoss("model file is truncated before its clean bank");
  if (clean_rows > kMaxModelBankRows) {
    return InvalidInput("model file clean bank has " + std::to_string(clean_rows) + " rows; the limit is " +
                        std::to_string(kMaxModelBankRows));
  }
  if (clean_rows > 0 && seg.classes.empty()) return InvalidInput("model file has a clean bank but no classes");
  if (clean_rows * dim * 4 > r->remaining()) {
    return DataLoss("model file clean bank should hold " + std::to_string(clean_rows * dim * 4) + " bytes but only " +
                    std::to_string(r->remaining()) + " remain");
  }
  seg.clean_bank.resize(clean_rows * dim);
  for (float& v : seg.clean_bank) r->ReadF32(&v);
  return Status::Ok();
}

// The dark-spot channel on the per-position grid: version 4, its Gaussians;
// version 5, its bank.
Status ReadDarkSpotChannel(ByteReader* r, uint32_t version, Model* model) {
  const PositionModel& p = model->position;
  DarkSpotChannel& channel = model->dark_spots;
  const int want = channel.features();
  uint32_t features = 0, shift_or_entries = 0;
  if (!r->ReadU32(&features) || !r->ReadU32(&shift_or_entries)) {
    return DataLoss("model file is truncated in its dark-spot channel");
  }
  if (version >= 5) {
    const uint32_t entries = shift_or_entries;
    if (features != static_cast<uint32_t>(want) || entries < 1 || entries > kPositionBankEntries || p.stride != 4) {
      return InvalidInput("model file dark-spot bank has " + std::to_string(features) + " features and " +
                          std::to_string(entries) + " vectors a cell at stride " + std::to_string(p.stride) +
                          "; it needs " + std::to_string(want) + ", 1 to " + std::to_string(kPositionBankEntries) +
                          ", stride 4");
    }
    PositionBank& b = channel.bank;
    const uint64_t halves = p.cells() * entries * features;
    const uint64_t bytes = (halves * 2 + 3) / 4 * 4 + p.cells() * 8;
    if (bytes > r->remaining()) {
      return DataLoss("model file dark-spot bank should hold " + std::to_string(bytes) + " bytes but only " +
                      std::to_string(r->remaining()) + " remain");
    }
    b.grid_width = p.grid_width;
    b.grid_height = p.grid_height;
    b.features = static_cast<int>(features);
    b.entries = static_cast<int>(entries);
    b.vectors.resize(halves);
    uint32_t pair = 0;
    for (uint64_t k = 0; k < halves; ++k) {
      if (k % 2 == 0) r->ReadU32(&pair);
      const uint16_t half = static_cast<uint16_t>(k % 2 == 0 ? pair & 0xFFFFu : pair >> 16);
      if (!HalfIsFinite(half)) return InvalidInput("model file dark-spot bank's vectors must be finite");
      b.vectors[k] = HalfToFloat(half);
    }
    b.distance_mean.resize(p.cells());
    b.distance_sd.resize(p.cells());
    for (float& v : b.distance_mean) r->ReadF32(&v);
    for (float& v : b.distance_sd) r->ReadF32(&v);
    for (size_t c = 0; c < b.cells(); ++c) {
      if (!std::isfinite(b.distance_mean[c]) || !(b.distance_sd[c] > 0) || !std::isfinite(b.distance_sd[c])) {
        return InvalidInput("model file dark-spot bank's distance means must be finite and spreads positive");
      }
    }
    return Status::Ok();
  }
  const uint32_t shift = shift_or_entries;
  if (features != static_cast<uint32_t>(want) || shift > 2 || p.stride != 4) {
    return InvalidInput("model file dark-spot channel has " + std::to_string(features) + " features and shift " +
                        std::to_string(shift) + " at stride " + std::to_string(p.stride) + "; it needs " +
                        std::to_string(want) + ", a shift of at most 2, stride 4");
  }
  PositionModel& d = channel.position;
  d.grid_width = p.grid_width;
  d.grid_height = p.grid_height;
  d.stride = p.stride;
  d.features = static_cast<int>(features);
  d.shift = static_cast<int>(shift);
  const uint64_t floats = d.cells() * d.floats_per_cell();
  if (floats * 4 > r->remaining()) {
    return DataLoss("model file dark-spot channel should hold " + std::to_string(floats * 4) + " bytes but only " +
                    std::to_string(r->remaining()) + " remain");
  }
  d.params.resize(floats);
  for (float& v : d.params) r->ReadF32(&v);
  return Status::Ok();
}

// Version 7: a shared-bank model's position-free dark-spot channel.
Status ReadSharedDarkSpotChannel(ByteReader* r, Model* model) {
  DarkSpotChannel& channel = model->dark_spots;
  if (model->normal_model != NormalModelKind::kSharedBank) {
    return InvalidInput("model file has a shared dark-spot channel but a per-position normal model");
  }
  uint32_t features = 0;
  uint64_t rows = 0;
  if (!r->ReadU32(&features) || !r->ReadU64(&rows)) return DataLoss("model file is truncated in its dark-spot bank");
  if (features != static_cast<uint32_t>(channel.features()) || rows < 1 || rows > kMaxSharedDarkSpotRows) {
    return InvalidInput("model file shared dark-spot bank has " + std::to_string(rows) + " rows of " +
                        std::to_string(features) + " features; it needs 1 to " +
                        std::to_string(kMaxSharedDarkSpotRows) + " rows of " + std::to_string(channel.features()));
  }
  if (rows * features * 4 > r->remaining()) {
    return DataLoss("model file shared dark-spot bank should hold " + std::to_string(rows * features * 4) +
                    " bytes but only " + std::to_string(r->remaining()) + " remain");
  }
  channel.shared.resize(rows * features);
  for (float& v : channel.shared) {
    r->ReadF32(&v);
    if (!std::isfinite(v)) return InvalidInput("model file shared dark-spot bank's rows must be finite");
  }
  return Status::Ok();
}

}  // namespace

std::vector<uint8_t> SerializeModel(const Model& model) {
  std::vector<uint8_t> out(kMagic, kMagic + 4);
  // The oldest version that holds the model: 4 only with a dark-spot
  // channel of Gaussians, 5 with a dark-spot bank, 6 with per-class heads
  // (which builds before them would ignore, naming every defect class 1).
  PutU32(out, !model.dark_spots.shared.empty()          ? 7
              : model.segmentation.class_head.enabled() ? 6
              : model.dark_spots.empty()              ? 3
              : model.dark_spots.bank.empty()         ? 4
                                                      : 5);
  const std::string meta = Metadata(model).dump();
  PutU32(out, static_cast<uint32_t>(meta.size()));
  out.insert(out.end(), meta.begin(), meta.end());
  while (out.size() % 16 != 0) out.push_back(0);
  PutU32(out, static_cast<uint32_t>(model.feature_dim));
  auto put_floats = [&out](const std::vector<float>& values) {
    for (float v : values) {
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      PutU32(out, bits);
    }
  };
  for (const std::vector<float>* bank : {&model.bank, &model.anomaly_bank}) {
    PutU64(out, bank->size() / model.feature_dim);
    put_floats(*bank);
  }
  PutU64(out, model.position.cells());
  if (!model.position.empty()) {
    PutU32(out, static_cast<uint32_t>(model.position.grid_width));
    PutU32(out, static_cast<uint32_t>(model.position.grid_height));
    PutU32(out, static_cast<uint32_t>(model.position.stride));    // version 3
    PutU32(out, static_cast<uint32_t>(model.position.features));  // version 3
    put_floats(model.position.params);
    const PositionBank& bank = model.dark_spots.bank;
    if (!bank.empty()) {  // version 5
      PutU32(out, static_cast<uint32_t>(bank.features));
      PutU32(out, static_cast<uint32_t>(bank.entries));
      // The vectors as halves, two to a u32 (the first in the low bits), the
      // last u32's high half zero when their count is odd.
      for (size_t k = 0; k < bank.vectors.size(); k += 2) {
        const uint32_t low = FloatToHalf(bank.vectors[k]);
        const uint32_t high = k + 1 < bank.vectors.size() ? FloatToHalf(bank.vectors[k + 1]) : 0u;
        PutU32(out, low | (high << 16));
      }
      put_floats(bank.distance_mean);
      put_floats(bank.distance_sd);
    } else if (!model.dark_spots.empty()) {  // version 4
      PutU32(out, static_cast<uint32_t>(model.dark_spots.position.features));
      PutU32(out, static_cast<uint32_t>(model.dark_spots.position.shift));
      put_floats(model.dark_spots.position.params);
    }
  }
  if (!model.dark_spots.shared.empty()) {  // version 7
    PutU32(out, static_cast<uint32_t>(model.dark_spots.features()));
    PutU64(out, model.dark_spots.shared_rows());
    put_floats(model.dark_spots.shared);
  }
  // Version 2: the class bank, then each row's class as u16 (zero-padded to 4 bytes).
  const std::vector<float>& class_bank = model.segmentation.class_bank;
  PutU64(out, class_bank.size() / model.feature_dim);
  for (float v : class_bank) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    PutU32(out, bits);
  }
  for (uint16_t k : model.segmentation.class_bank_labels) {
    out.push_back(static_cast<uint8_t>(k));
    out.push_back(static_cast<uint8_t>(k >> 8));
  }
  while (out.size() % 4 != 0) out.push_back(0);
  const std::vector<float>& clean_bank = model.segmentation.clean_bank;
  PutU64(out, clean_bank.size() / model.feature_dim);
  for (float v : clean_bank) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    PutU32(out, bits);
  }
  PutU32(out, Crc32(out.data(), out.size()));
  return out;
}

StatusOr<Model> ParseModelFile(ByteSpan bytes) {
  if (bytes.size < 8 || std::memcmp(bytes.data, kMagic, 4) != 0) {
    return InvalidInput("not an anomalens model file (expected magic 'ANLM')");
  }
  ByteReader header(bytes);
  header.Seek(4);
  uint32_t version = 0;
  header.ReadU32(&version);
  if (version < 1 || version > kModelFileVersion) {
    return Unsupported("model file version " + std::to_string(version) + "; this build reads versions 1 to " +
                       std::to_string(kModelFileVersion));
  }
  if (bytes.size < 12) return DataLoss("model file is truncated (" + std::to_string(bytes.size) + " bytes)");
  const size_t body = bytes.size - 4;
  ByteReader tail(ByteSpan(bytes.data + body, 4));
  uint32_t stored_crc = 0;
  tail.ReadU32(&stored_crc);
  if (Crc32(bytes.data, body) != stored_crc) {
    return DataLoss("model file checksum mismatch: the file is truncated or corrupt");
  }

  ByteReader r(ByteSpan(bytes.data, body));
  r.Seek(8);
  uint32_t meta_len = 0;
  if (!r.ReadU32(&meta_len)) return DataLoss("model file is truncated in its header");
  if (meta_len > kMaxModelMetadataBytes) {
    return InvalidInput("model file metadata is " + std::to_string(meta_len) + " bytes; the limit is " +
                        std::to_string(kMaxModelMetadataBytes));
  }
  std::string meta_text;
  if (!r.ReadString(meta_len, &meta_text)) return DataLoss("model file is truncated in its metadata");
  const json meta = json::parse(meta_text, nullptr, /*allow_exceptions=*/false);
  if (meta.is_discarded() || !meta.is_object()) return InvalidInput("model file metadata is not valid JSON");
  // Version 6 adds per-class heads to the metadata; its binary layout is
  // that of version 3, 4 or 5 as the dark-spot channel (named in the
  // metadata) requires.
  const bool class_heads = version >= 6;
  // Version 7 adds the shared-bank models' position-free dark-spot channel.
  const bool shared_spots = version >= 7 && meta.contains("dark_spots") && meta["dark_spots"].is_object() &&
                            meta["dark_spots"].contains("shared");
  if (class_heads) {
    version = !meta.contains("dark_spots") ? 3
              : meta["dark_spots"].is_object() && meta["dark_spots"].contains("sigmas") ? 5
                                                                                         : 4;
  }
  Model model;
  RETURN_IF_ERROR(ReadMetadata(meta, version, class_heads, &model));

  if (!r.Seek((r.position() + 15) / 16 * 16)) return DataLoss("model file is truncated before its memory bank");
  uint32_t dim = 0;
  if (!r.ReadU32(&dim)) return DataLoss("model file is truncated before its memory bank");
  if (dim == 0 || dim > 4096 || dim % 4 != 0) {
    return InvalidInput("model file feature size is " + std::to_string(dim) + "; it must be a multiple of 4 up to 4096");
  }
  model.feature_dim = static_cast<int>(dim);
  const char* names[2] = {"memory bank", "anomaly bank"};
  std::vector<float>* banks[2] = {&model.bank, &model.anomaly_bank};
  size_t* rows_out[2] = {&model.bank_rows, &model.anomaly_bank_rows};
  for (int b = 0; b < 2; ++b) {
    uint64_t rows = 0;
    if (!r.ReadU64(&rows)) return DataLoss(std::string("model file is truncated before its ") + names[b]);
    const bool may_be_empty = b == 1 || model.normal_model == NormalModelKind::kPerPosition;
    if ((!may_be_empty && rows == 0) || rows > kMaxModelBankRows) {
      return InvalidInput(std::string("model file ") + names[b] + " has " + std::to_string(rows) + " rows; the limit is " +
                          std::to_string(kMaxModelBankRows) + (may_be_empty ? "" : " and it may not be empty"));
    }
    if (rows * dim * 4 > r.remaining()) {
      return DataLoss(std::string("model file ") + names[b] + " should hold " + std::to_string(rows * dim * 4) +
                      " bytes but only " + std::to_string(r.remaining()) + " remain");
    }
    *rows_out[b] = rows;
    banks[b]->resize(rows * dim);
    for (float& v : *banks[b]) r.ReadF32(&v);
  }
  if (version >= 2) {
    uint64_t cells = 0;
    if (!r.ReadU64(&cells)) return DataLoss("model file is truncated before its per-position model");
    const bool per_position = model.normal_model == NormalModelKind::kPerPosition;
    if (cells > kMaxPositionCells || (cells == 0) == per_position) {
      return InvalidInput("model file per-position model has " + std::to_string(cells) + " cells; " +
                          (per_position ? "it needs 1 to " + std::to_string(kMaxPositionCells) : "it should have none"));
    }
    if (cells > 0) {
      uint32_t w = 0, h = 0;
      if (!r.ReadU32(&w) || !r.ReadU32(&h)) return DataLoss("model file is truncated in its per-position model");
      if (static_cast<uint64_t>(w) * h != cells) {
        return InvalidInput("model file per-position grid " + std::to_string(w) + "x" + std::to_string(h) +
                            " does not hold " + std::to_string(cells) + " cells");
      }
      // Version 2 knew only the stride-8 model on the fine tap's 32 features.
      uint32_t stride = 8, features = kStride8Features;
      if (version >= 3 && (!r.ReadU32(&stride) || !r.ReadU32(&features))) {
        return DataLoss("model file is truncated in its per-position model");
      }
      if ((stride != 4 && stride != 8) || features < 1 || features > kMaxPositionFeatures) {
        return InvalidInput("model file per-position model has stride " + std::to_string(stride) + " and " +
                            std::to_string(features) + " features a cell; it needs stride 4 or 8 and 1 to " +
                            std::to_string(kMaxPositionFeatures) + " features");
      }
      const Size working = model.stats.working_size;
      if (static_cast<uint64_t>(w) * stride != static_cast<uint64_t>(working.width) ||
          static_cast<uint64_t>(h) * stride != static_cast<uint64_t>(working.height)) {
        return InvalidInput("model file per-position grid " + std::to_string(w) + "x" + std::to_string(h) +
                            " at stride " + std::to_string(stride) + " does not cover its working size " +
                            std::to_string(working.width) + "x" + std::to_string(working.height));
      }
      model.position.stride = static_cast<int>(stride);
      model.position.features = static_cast<int>(features);
      const uint64_t floats = cells * model.position.floats_per_cell();
      if (floats * 4 > r.remaining()) {
        return DataLoss("model file per-position model should hold " + std::to_string(floats * 4) +
                        " bytes but only " + std::to_string(r.remaining()) + " remain");
      }
      model.position.grid_width = static_cast<int>(w);
      model.position.grid_height = static_cast<int>(h);
      model.position.params.resize(floats);
      for (float& v : model.position.params) r.ReadF32(&v);
      if (version >= 4) RETURN_IF_ERROR(ReadDarkSpotChannel(&r, version, &model));
    }
    if (shared_spots) RETURN_IF_ERROR(ReadSharedDarkSpotChannel(&r, &model));
    if (version >= 4 && model.dark_spots.empty()) {
      return InvalidInput("model file version " + std::to_string(version) + " has no dark-spot channel");
    }
    RETURN_IF_ERROR(ReadClassBank(&r, &model));
  }
  if (r.remaining() != 0) return DataLoss("model file has " + std::to_string(r.remaining()) + " unexpected bytes after its banks");
  return model;
}

}  // namespace anomalens
