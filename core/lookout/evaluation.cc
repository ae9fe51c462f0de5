#include "core/lookout/evaluation.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/lookout/metrics.h"
#include "core/lookout/result_json.h"

namespace anomalens {

EvaluationMetrics Evaluate(const std::vector<EvaluatedImage>& images) {
  std::vector<ScoredLabel> scored;
  std::vector<ScoredLabel> decided;  // score 1 for IsAnomalous, 0 otherwise
  EvaluationMetrics m;
  for (const EvaluatedImage& img : images) {
    scored.push_back({img.result.score, img.truly_anomalous});
    decided.push_back({img.result.is_anomalous ? 1.0 : 0.0, img.truly_anomalous});
    m.test_anomalies += img.truly_anomalous;
    m.correct += img.truly_anomalous == img.result.is_anomalous;
  }
  m.test_images = static_cast<int>(images.size());
  m.roc_auc = RocAuc(scored);
  m.average_precision = AveragePrecision(scored);
  const ClassificationMetrics at = MetricsAtThreshold(decided, 0.5);
  m.precision = at.precision;
  m.recall = at.recall;
  m.f1 = at.f1;
  return m;
}

std::string EvaluationResultJson(const EvaluationMetrics& metrics, const EvaluationDetails& details) {
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::ordered_json(RoundForJson(v)) : nullptr; };
  nlohmann::ordered_json doc;
  doc["Version"] = 1;
  doc["EvaluationDetails"] = {{"ModelArn", details.model_arn},
                              {"EvaluationEndTimestamp", details.end_timestamp},
                              {"NumberOfTrainingImages", details.training_images},
                              {"NumberOfTestingImages", metrics.test_images}};
  doc["AggregatedEvaluationResults"]["Metrics"] = {{"ROCAUC", number(metrics.roc_auc)},
                                                   {"AveragePrecision", number(metrics.average_precision)},
                                                   {"Precision", number(metrics.precision)},
                                                   {"Recall", number(metrics.recall)},
                                                   {"F1Score", number(metrics.f1)}};
  if (!metrics.class_metrics.empty()) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& c : metrics.class_metrics) {
      list.push_back({{"Precision", number(c.metrics.precision)},
                      {"Recall", number(c.metrics.recall)},
                      {"F1Score", number(c.metrics.f1)},
                      {"AIOU", number(c.metrics.aiou)},
                      {"ClassName", c.class_name}});
    }
    doc["AggregatedEvaluationResults"]["Metrics"]["PixelAnomalyClassMetrics"] = std::move(list);
  }
  if (metrics.has_pixel_metrics) {
    doc["AnomalensPixelMetrics"] = {{"PixelROCAUC", number(metrics.pixel_roc_auc)},
                                    {"AUPRO", number(metrics.aupro)},
                                    {"ImagesWithMasks", metrics.images_with_masks}};
  }
  if (details.self_check != nullptr && details.self_check->ran()) {
    const SelfCheckReport& r = *details.self_check;
    auto groups = [&number](const std::vector<SelfCheckGroup>& gs) {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const SelfCheckGroup& g : gs)
        list.push_back({{"Name", g.name}, {"Defects", g.defects}, {"Recall", number(g.recall())},
                        {"ROCAUC", number(g.image_rocauc)}});
      return list;
    };
    doc["AnomalensSelfCheck"] = {{"SyntheticDefects", r.defects},
                                 {"HeldOutNormalImages", r.normal_images},
                                 {"ROCAUC", number(r.image_rocauc)},
                                 {"PixelROCAUC", number(r.pixel_rocauc)},
                                 {"AUPRO", number(r.pixel_aupro)},
                                 {"Recall", number(r.recall)},
                                 {"FalsePositiveRate", number(r.false_positive_rate)},
                                 {"Families", groups(r.families)},
                                 {"Sizes", groups(r.sizes)}};
  }
  return doc.dump();
}

}  // namespace anomalens
