#include "native/jobs/train_model.h"

#include <algorithm>
#include <optional>

#include "core/lookout/anomaly_classes.h"
#include "core/lookout/dataset_split.h"
#include "core/model/detector.h"
#include "core/model/model_file.h"
#include "core/model/trainer.h"
#include "native/jobs/image_files.h"
#include "native/jobs/progress_bar.h"

namespace anomalens {

StatusOr<TrainPlan> PlanTraining(std::vector<ManifestEntry> train, std::vector<ManifestEntry> test,
                                 bool separate_test, uint64_t split_seed, std::string source,
                                 SingleDatasetRule rule, bool normal_only) {
  TrainPlan plan;
  plan.source = std::move(source);
  if (separate_test) {
    const Status train_ok = CheckTrainingDatasetMinimums(CountLabels(train));
    if (!train_ok.ok()) return Status(train_ok.code(), "training dataset: " + train_ok.message());
    const Status test_ok = CheckTestDatasetMinimums(CountLabels(test));
    if (!test_ok.ok()) return Status(test_ok.code(), "test dataset: " + test_ok.message());
    plan.train = std::move(train);
    plan.test = std::move(test);
    return plan;
  }
  const LabelCounts counts = CountLabels(train);
  if (rule == SingleDatasetRule::kAllowNormalOnly && (counts.anomaly == 0 || normal_only)) {
    RETURN_IF_ERROR(CheckNormalOnlyDatasetMinimums(counts));
  } else {
    RETURN_IF_ERROR(CheckSingleDatasetMinimums(counts));
  }
  DatasetSplit split = SplitDataset(train, split_seed);
  plan.train = std::move(split.train);
  plan.test = std::move(split.test);
  return plan;
}

StatusOr<TrainOutcome> TrainAndEvaluate(TrainPlan plan, const TrainOptions& options,
                                        std::shared_ptr<const Backbone> backbone,
                                        const std::function<Status(const Model&, const std::vector<uint8_t>&)>& on_model) {
  const bool quiet = options.quiet;
  ModelConfig config = options.config;
  if (options.normal_only) {
    std::vector<ManifestEntry> normals;
    for (ManifestEntry& e : plan.train)
      if (e.label == ImageLabel::kNormal) normals.push_back(std::move(e));
    plan.train = std::move(normals);
  }
  // Masks make a segmentation project; its classes are those its training
  // masks show (a class seen only in the test set is reported, not learned).
  std::vector<AnomalyClass> classes;
  if (options.use_masks) {
    ASSIGN_OR_RETURN(classes, CollectAnomalyClasses(plan.train));
  }
  if (!options.resolution_given) config.short_side = DefaultShortSide(!classes.empty());
  Trainer trainer(backbone, config, classes);
  trainer.ExpectNormalImages(static_cast<int>(std::count_if(
      plan.train.begin(), plan.train.end(), [](const ManifestEntry& e) { return e.label == ImageLabel::kNormal; })));
  {
    ProgressBar bar("train: features", plan.train.size(), quiet);
    for (size_t i = 0; i < plan.train.size(); ++i) {
      const ManifestEntry& e = plan.train[i];
      ASSIGN_OR_RETURN(RgbImage image, LoadImageFile(e.image_path));
      std::optional<ClassMask> mask;
      if (!classes.empty() && !e.mask_ref.empty()) {
        ASSIGN_OR_RETURN(mask, LoadClassMask(e, {image.width, image.height}, classes));
      }
      const Status added = trainer.AddImage(image, e.label, mask ? &*mask : nullptr);
      if (!added.ok()) return Status(added.code(), e.image_path + ": " + added.message());
      bar.Update(i + 1);
    }
  }
  // Calibration builds one bank per fold, then the final bank.
  Hooks hooks;
  ProgressBar calib("train: memory banks", config.calibration_folds + 1, quiet);
  hooks.progress = [&calib](std::string_view, size_t done, size_t) { calib.Update(done); };
  auto model = trainer.Finish(hooks);
  calib.Finish();
  if (!model.ok()) return model.status();

  const std::vector<uint8_t> bytes = SerializeModel(*model);
  if (on_model) RETURN_IF_ERROR(on_model(*model, bytes));

  TrainOutcome outcome;
  outcome.self_check = model->stats.self_check;
  ASSIGN_OR_RETURN(std::unique_ptr<Detector> detector, Detector::FromModel(std::move(model).value(), backbone, options.parallel, options.search));
  ASSIGN_OR_RETURN(outcome.evaluation, EvaluateEntries(*detector, plan.test, quiet));
  outcome.training_images = static_cast<int>(plan.train.size());
  outcome.test_entries = std::move(plan.test);
  return outcome;
}

}  // namespace anomalens
