#include "core/model/model_summary.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace anomalens {
namespace {

using json = nlohmann::json;

json Figure(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

json Groups(const std::vector<SelfCheckGroup>& groups) {
  json out = json::array();
  for (const SelfCheckGroup& g : groups)
    out.push_back({{"name", g.name}, {"defects", g.defects}, {"detected", g.detected}, {"recall", Figure(g.recall())},
                   {"imageRocAuc", Figure(g.image_rocauc)}});
  return out;
}

json SelfCheck(const SelfCheckReport& r) {
  if (!r.ran()) return nullptr;
  return {{"defects", r.defects},
          {"normalImages", r.normal_images},
          {"imageRocAuc", Figure(r.image_rocauc)},
          {"pixelRocAuc", Figure(r.pixel_rocauc)},
          {"pixelAupro", Figure(r.pixel_aupro)},
          {"recall", Figure(r.recall)},
          {"falsePositiveRate", Figure(r.false_positive_rate)},
          {"compressedNormals", r.compressed_normals},
          {"compressedFlagged", r.compressed_flagged},
          {"families", Groups(r.families)},
          {"sizes", Groups(r.sizes)}};
}

}  // namespace

std::string ModelSummaryJson(const Model& m) {
  json search = json::array();
  for (const CandidateFigures& c : m.stats.search) {
    json row = {{"name", CandidateName(c)},         {"shortSide", c.short_side},
                {"normalModel", c.normal_model},    {"coarseWeight", c.coarse_weight},
                {"darkSpots", c.dark_spots},        {"chosen", c.chosen},
                {"syntheticRocAuc", Figure(c.synthetic_rocauc)}, {"syntheticAupro", Figure(c.synthetic_aupro)},
                {"syntheticRecall", Figure(c.synthetic_recall)},
                {"compressedNormals", c.compressed_normals}, {"compressedFlagged", c.compressed_flagged},
                {"labelledRocAuc", c.labelled_rocauc >= 0 ? Figure(c.labelled_rocauc) : json(nullptr)}};
    if (!c.error.empty()) row["error"] = c.error;
    search.push_back(std::move(row));
  }
  json classes = json::array();
  for (const AnomalyClass& c : m.segmentation.classes) classes.push_back(c.name);
  const json out = {{"normalModel", NormalModelKindName(m.normal_model)},
                    {"shortSide", m.config.short_side},
                    {"scale", m.scale},
                    {"coarseWeight", m.config.coarse_weight},
                    {"darkSpots", !m.dark_spots.empty()},
                    {"thresholdRule", ThresholdRuleName(m.threshold_rule)},
                    {"falsePositiveRate", m.config.false_positive_rate},
                    {"normalImages", m.stats.normal_images},
                    {"anomalyImages", m.stats.anomaly_images},
                    {"segmentationClasses", classes},
                    {"selfCheck", SelfCheck(m.stats.self_check)},
                    {"configurationSearch", search}};
  return out.dump();
}

}  // namespace anomalens
