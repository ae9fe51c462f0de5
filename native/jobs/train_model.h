// Training as Lookout's CreateModel did it, shared by `anomalens train` and
// the server: check the dataset minimums (splitting a single dataset), train
// on the training images, then evaluate on the test images.
#ifndef ANOMALENS_NATIVE_JOBS_TRAIN_MODEL_H_
#define ANOMALENS_NATIVE_JOBS_TRAIN_MODEL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/backbone/mobilenet_v2.h"
#include "core/base/parallel.h"
#include "core/base/status.h"
#include "core/image/image_decode.h"
#include "core/lookout/manifest.h"
#include "core/model/configuration_search.h"
#include "core/model/model.h"
#include "core/scoring/nearest_neighbor_search.h"
#include "native/jobs/evaluation_job.h"

namespace anomalens {

struct TrainPlan {
  std::vector<ManifestEntry> train, test;
  std::string source;  // for messages: "manifest x", "folder y"
};

// Which minimums a single dataset must meet.
enum class SingleDatasetRule {
  // Lookout's: 20 normal and 10 anomalous images (the server's default).
  kLookout,
  // Lookout's, except that a dataset with no labelled anomalies, or trained
  // on its normal images alone, needs only 20 normal images
  // (CheckNormalOnlyDatasetMinimums): the CLI's, and the server's with
  // --allow-normal-only-training.
  kAllowNormalOnly,
};

// Checks the minimums. With `separate_test`, `train` and `test` are the
// two datasets (Lookout's minimums); otherwise `train` is split (20% of each
// label held out) under `rule`; `normal_only` says that training will use
// the normal images alone.
StatusOr<TrainPlan> PlanTraining(std::vector<ManifestEntry> train, std::vector<ManifestEntry> test,
                                 bool separate_test, uint64_t split_seed, std::string source,
                                 SingleDatasetRule rule = SingleDatasetRule::kLookout, bool normal_only = false);

struct TrainOptions {
  ModelConfig config;
  bool resolution_given = false;  // else DefaultShortSide picks it (segmentation or not)
  // Today's single configuration, no search (train --quick); otherwise the
  // configuration search, with the options the user gave pinned.
  bool quick = false;
  SearchPins pins;
  bool normal_only = false;       // train on the normal images alone
  bool use_masks = true;          // masks make a segmentation model
  bool quiet = true;              // progress bars on stderr when false
  ParallelFor parallel;           // the compute threads' hook, for scoring
  BuildSearch search;             // evaluation's nearest-neighbour engine (empty: portable)
  JpegDecoder jpeg;               // the images' JPEG decoder, at full size (empty: stb)
};

struct TrainOutcome {
  EvaluationRun evaluation;
  std::vector<ManifestEntry> test_entries;  // evaluation.images[i] is test_entries[i]
  int training_images = 0;
  SelfCheckReport self_check;  // the model's (for EvaluationDetails::self_check)
  std::vector<CandidateFigures> search;  // the configuration search's table, with seconds
};

// Trains on plan.train and evaluates on plan.test. `on_model` receives the
// model and its file bytes before evaluation (to write and report them); an
// error from it stops training.
StatusOr<TrainOutcome> TrainAndEvaluate(TrainPlan plan, const TrainOptions& options,
                                        std::shared_ptr<const Backbone> backbone,
                                        const std::function<Status(const Model&, const std::vector<uint8_t>&)>& on_model);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_JOBS_TRAIN_MODEL_H_
