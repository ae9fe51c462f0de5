// anomalens train: dataset in, model file out, evaluated on a test set.
#include <algorithm>
#include <cstdio>
#include <optional>

#include "core/features/tiling.h"
#include "core/lookout/anomaly_classes.h"
#include "core/lookout/dataset_split.h"
#include "core/model/calibration.h"
#include "core/model/configuration_search.h"
#include "core/model/detector.h"
#include "core/model/model_file.h"
#include "core/model/trainer.h"
#include "native/cli/backend_options.h"
#include "native/cli/command_line.h"
#include "native/cli/commands.h"
#include "native/jobs/dataset_loader.h"
#include "native/jobs/evaluation_job.h"
#include "native/jobs/file_io.h"
#include "native/jobs/model_loader.h"
#include "native/jobs/progress_bar.h"
#include "native/jobs/train_model.h"

namespace anomalens {
namespace {

constexpr const char* kUsage = R"(usage:
  anomalens train --manifest TRAIN.manifest [--test-manifest TEST.manifest] --output MODEL
                  [--evaluation EVAL.json] [--evaluation-manifest OUT.manifest]
  anomalens train --dataset DIR --output MODEL [...]

Trains an anomaly detector from normal images (anomalous ones calibrate its
threshold) and evaluates it, as Lookout for Vision's CreateModel did. When
anomalous images have masks (anomaly-mask-ref with an internal-color-map), it
trains a segmentation model: DetectAnomalies then names the defect types found
and returns their mask.

Data:
  --manifest FILE            Lookout / SageMaker Ground Truth manifest (JSON Lines); paths
                             relative to the manifest's folder or its parent
  --test-manifest FILE       separate test dataset; without it 20% of each label is held out
  --dataset DIR              folder: normal/ + anomaly/ (split automatically), or MVTec
                             (train/good for training, test/* as the test set)
Output:
  --output FILE              the model file (required)
  --evaluation FILE          Lookout's EvaluationResult JSON for the test set
  --evaluation-manifest FILE the test manifest with anomaly-label-detected added
Options:
  --quick                    skip the configuration search: one model with the defaults below
                             (without it, train fits candidates: the default resolution and twice
                             it when the images have the pixels, shared bank with taps 8+16 or 8,
                             per-position when 20+ photos share one size (with and without dark
                             spots from 50); it keeps the one its self-check and any labelled anomalies rank
                             best (where labelled anomalies tie, a self-check lead counts only
                             for a candidate that finds the synthetic defects clearly above
                             chance), and prints the table. Every option below that pins a choice
                             removes it from the search: --resolution, --coarse-weight,
                             --normal-model, --no-dark-spots)
  --resolution PX            working resolution's shorter side (default 224; 288 when masks make a
                             segmentation model)
  --coreset-ratio R          fraction of training patches kept in the memory bank (default 0.1)
  --coarse-weight W          weight of the stride-16 features against the stride-8 ones (default 1;
                             0 for small defects on textured surfaces)
  --anomaly-patches N        patches each labelled anomaly without a mask adds to the anomaly bank
                             (default 10; a masked one adds its masked patches); 0: no anomaly
                             bank, labelled anomalies only calibrate the threshold
  --smoothing-sigma PX       Gaussian smoothing of the anomaly map in working pixels (default 4)
  --ignore-masks             train a classification model even when the manifest has masks
  --no-mask-anomaly-bank     labelled anomalies with masks add their most anomalous patches to the
                             anomaly bank, as those without masks do, not their masked ones
  --no-mask-normal-patches   the normal bank takes normal images only, not the unlabelled parts
                             of masked anomalous images
  --no-defect-head           segmentation models: no head learned from the masks (the map alone
                             says where defects are)
  --no-map-refinement        segmentation models: the map's outline follows its smoothing, not
                             the image (no guided filter)
  --type-naming N            segmentation models of 2+ classes: who names a defect's type,
                             measured (default: the class memory unless the per-class head names
                             more held-out training defects right), class-memory, or class-head
  --normal-model M           auto (default), shared-bank, or per-position: a Gaussian of the
                             patches at each place, for parts photographed in the same place
                             every time (auto picks it when the training photos line up)
  --no-dark-spots            per-position models at stride 4 leave out the dark-spot channel
                             (fine dark-spot features on the original pixels, weighed into the
                             image score and the anomaly map; docs/model.md)
  --shared-dark-spots        shared-bank models add the position-free dark-spot channel: dark-spot
                             and colour-spot features on a stride-4 grid against a bank of normal
                             cells, weighed into the image score and map (classification models;
                             the search otherwise tries it where no per-position candidate is, and
                             keeps it when its self-check ranks it clearly better; docs/model.md)
  --normal-only              train on the normal images alone (anomalies still go to the test
                             split), as a dataset without labelled anomalies does
  --false-positive-rate R    with normal images only, the threshold aims at this false-positive
                             rate on normal images: the held-out normal scores' median + z(1 - R)
                             robust sd (1.4826 x their median absolute deviation); above 0 and
                             below 0.5 (default 0.03). With labelled anomalies the threshold is
                             F1-optimal over held-out training scores instead
  --self-check-defects N     synthetic defects pasted into held-out normal training images to
                             grade the model on (default 42, 6 of each family; 0: no self-check;
                             N / 3 more of a few pixels come on top; docs/selfcheck.md)
  --split-seed N             seed of the automatic train/test split (default 0)
  --backbone FILE            converted backbone weights (default: found beside the binary)
  --backend xnnpack|portable backbone engine (default xnnpack; portable: the core's own kernels,
                             which the wasm build runs and matches byte for byte)
  --threads N                threads for the backbone and scoring (default: the cores not already busy)
  --decoder libjpeg-turbo|stb
                             JPEG decoder (default libjpeg-turbo on xnnpack; stb, the portable
                             engine's, on portable; both give the same pixels, so the same model)
  --quiet                    no progress or summary on stderr

Lookout's minimums apply: one dataset needs 20 normal and 10 anomalous images;
separate datasets need 10 normal training images and 10 normal plus 10
anomalous test images. A dataset of normal images only (normal/ alone, MVTec's
train/good alone, a manifest without anomalies, or --normal-only) needs 20
normal images; a fifth of them are held out to test, and the threshold comes
from normal images alone (--false-positive-rate).
Exit codes: 0 ok, 2 bad usage or invalid input, 1 other failures.
)";

// How the threshold was set, and what it should cost on normal images.
void PrintThresholdRule(const Model& model) {
  const std::vector<double>& normals = model.stats.calibration_normal_scores;
  size_t above = 0;
  for (double s : normals) above += s >= model.threshold;
  char held_out[128];
  std::snprintf(held_out, sizeof held_out, "%zu of %zu held-out normal images score above it (%.1f%%)", above,
                normals.size(), normals.empty() ? 0.0 : 100.0 * above / normals.size());
  switch (model.threshold_rule) {
    case ThresholdRule::kF1Optimal:
      std::fprintf(stderr,
                   "  threshold rule: F1-optimal over held-out scores of %zu normal and %zu labelled anomalous "
                   "training images; %s\n",
                   normals.size(), model.stats.calibration_anomaly_scores.size(), held_out);
      break;
    case ThresholdRule::kNormalFalsePositiveRate: {
      const double r = model.config.false_positive_rate;
      std::fprintf(stderr,
                   "  threshold rule: no labelled anomalies were given to training, so the threshold comes from normal images "
                   "only:\n"
                   "    median + %.3f robust sd of the held-out normal scores, aimed at an expected false-positive "
                   "rate of %.3g%% on normal images (--false-positive-rate %g); %s\n",
                   StandardNormalQuantile(1 - r), 100 * r, r, held_out);
      // The rule assumes Gaussian normal scores; nearest-neighbour scores
      // are skewed to the right, and the held-out share says by how much.
      if (!normals.empty() && above > 2 * r * normals.size()) {
        std::fprintf(stderr,
                     "    the held-out normal scores have a longer tail than the rule assumes: expect a false-positive "
                     "rate nearer %.1f%% than %.3g%% (a lower --false-positive-rate raises the threshold)\n",
                     100.0 * above / normals.size(), 100 * r);
      }
      break;
    }
    case ThresholdRule::kNormalMedianPlus3RobustSd:
      std::fprintf(stderr, "  threshold rule: median + 3 robust sd of the held-out normal scores; %s\n",
                   held_out);
      break;
  }
}

// The summary `train` prints once the model is written.
void PrintModelSummary(const Model& model, const std::string& source, const std::string& output, size_t bytes) {
  const Size working = model.stats.working_size;
  const size_t tiles = PlanTileAxis(working.width, model.config.tiling.tile, model.config.tiling.overlap, 16).start.size() *
                       PlanTileAxis(working.height, model.config.tiling.tile, model.config.tiling.overlap, 16).start.size();
  std::fprintf(stderr,
               "trained on %d normal + %d anomalous images from %s\n"
               "  resolution: %dx%d images analysed at scale %.4f (working %dx%d px, %zu tile%s of up to %d px)\n",
               model.stats.normal_images, model.stats.anomaly_images, source.c_str(),
               model.stats.image_width, model.stats.image_height, model.scale, working.width, working.height,
               tiles, tiles == 1 ? "" : "s", model.config.tiling.tile);
  char alignment[96] = "not measured: image sizes differ or the grid is too large";
  if (model.stats.alignment >= 0) {
    std::snprintf(alignment, sizeof alignment, "%.3f, aligned below %.2f with %d+ normal images",
                  model.stats.alignment, kAlignedBelow, kMinPositionImages);
  }
  if (!model.stats.search.empty()) {
    std::fprintf(stderr, "  configuration search (* chosen; compared on at most %d normal images):\n%s",
                 kSearchNormalImages, FormatCandidateTable(model.stats.search).c_str());
  }
  const char* how = !model.stats.search.empty()                               ? "chosen by the configuration search"
                    : model.config.normal_model == NormalModelKind::kAuto ? "chosen automatically"
                                                                          : "as asked";
  std::fprintf(stderr, "  normal model: %s (%s; alignment %s)\n", NormalModelKindName(model.normal_model), how,
               alignment);
  if (model.normal_model == NormalModelKind::kPerPosition) {
    std::fprintf(stderr,
                 "  per-position Gaussians: %dx%d cells of %d px, %d features each, from %d images; threshold %.4f "
                 "(%s)\n",
                 model.position.grid_width, model.position.grid_height, model.position.stride,
                 model.position.features, model.stats.normal_images, model.threshold,
                 ThresholdRuleName(model.threshold_rule));
    const DarkSpotChannel& spots = model.dark_spots;
    if (!spots.empty()) {
      const Size analysed = DarkSpotAnalysisSize({model.stats.image_width, model.stats.image_height}, model.scale);
      std::fprintf(stderr,
                   "  dark-spot channel: on (%zu scales, %g to %g px, of %dx%d px: %d features a cell; %s; "
                   "%.0f%% of the image score and map, the backbone model's %.0f%%; --no-dark-spots leaves it out)\n",
                   spots.sigmas.size(), spots.sigmas.front(), spots.sigmas.back(), analysed.width, analysed.height,
                   spots.features(),
                   spots.bank.empty() ? "per-cell Gaussians"
                                      : ("nearest of " + std::to_string(spots.bank.entries) + " vectors a cell").c_str(),
                   100 * (1 - spots.backbone_weight), 100 * spots.backbone_weight);
    } else {
      std::fprintf(stderr, "  dark-spot channel: off (%s)\n",
                   model.position.stride != 4 ? "only stride-4 per-position models carry one" : "--no-dark-spots");
    }
  } else {
    std::fprintf(stderr, "  memory bank: %zu of %zu patches; anomaly bank: %zu patches; threshold %.4f (%s)\n",
                 model.bank_rows, model.stats.training_patches, model.anomaly_bank_rows, model.threshold,
                 ThresholdRuleName(model.threshold_rule));
    const DarkSpotChannel& spots = model.dark_spots;
    if (!spots.shared.empty()) {
      const Size analysed = DarkSpotAnalysisSize({model.stats.image_width, model.stats.image_height}, model.scale);
      std::fprintf(stderr,
                   "  dark-spot channel: on, position-free (%zu scales, %g to %g px, of %dx%d px, and colour: %d "
                   "features a stride-4 cell; nearest of %zu normal cells; %.0f%% of the image score and map, the "
                   "backbone bank's %.0f%%; --no-dark-spots leaves it out of the search)\n",
                   spots.sigmas.size(), spots.sigmas.front(), spots.sigmas.back(), analysed.width, analysed.height,
                   spots.features(), spots.shared_rows(), 100 * (1 - spots.backbone_weight),
                   100 * spots.backbone_weight);
    }
  }
  const SegmentationModel& seg = model.segmentation;
  if (seg.enabled()) {
    std::string names;
    for (const AnomalyClass& c : seg.classes) names += (names.empty() ? "" : ", ") + c.name + " " + HexColor(c.color);
    std::fprintf(stderr,
                 "  segmentation model: %zu class%s (%s) from %d masks; defect pixels score >= max(%.4f, %.2f x "
                 "peak) (held-out mean IoU %.4f)\n",
                 seg.classes.size(), seg.classes.size() == 1 ? "" : "es", names.c_str(),
                 model.stats.masked_anomaly_images, seg.pixel_rule.threshold, seg.pixel_rule.relative_to_peak,
                 model.stats.pixel_rule_mean_iou);
    if (seg.classes.size() > 1) {
      const TrainingStats& st = model.stats;
      std::fprintf(stderr, "  types named by the %s", seg.class_head.enabled() ? "per-class head" : "class memory");
      if (st.held_out_defects > 0) {
        std::fprintf(stderr,
                     " (held-out training defects named right: class memory %d of %d, head %d; cells %zu and %zu of "
                     "%zu)",
                     st.memory_named_defects, st.held_out_defects, st.head_named_defects, st.memory_named_cells,
                     st.head_named_cells, st.held_out_cells);
      }
      std::fputs("\n", stderr);
    }
  } else {
    std::fprintf(stderr, "  classification model (no masks)\n");
  }
  // The self-check, indented under the model it describes.
  const std::string check = FormatSelfCheck(model.stats.self_check);
  size_t start = 0;
  while (start < check.size()) {
    const size_t end = std::min(check.find('\n', start), check.size());
    std::fprintf(stderr, "  %s\n", check.substr(start, end - start).c_str());
    start = end + 1;
  }
  PrintThresholdRule(model);
  std::fprintf(stderr, "  wrote %s (%zu bytes)\n", output.c_str(), bytes);
}

StatusOr<TrainPlan> PlanDatasets(const CommandLine& cl, uint64_t split_seed, bool normal_only) {
  std::vector<ManifestEntry> train, test;
  std::string source;
  bool separate_test = false;
  if (cl.Has("manifest")) {
    ASSIGN_OR_RETURN(train, LoadManifestFile(cl.Get("manifest")));
    source = cl.Get("manifest");
  } else {
    ASSIGN_OR_RETURN(LoadedDataset data, LoadFolderDataset(cl.Get("dataset")));
    train = std::move(data.train);
    test = std::move(data.test);
    separate_test = data.has_test_set;
    source = data.description;
  }
  if (cl.Has("test-manifest")) {
    ASSIGN_OR_RETURN(test, LoadManifestFile(cl.Get("test-manifest")));
    separate_test = true;
  }
  return PlanTraining(std::move(train), std::move(test), separate_test, split_seed, std::move(source),
                      SingleDatasetRule::kAllowNormalOnly, normal_only);
}

int Train(const CommandLine& cl) {
  const bool quiet = cl.Has("quiet");
  auto resolution = cl.GetNumber("resolution", 224, 32, 4096);
  if (!resolution.ok()) return ReportError("train", resolution.status());
  auto coreset = cl.GetNumber("coreset-ratio", 0.1, 1e-6, 1.0);
  if (!coreset.ok()) return ReportError("train", coreset.status());
  auto seed = cl.GetNumber("split-seed", 0, 0, 1e15);
  if (!seed.ok()) return ReportError("train", seed.status());
  auto coarse_weight = cl.GetNumber("coarse-weight", ModelConfig{}.coarse_weight, 0, 16);
  if (!coarse_weight.ok()) return ReportError("train", coarse_weight.status());
  auto anomaly_patches = cl.GetNumber("anomaly-patches", ModelConfig{}.anomaly_patches_per_image, 0, 4096);
  if (!anomaly_patches.ok()) return ReportError("train", anomaly_patches.status());
  auto self_check_defects = cl.GetNumber("self-check-defects", kDefaultSelfCheckDefects, 0, kMaxSelfCheckDefects);
  if (!self_check_defects.ok()) return ReportError("train", self_check_defects.status());

  double false_positive_rate = kDefaultFalsePositiveRate;
  if (cl.Has("false-positive-rate")) {
    auto rate = cl.GetNumber("false-positive-rate", kDefaultFalsePositiveRate, 0, 0.5);
    if (!rate.ok() || !(*rate > 0 && *rate < 0.5)) {
      return ReportError("train", InvalidInput("--false-positive-rate must be a number above 0 and below 0.5; got '" +
                                               cl.Get("false-positive-rate") + "'"));
    }
    false_positive_rate = *rate;
  }

  NormalModelKind normal_model = NormalModelKind::kAuto;
  if (cl.Has("normal-model") && !ParseNormalModelKind(cl.Get("normal-model"), &normal_model)) {
    return ReportError("train", InvalidInput("--normal-model must be auto, shared-bank or per-position; got '" +
                                             cl.Get("normal-model") + "'"));
  }

  TypeNaming type_naming = TypeNaming::kMeasured;
  if (cl.Has("type-naming")) {
    const std::string n = cl.Get("type-naming");
    if (n == "class-memory") {
      type_naming = TypeNaming::kClassMemory;
    } else if (n == "class-head") {
      type_naming = TypeNaming::kClassHead;
    } else if (n != "measured") {
      return ReportError("train", InvalidInput("--type-naming must be measured, class-memory or class-head; got '" + n + "'"));
    }
  }

  auto plan = PlanDatasets(cl, static_cast<uint64_t>(*seed), cl.Has("normal-only"));
  if (!plan.ok()) return ReportError("train", plan.status());
  auto backend_options = ParseBackendOptions(cl);
  if (!backend_options.ok()) return ReportError("train", backend_options.status());
  auto backend = LoadBackend(cl.Get("backbone"), *backend_options);
  if (!backend.ok()) return ReportError("train", backend.status());

  TrainOptions options;
  ModelConfig& config = options.config;
  config.short_side = static_cast<int>(*resolution);
  config.coreset_ratio = *coreset;
  config.coarse_weight = static_cast<float>(*coarse_weight);
  config.anomaly_patches_per_image = static_cast<int>(*anomaly_patches);
  auto smoothing = cl.GetNumber("smoothing-sigma", ModelConfig{}.smoothing_sigma, 0, 64);
  if (!smoothing.ok()) return ReportError("train", smoothing.status());
  config.smoothing_sigma = static_cast<float>(*smoothing);
  config.normal_model = normal_model;
  config.anomaly_bank_from_masks = !cl.Has("no-mask-anomaly-bank");
  config.normal_patches_from_masks = !cl.Has("no-mask-normal-patches");
  config.defect_head = !cl.Has("no-defect-head");
  config.map_refinement = !cl.Has("no-map-refinement");
  config.type_naming = type_naming;
  config.dark_spots = !cl.Has("no-dark-spots");
  config.shared_dark_spots = cl.Has("shared-dark-spots");
  if (config.shared_dark_spots && !config.dark_spots) {
    return ReportError("train", InvalidInput("--shared-dark-spots and --no-dark-spots contradict each other"));
  }
  if (config.shared_dark_spots && normal_model == NormalModelKind::kPerPosition) {
    return ReportError("train", InvalidInput("--shared-dark-spots is for shared-bank models, not --normal-model "
                                             "per-position (which has its own dark-spot channel)"));
  }
  config.self_check_defects = static_cast<int>(*self_check_defects);
  config.false_positive_rate = false_positive_rate;
  options.resolution_given = cl.Has("resolution");
  options.quick = cl.Has("quick");
  options.pins.short_side = cl.Has("resolution");
  options.pins.coarse_weight = cl.Has("coarse-weight");
  options.pins.normal_model = cl.Has("normal-model");
  options.pins.dark_spots = cl.Has("no-dark-spots");
  options.pins.shared_dark_spots = cl.Has("shared-dark-spots");
  options.normal_only = cl.Has("normal-only");
  options.use_masks = !cl.Has("ignore-masks");
  options.quiet = quiet;
  options.parallel = backend->parallel;
  options.search = backend->training_search;  // exact: the model's bytes never depend on --exact-search
  options.jpeg = backend->jpeg;
  const std::string source = plan->source;
  auto report = [&](const Model& trained, const std::vector<uint8_t>& bytes) -> Status {
    RETURN_IF_ERROR(WriteFileAtomic(cl.Get("output"), bytes));
    if (!quiet) PrintModelSummary(trained, source, cl.Get("output"), bytes.size());
    return Status::Ok();
  };
  auto outcome = TrainAndEvaluate(std::move(plan).value(), options, backend->backbone, report);
  if (!outcome.ok()) return ReportError("train", outcome.status());
  EvaluationDetails details;
  details.model_arn = cl.Get("output");
  details.end_timestamp = NowIso8601();
  details.training_images = outcome->training_images;
  details.self_check = &outcome->self_check;
  const EvaluationRun& run = outcome->evaluation;
  const Status wrote = WriteEvaluation(run.metrics, details, outcome->test_entries, run.images, cl.Get("evaluation"),
                                       cl.Get("evaluation-manifest"), quiet);
  if (!wrote.ok()) return ReportError("train", wrote);
  return kExitOk;
}

}  // namespace

int RunTrain(int argc, char** argv) {
  auto cl = ParseCommandLine(argc, argv, 2,
                             {{"manifest", true}, {"test-manifest", true}, {"dataset", true}, {"output", true},
                              {"evaluation", true}, {"evaluation-manifest", true}, {"resolution", true}, {"quick", false},
                              {"coreset-ratio", true}, {"coarse-weight", true}, {"anomaly-patches", true}, {"normal-model", true},
                              {"normal-only", false}, {"false-positive-rate", true}, {"ignore-masks", false}, {"smoothing-sigma", true},
                              {"no-mask-anomaly-bank", false}, {"no-mask-normal-patches", false}, {"no-defect-head", false}, {"no-map-refinement", false}, {"type-naming", true}, {"no-dark-spots", false}, {"shared-dark-spots", false}, {"self-check-defects", true}, {"split-seed", true},
                              {"backbone", true}, {"backend", true}, {"decoder", true}, {"threads", true}, {"quiet", false}});
  if (!cl.ok()) {
    std::fputs(kUsage, stderr);
    return ReportError("train", cl.status());
  }
  if (cl->Has("help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (cl->Has("manifest") == cl->Has("dataset")) {
    std::fputs(kUsage, stderr);
    return ReportError("train", InvalidInput("give exactly one of --manifest or --dataset"));
  }
  if (!cl->Has("output")) {
    std::fputs(kUsage, stderr);
    return ReportError("train", InvalidInput("--output MODEL is required"));
  }
  if (!cl->positional.empty()) return ReportError("train", InvalidInput("unexpected argument '" + cl->positional[0] + "'"));
  return Train(*cl);
}

}  // namespace anomalens
