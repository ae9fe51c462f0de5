// anomalens evaluate: Lookout's EvaluationResult for a model on a labelled set.
#include <cstdio>

#include "core/lookout/dataset_split.h"
#include "core/model/detector.h"
#include "native/cli/backend_options.h"
#include "native/cli/command_line.h"
#include "native/cli/commands.h"
#include "native/jobs/dataset_loader.h"
#include "native/jobs/evaluation_job.h"
#include "native/jobs/model_loader.h"

namespace anomalens {

namespace {

constexpr const char* kUsage = R"(usage:
  anomalens evaluate MODEL (--manifest M | --dataset DIR) [--output EVAL.json]
                     [--evaluation-manifest OUT.manifest] [--backbone FILE] [--quiet]
                     [--backend xnnpack|portable] [--threads N] [--decoder libjpeg-turbo|stb]
                     [--exact-search]

Detects every labelled image and prints Lookout's EvaluationResult JSON
(ROCAUC, AveragePrecision, Precision, Recall, F1Score) on stdout; --output
also writes it to a file. With --dataset, an MVTec folder is evaluated on its
test/ images and a normal/ + anomaly/ folder on all of its images. When
anomalous images have masks (MVTec ground_truth/, or anomaly-mask-ref in a
manifest), pixel ROCAUC and AUPRO are added in "AnomalensPixelMetrics".
--backend picks the backbone's engine: xnnpack (default) or portable (the
core's own kernels, which the wasm build runs and matches byte for byte);
--threads N its threads and the scoring's (default: the cores not busy).
--decoder picks the JPEG decoder: libjpeg-turbo (the xnnpack default: its
entropy decoding, stb's reconstruction, so the same pixels, faster) or stb
(the portable engine's, and the only one it takes).
--exact-search: the exact nearest-neighbour search on xnnpack. Without it, an
approximate one: a patch's distance may be a slightly farther row's (at most
1.5x; the same results on the measured datasets, docs/speed.md).
Exit codes: 0 ok, 2 bad usage or invalid input, 1 other failures.
)";

}  // namespace

int RunEvaluate(int argc, char** argv) {
  auto cl = ParseCommandLine(argc, argv, 2,
                             {{"manifest", true}, {"dataset", true}, {"output", true}, {"evaluation-manifest", true},
                              {"backbone", true}, {"backend", true}, {"decoder", true}, {"exact-search", false}, {"threads", true}, {"quiet", false}});
  if (!cl.ok()) {
    std::fputs(kUsage, stderr);
    return ReportError("evaluate", cl.status());
  }
  if (cl->Has("help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (cl->positional.size() != 1 || cl->Has("manifest") == cl->Has("dataset")) {
    std::fputs(kUsage, stderr);
    return ReportError("evaluate", InvalidInput("give a MODEL and exactly one of --manifest or --dataset"));
  }
  const bool quiet = cl->Has("quiet");
  std::vector<ManifestEntry> entries;
  if (cl->Has("manifest")) {
    auto loaded = LoadManifestFile(cl->Get("manifest"));
    if (!loaded.ok()) return ReportError("evaluate", loaded.status());
    entries = std::move(loaded).value();
  } else {
    auto loaded = LoadFolderDataset(cl->Get("dataset"));
    if (!loaded.ok()) return ReportError("evaluate", loaded.status());
    entries = loaded->has_test_set ? loaded->test : loaded->train;
  }
  if (entries.empty()) return ReportError("evaluate", InvalidInput("the evaluation set has no images"));
  const LabelCounts counts = CountLabels(entries);
  if (!quiet && !CheckTestDatasetMinimums(counts).ok()) {
    std::fprintf(stderr,
                 "warning: %d normal and %d anomalous images are fewer than the 10 of each Lookout required "
                 "of a test set; the metrics are noisy\n",
                 counts.normal, counts.anomaly);
  }
  auto backend = ParseBackendOptions(*cl);
  if (!backend.ok()) return ReportError("evaluate", backend.status());
  auto detector = LoadDetector(cl->positional[0], cl->Get("backbone"), *backend);
  if (!detector.ok()) return ReportError("evaluate", detector.status());
  auto run = EvaluateEntries(**detector, entries, quiet);
  if (!run.ok()) return ReportError("evaluate", run.status());
  const EvaluationMetrics& metrics = run->metrics;
  EvaluationDetails details;
  details.model_arn = cl->positional[0];
  details.end_timestamp = NowIso8601();
  details.training_images = (*detector)->model().stats.normal_images + (*detector)->model().stats.anomaly_images;
  const Status wrote = WriteEvaluation(metrics, details, entries, run->images, cl->Get("output"),
                                       cl->Get("evaluation-manifest"), quiet);
  if (!wrote.ok()) return ReportError("evaluate", wrote);
  std::printf("%s\n", EvaluationResultJson(metrics, details).c_str());
  return kExitOk;
}

}  // namespace anomalens
