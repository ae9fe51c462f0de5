#include "native/jobs/train_model.h"

#include <algorithm>
#include <chrono>
#include <type_traits>
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

namespace {

// Feeds the training images to a Trainer or a ConfigurationSearch (the same
// calls) and finishes it, with progress bars.
template <typename Builder>
StatusOr<Model> FeedAndFinish(Builder& builder, const std::vector<ManifestEntry>& train,
                              const std::vector<AnomalyClass>& classes, int normals, const ModelConfig& config,
                              Hooks hooks, bool quiet, const JpegDecoder& jpeg) {
  builder.ExpectNormalImages(normals);
  {
    ProgressBar bar("train: features", train.size(), quiet);
    for (size_t i = 0; i < train.size(); ++i) {
      const ManifestEntry& e = train[i];
      ASSIGN_OR_RETURN(RgbImage image, LoadImageFile(e.image_path, "", jpeg));
      std::optional<ClassMask> mask;
      if (!classes.empty() && !e.mask_ref.empty()) {
        ASSIGN_OR_RETURN(mask, LoadClassMask(e, {image.width, image.height}, classes));
      }
      const Status added = builder.AddImage(image, e.label, mask ? &*mask : nullptr);
      if (!added.ok()) return Status(added.code(), e.image_path + ": " + added.message());
      bar.Update(i + 1);
    }
  }
  // Calibration builds one bank per fold, then the final bank; the search
  // reports one step per candidate.
  ProgressBar calib(std::is_same_v<Builder, Trainer> ? "train: memory banks" : "train: candidates",
                    config.calibration_folds + 1, quiet);
  hooks.progress = [&calib](std::string_view, size_t done, size_t total) {
    calib.SetTotal(total);
    calib.Update(done);
  };
  auto model = builder.Finish(hooks);
  calib.Finish();
  return model;
}

}  // namespace

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
  const int normals = static_cast<int>(std::count_if(
      plan.train.begin(), plan.train.end(), [](const ManifestEntry& e) { return e.label == ImageLabel::kNormal; }));
  Hooks hooks;
  hooks.parallel = options.parallel;
  hooks.clock = [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
  StatusOr<Model> model = Status::Ok();
  if (options.quick) {
    Trainer trainer(backbone, config, classes);
    trainer.SetSearch(options.search);
    trainer.SetParallel(options.parallel);
    model = FeedAndFinish(trainer, plan.train, classes, normals, config, hooks, quiet, options.jpeg);
  } else {
    ConfigurationSearch search(backbone, config, classes, options.pins);
    search.SetClock(hooks.clock);
    search.SetSearch(options.search);
    search.SetParallel(options.parallel);
    model = FeedAndFinish(search, plan.train, classes, normals, config, hooks, quiet, options.jpeg);
  }
  if (!model.ok()) return model.status();

  const std::vector<uint8_t> bytes = SerializeModel(*model);
  if (on_model) RETURN_IF_ERROR(on_model(*model, bytes));

  TrainOutcome outcome;
  outcome.self_check = model->stats.self_check;
  outcome.search = model->stats.search;
  ASSIGN_OR_RETURN(std::unique_ptr<Detector> detector, Detector::FromModel(std::move(model).value(), backbone, options.parallel, options.search, options.jpeg));
  ASSIGN_OR_RETURN(outcome.evaluation, EvaluateEntries(*detector, plan.test, quiet));
  outcome.training_images = static_cast<int>(plan.train.size());
  outcome.test_entries = std::move(plan.test);
  return outcome;
}

}  // namespace anomalens
