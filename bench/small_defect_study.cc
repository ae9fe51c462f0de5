#include "bench/small_defect_study.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "core/lookout/metrics.h"
#include "core/model/detector.h"
#include "core/model/trainer.h"
#include "core/synthetic/synthetic_dataset.h"

namespace anomalens {
namespace {

constexpr uint64_t kSeed = 77;
// Index ranges: training normals, test normals and test anomalies never share a sample.
constexpr int kTestIndexOffset = 1000;

}  // namespace

StatusOr<std::vector<SmallDefectResult>> RunSmallDefectStudy(std::shared_ptr<const Backbone> backbone,
                                                              const SmallDefectStudyOptions& options) {
  std::vector<SmallDefectResult> results;
  for (const auto& [width, height] : options.sizes) {
    SyntheticOptions scene;
    scene.width = width;
    scene.height = height;
    Trainer trainer(backbone, options.config);
    for (int i = 0; i < options.train_normals; ++i)
      RETURN_IF_ERROR(trainer.AddImage(GenerateSyntheticSample(kSeed, i, false, scene).image, ImageLabel::kNormal));
    ASSIGN_OR_RETURN(Model model, trainer.Finish());
    const double scale = model.scale;
    ASSIGN_OR_RETURN(std::unique_ptr<Detector> detector, Detector::FromModel(std::move(model), backbone));

    std::vector<double> normal_scores;
    for (int i = 0; i < options.test_per_class; ++i) {
      ASSIGN_OR_RETURN(DetectAnomalyResult r,
                       detector->DetectImage(GenerateSyntheticSample(kSeed, kTestIndexOffset + i, false, scene).image));
      normal_scores.push_back(r.score);
    }
    // The threshold letting through at most `false_positive_rate` of the normals.
    std::vector<double> sorted = normal_scores;
    std::sort(sorted.begin(), sorted.end(), std::greater<double>());
    const size_t allowed = static_cast<size_t>(std::floor(options.false_positive_rate * sorted.size()));
    const double bar = sorted[std::min(allowed, sorted.size() - 1)];  // scores above it are called anomalous

    for (double area : options.areas) {
      SyntheticOptions defective = scene;
      defective.defect_area_fraction = area;
      defective.defect_contrast = options.defect_contrast;
      std::vector<ScoredLabel> scored;
      for (double s : normal_scores) scored.push_back({s, false});
      int found = 0;
      for (int i = 0; i < options.test_per_class; ++i) {
        ASSIGN_OR_RETURN(DetectAnomalyResult r, detector->DetectImage(
                                                    GenerateSyntheticSample(kSeed, kTestIndexOffset + i, true, defective).image));
        scored.push_back({r.score, true});
        found += r.score > bar;
      }
      SmallDefectResult result;
      result.c = {width, height, area};
      result.scale = scale;
      result.recall = static_cast<double>(found) / options.test_per_class;
      result.false_positive_rate = static_cast<double>(allowed) / sorted.size();
      result.roc_auc = RocAuc(scored);
      result.normals = options.test_per_class;
      result.anomalies = options.test_per_class;
      results.push_back(result);
    }
  }
  return results;
}

}  // namespace anomalens
