// anomalens_bench: native speed of one model on one image, printed as a
// table and written as JSON. Medians over --iterations runs after a warm-up.
//
//   anomalens_bench --model MODEL --image IMAGE [--backend xnnpack|portable] [--threads N]
//                   [--decoder stb|libjpeg-turbo] [--exact-search] [--cold-stages] [--iterations 20]
//                   [--json OUT.json]
//
// --cold-stages: each timed run of a stage starts with the core's caches
// filled with other data (16 MB read and written), as inside a detect, where
// each stage follows others that used the cache; without it a stage finds
// its inputs and the model's tables where its previous run left them.
//
// --decoder as detect takes it: libjpeg-turbo, the xnnpack default (its
// entropy decoding, then stb's reconstruction, at full size: the same pixels;
// native/engine/turbo_jpeg_decoder.h), or stb alone (the portable engine's).
// One build measures both.
//
// Measures (JSON keys; the headline ones also as *_best_ms, the fastest run,
// for machines shared with other work):
//   backbone_224_ms   the backbone alone on a 224x224 input: the network the
//                     peers run (bench/run); backbone_224_gflops is its
//                     arithmetic rate (2 flops a multiply-add)
//   backbone_ms       the backbone alone over the model's working-size tiles
//   detect_ms         DetectAnomalies end to end: image bytes to JSON
//   decoder           "stb" or "libjpeg-turbo"
//   search            "approximate" (the xnnpack default) or "exact"
//                     (--exact-search, or the portable engine)
//   stages            detect's parts, each timed alone on this image, as
//                     Detector::AnalyzeAt runs them: decode (with the resize
//                     to the working size when the decoder makes it while it
//                     decodes, as libjpeg-turbo's does), features (resize
//                     + backbone + patch features, and the stride-4 ones when
//                     the model reads them), nearest-neighbour search, anomaly
//                     map (upsample + smoothing + the image's score); for
//                     segmentation models (timed even when the image is
//                     normal, where detect skips them) the clean map, the
//                     defect head's probabilities and its gate (them
//                     upsampled, smoothed and multiplied in), the guided-
//                     filter refinement, the map at the image's size,
//                     segmentation, mask PNG; and json (the result's JSON)
//   backend, threads  the engine and thread count used (XNNPACK: backbone
//                     and nearest-neighbour search; portable: the core's own)
//   detect_cpu_ms, stages_cpu, stages_cpu_sum_ms: the calling thread's CPU
//                     time (medians) of detect and of each stage: at 1 thread
//                     all their work, and less disturbed than wall time on a
//                     loaded machine
//   bank_rows, anomaly_bank_rows, clean_bank_rows, queries: the searches' sizes
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/features/feature_extractor.h"
#include "core/features/tiling.h"
#include "core/image/image_decode.h"
#include "core/image/image_resize.h"
#include "core/lookout/result_json.h"
#include "core/model/dark_spot_channel.h"
#include "core/scoring/anomaly_map.h"
#include "core/segmentation/defect_head.h"
#include "core/segmentation/map_refinement.h"
#include "core/segmentation/segmentation.h"
#include "core/segmentation/segmentation_response.h"
#include "native/cli/backend_options.h"
#include "native/cli/command_line.h"
#include "native/engine/backend.h"
#include "native/jobs/evaluation_job.h"
#include "native/jobs/file_io.h"
#include "native/jobs/model_loader.h"

namespace anomalens {
namespace {

constexpr const char* kUsage =
    "usage: anomalens_bench --model MODEL --image IMAGE [--backend xnnpack|portable] [--threads N]\n"
    "                       [--decoder stb|libjpeg-turbo] [--exact-search] [--cold-stages] [--iterations 20]\n"
    "                       [--json OUT.json]\n"
    "--threads: threads for the backbone and scoring (default 1 here, for comparable numbers; 0: every core)\n";

struct Timing {
  double median_ms = 0;
  double best_ms = 0;  // the least disturbed run, for a machine shared with other work
  // The calling thread's CPU time (median): at 1 thread all the work, and
  // what other programs on a loaded machine disturb least.
  double cpu_median_ms = 0;
};

double ThreadCpuMilliseconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

// --cold-stages: before each timed run of a stage, this buffer is read and
// written through, so the stage finds its data out of the core's caches, as
// it does inside a detect, where the stages before it have just used them.
std::vector<char>* g_evict = nullptr;

void EvictCaches() {
  if (g_evict == nullptr) return;
  for (size_t i = 0; i < g_evict->size(); i += 64) (*g_evict)[i] += 1;
}

template <typename F>
Timing Time(int iterations, F&& body, bool cold = false) {
  std::vector<double> ms, cpu;
  body();  // warm-up: first-touch allocations, caches, XNNPACK runtimes for new sizes
  for (int i = 0; i < iterations; ++i) {
    if (cold) EvictCaches();
    const double c0 = ThreadCpuMilliseconds();
    const auto t0 = std::chrono::steady_clock::now();
    body();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    cpu.push_back(ThreadCpuMilliseconds() - c0);
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu.begin(), cpu.end());
  return {ms[ms.size() / 2], ms.front(), cpu[cpu.size() / 2]};
}

// Multiply-adds of the backbone on a height x width input, layer by layer.
double BackboneMultiplyAdds(const MobileNetV2& net, int height, int width) {
  int h = height / 2, w = width / 2, c = MobileNetV2::kStemChannels;
  double macs = double(h) * w * c * 3 * 3 * 3;  // the stem
  for (const MobileNetV2::Block& b : net.blocks()) {
    const int hidden = c * b.expansion;
    if (b.expansion != 1) macs += double(h) * w * c * hidden;
    h /= b.stride, w /= b.stride;
    macs += double(h) * w * hidden * 9 + double(h) * w * hidden * b.out_channels;
    c = b.out_channels;
  }
  return macs;
}

int Run(int argc, char** argv) {
  auto cl = ParseCommandLine(argc, argv, 1,
                             {{"model", true}, {"image", true}, {"iterations", true}, {"json", true}, {"backend", true},
                              {"threads", true}, {"decoder", true}, {"exact-search", false}, {"cold-stages", false}});
  if (!cl.ok()) {
    std::fputs(kUsage, stderr);
    return ReportError("bench", cl.status());
  }
  if (!cl->Has("model") || !cl->Has("image")) {
    std::fputs(kUsage, stderr);
    return kExitBadInput;
  }
  auto iterations = cl->GetNumber("iterations", 20, 1, 10000);
  if (!iterations.ok()) return ReportError("bench", iterations.status());
  auto options = ParseBackendOptions(*cl);
  if (!options.ok()) return ReportError("bench", options.status());
  if (!cl->Has("threads")) options->threads = 1;  // one thread unless asked: the comparisons are per thread
  auto backend = LoadBackend("", *options);
  if (!backend.ok()) return ReportError("bench", backend.status());
  auto model_bytes = ReadFile(cl->Get("model"), size_t{1} << 31);
  if (!model_bytes.ok()) return ReportError("bench", model_bytes.status());
  const std::string decoder_name = backend->jpeg.decode ? "libjpeg-turbo" : "stb";
  auto loaded = Detector::Create(*model_bytes, backend->backbone, backend->parallel, backend->search, backend->jpeg);
  if (!loaded.ok()) return ReportError("bench", Status(loaded.status().code(), cl->Get("model") + ": " + loaded.status().message()));
  const Detector& detector = **loaded;
  auto bytes = ReadFile(cl->Get("image"), ImageLimits{}.max_bytes);
  if (!bytes.ok()) return ReportError("bench", bytes.status());
  auto image = DecodeImage(*bytes, "");
  if (!image.ok()) return ReportError("bench", image.status());
  // As detect decodes it (the engine's JPEG decoder, at full size).
  auto decoded = detector.Decode(*bytes, "");
  if (!decoded.ok()) return ReportError("bench", decoded.status());
  auto net = LoadBackbone("");  // the architecture, to count multiply-adds
  if (!net.ok()) return ReportError("bench", net.status());

  const Backbone& backbone = *backend->backbone;
  const Model& model = detector.model();
  const WorkingGeometry geometry = PlanGeometry({image->width, image->height}, model.scale, MobileNetV2::kInputMultiple);
  const int n = static_cast<int>(*iterations);

  // The backbone alone: a 224x224 input, then the model's tiles.
  const Tensor square = BackboneInputRegion(ResizeImage(*image, 224, 224), 0, 0, 224, 224);
  const Timing backbone_224 = Time(n, [&] { (void)backbone.Run(square); });
  const double backbone_224_ms = backbone_224.median_ms;
  const double macs_224 = BackboneMultiplyAdds(**net, 224, 224);
  const RgbImage resized = ResizeImage(*image, geometry.content.width, geometry.content.height);
  const TileAxis xs = PlanTileAxis(geometry.padded.width, model.config.tiling.tile, model.config.tiling.overlap,
                                   MobileNetV2::kInputMultiple);
  const TileAxis ys = PlanTileAxis(geometry.padded.height, model.config.tiling.tile, model.config.tiling.overlap,
                                   MobileNetV2::kInputMultiple);
  std::vector<Tensor> tiles;
  for (size_t ty = 0; ty < ys.start.size(); ++ty)
    for (size_t tx = 0; tx < xs.start.size(); ++tx)
      tiles.push_back(BackboneInputRegion(resized, xs.start[tx], ys.start[ty], xs.length[tx], ys.length[ty]));
  const bool stride4 = model.normal_model == NormalModelKind::kPerPosition && model.position.stride == 4;
  const Timing backbone_tiles = Time(n, [&] {
    for (const Tensor& t : tiles) (void)backbone.Run(t, stride4);
  });
  const double backbone_ms = backbone_tiles.median_ms;

  // Twice the core's cache (L2 here: 2 - 4 MB a core on the machines measured).
  std::vector<char> evict(16 << 20);
  if (cl->Has("cold-stages")) g_evict = &evict;

  // End to end, as DetectAnomalies runs it.
  std::string json;
  const Timing detect = Time(n, [&] { json = DetectAnomalyResultJson(*detector.Detect(*bytes, "")); });
  const double detect_ms = detect.median_ms;

  // Detect's stages, each alone (and the searches' thread CPU time).
  nlohmann::ordered_json stages, stages_cpu;
  // A stage's median wall time, and its thread CPU time (less disturbed by
  // other work on a shared machine; at 1 thread all of the stage's work).
  const auto stage = [&](const char* name, auto&& body) {
    const Timing t = Time(n, body, /*cold=*/true);
    stages[name] = t.median_ms;
    stages_cpu[name] = t.cpu_median_ms;
  };
  stage("decode_ms", [&] { (void)detector.Decode(*bytes, ""); });
  // As AnalyzeAt runs them: the resize to the working size on the
  // platform's threads, then the backbone, with the stride-4 taps when the
  // model reads them (a per-position model at stride 4, a fine defect head).
  const ParallelFor& parallel = backend->parallel;
  const SegmentationModel& seg = model.segmentation;
  const bool per_position = model.normal_model == NormalModelKind::kPerPosition;
  const bool fine_head = !per_position && seg.head.dim() == kFineDefectHeadInputs;
  const bool fine_taps = stride4 || fine_head;
  PatchGrid grid, fine;
  RgbImage working;
  // (A decoder that resizes as it decodes, the libjpeg-turbo one, leaves
  // the features the backbone and taps: its resize is in decode_ms.)
  const bool resized_by_decoder = !decoded->resized.pixels.empty();
  stage("features_ms", [&] {
    working = resized_by_decoder
                  ? decoded->resized
                  : ResizeImage(decoded->pixels, geometry.content.width, geometry.content.height, parallel);
    grid = *ExtractFeatures(backbone, working, geometry, model.layer_scales, model.config.tiling,
                            fine_taps ? &fine : nullptr);
  });
  if (!model.dark_spots.empty()) {  // the dark-spot channel (core/model/dark_spot_channel.h)
    PatchGrid spots;
    stage("dark_spot_features_ms", [&] { spots = DarkSpotGrid(model.dark_spots, decoded->pixels, geometry); });
    stage("dark_spot_scores_ms", [&] {
          const DarkSpotChannel& c = model.dark_spots;
          (void)(c.bank.empty() ? PositionScores(c.position, spots) : PositionBankScores(c.bank, spots));
        });
  }
  if (model.normal_model != NormalModelKind::kPerPosition) {
    // The searches on the engine detect uses (XNNPACK's or the portable index).
    const auto search = [&](const std::vector<float>& rows) {
      auto s = BuildNearestNeighborSearch(backend->search, rows.data(), rows.size() / model.feature_dim,
                                          model.feature_dim, backend->parallel);
      if (!s.ok()) {
        std::fprintf(stderr, "bench: %s\n", s.status().message().c_str());
        std::exit(kExitFailure);
      }
      return std::move(s).value();
    };
    const auto bank = search(model.bank);
    const auto anomalies = search(model.anomaly_bank);
    const auto clean = search(model.segmentation.clean_bank);
    std::vector<float> d, da, dc;
    const Timing searches = Time(n, [&] {
      d = bank->MinDistances(grid.data.data(), grid.cells());
      if (anomalies->size()) da = anomalies->MinDistances(grid.data.data(), grid.cells());
    }, /*cold=*/true);
    stages["nearest_neighbour_ms"] = searches.median_ms;
    stages_cpu["nearest_neighbour_ms"] = searches.cpu_median_ms;
    if (clean->size()) {
      const Timing clean_search = Time(
          n, [&] { dc = clean->MinDistancesWithin(grid.data.data(), grid.cells(), d.data()); }, /*cold=*/true);
      stages["clean_bank_search_ms"] = clean_search.median_ms;
      stages_cpu["clean_bank_search_ms"] = clean_search.cpu_median_ms;
    }
    // The image's map and its score (ScorePatchGrid's work after the
    // searches), then, for an anomalous image of a segmentation model, the
    // map its defects are cut from, on the nearer of the normal and clean
    // banks' distances.
    AnomalyMap map;
    stage("anomaly_map_ms", [&] {
      map = BuildAnomalyMap(d, grid.width, grid.height, geometry, model.config.smoothing_sigma, parallel);
      (void)map.ContentMax();
    });
    if (!dc.empty()) {
      stage("clean_map_ms", [&] {
        map = BuildAnomalyMap(dc, grid.width, grid.height, geometry, model.config.smoothing_sigma, parallel);
      });
    }
    if (seg.enabled() && seg.head.enabled()) {  // issue 19's defect head gates the map
      const PatchGrid& head_grid = fine_head ? fine : grid;
      std::vector<float> probabilities;
      stage("defect_head_ms", [&] {
        probabilities = CellDefectProbabilities(seg.head, grid, fine_head ? &fine : nullptr, d, da, dc, parallel);
      });
      const AnomalyMap ungated = map;
      stage("defect_head_gate_ms", [&] {
        map = ungated;
        GateByDefectProbabilities(probabilities, head_grid.width, head_grid.height, model.config.smoothing_sigma,
                                  &map, parallel);
      });
    }
    if (seg.enabled() && seg.refinement.enabled()) {  // the guided filter, the working image its guide
      const AnomalyMap unrefined = map;
      stage("refinement_ms", [&] {
        map = unrefined;
        RefineMap(seg.refinement, WorkingGuide(working, geometry, parallel), &map, parallel);
      });
    }
    if (seg.enabled()) {
      std::vector<float> original;
      stage("map_to_image_size_ms", [&] { original = map.ToOriginal(parallel); });
      Segmentation segmentation;
      stage("segmentation_ms", [&] { segmentation = SegmentAnomalies(original, grid, geometry, seg, parallel); });
      stage("mask_png_ms", [&] { (void)EncodeAnomalyMask(segmentation, seg.classes, parallel); });
    }
  }
  {
    const DetectAnomalyResult result = *detector.Detect(*bytes, "");
    stage("json_ms", [&] { json = DetectAnomalyResultJson(result); });
  }
  double stages_sum_ms = 0;
  for (const auto& [name, value] : stages.items()) stages_sum_ms += value.get<double>();
  double stages_cpu_sum_ms = 0;
  for (const auto& [name, value] : stages_cpu.items()) stages_cpu_sum_ms += value.get<double>();
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const double peak_mib = usage.ru_maxrss / 1024.0;
  const double gflops_224 = 2 * macs_224 / (backbone_224_ms * 1e6);

  const std::string title = "measure (" + backend->name + ", " + std::to_string(backend->threads) + " thread" +
                            (backend->threads == 1 ? "" : "s") + ", median)";
  std::printf("%-46s %10s\n", title.c_str(), "value");
  std::printf("%-46s %10s\n", "image", (std::to_string(image->width) + "x" + std::to_string(image->height)).c_str());
  std::printf("%-46s %10s\n", ("decoded by " + decoder_name).c_str(),
              (std::to_string(decoded->pixels.width) + "x" + std::to_string(decoded->pixels.height)).c_str());
  const std::string search_name =
      backend->name == "portable" || options->exact_search ? "exact" : "approximate";
  std::printf("%-46s %10s\n", "nearest-neighbour search", search_name.c_str());
  std::printf("%-46s %10s\n", "working size (padded)",
              (std::to_string(geometry.padded.width) + "x" + std::to_string(geometry.padded.height)).c_str());
  std::printf("%-46s %10.2f ms  (best %.2f; %.1f GFLOP/s, %.0f M multiply-adds)\n", "backbone at 224x224",
              backbone_224_ms, backbone_224.best_ms, gflops_224, macs_224 / 1e6);
  std::printf("%-46s %10.2f ms  (best %.2f; %zu tile%s)\n", "backbone at the working size", backbone_ms,
              backbone_tiles.best_ms, tiles.size(), tiles.size() == 1 ? "" : "s");
  std::printf("%-46s %10.2f ms  (best %.2f)\n", "DetectAnomalies end to end (decode to JSON)", detect_ms,
              detect.best_ms);
  for (const auto& [name, value] : stages.items()) {
    std::printf("  %-44s %10.2f ms\n", name.substr(0, name.size() - 3).c_str(), value.get<double>());
  }
  std::printf("  %-44s %10.2f ms\n", "(sum of the stages)", stages_sum_ms);
  std::printf("%-46s %10.2f ms  (stages: %.2f)\n", "thread CPU time: detect", detect.cpu_median_ms,
              stages_cpu_sum_ms);
  const size_t clean_bank_rows = model.segmentation.clean_bank.size() / model.feature_dim;
  std::printf("%-46s %10zu\n", "memory bank rows", model.bank_rows);
  std::printf("%-46s %10zu\n", "anomaly bank rows", model.anomaly_bank_rows);
  if (clean_bank_rows) std::printf("%-46s %10zu\n", "clean bank rows", clean_bank_rows);
  std::printf("%-46s %10zu\n", "queries (patches searched)", grid.cells());
  std::printf("%-46s %10.1f MiB\n", "peak resident memory", peak_mib);
  if (cl->Has("json")) {
    nlohmann::ordered_json doc = {{"backend", backend->name},
                                  {"threads", backend->threads},
                                  {"decoder", decoder_name},
                                  {"search", search_name},
                                  {"decoded_size", {decoded->pixels.width, decoded->pixels.height}},
                                  {"image_size", {image->width, image->height}},
                                  {"working_size", {geometry.padded.width, geometry.padded.height}},
                                  {"backbone_224_ms", backbone_224_ms},
                                  {"backbone_224_best_ms", backbone_224.best_ms},
                                  {"backbone_224_multiply_adds", macs_224},
                                  {"backbone_224_gflops", gflops_224},
                                  {"backbone_ms", backbone_ms},
                                  {"backbone_best_ms", backbone_tiles.best_ms},
                                  {"backbone_tiles", tiles.size()},
                                  {"detect_ms", detect_ms},
                                  {"detect_cpu_ms", detect.cpu_median_ms},
                                  {"detect_best_ms", detect.best_ms},
                                  {"stages", stages},
                                  {"stages_cpu", stages_cpu},
                                  {"stages_sum_ms", stages_sum_ms},
                                  {"stages_cpu_sum_ms", stages_cpu_sum_ms},
                                  {"bank_rows", model.bank_rows},
                                  {"anomaly_bank_rows", model.anomaly_bank_rows},
                                  {"clean_bank_rows", clean_bank_rows},
                                  {"queries", grid.cells()},
                                  {"peak_rss_mib", peak_mib},
                                  {"cold_stages", cl->Has("cold-stages")},
                                  {"iterations", n}};
    const Status s = WriteFileAtomic(cl->Get("json"), doc.dump(2) + "\n");
    if (!s.ok()) return ReportError("bench", s);
  }
  return kExitOk;
}

}  // namespace
}  // namespace anomalens

int main(int argc, char** argv) { return anomalens::Run(argc, argv); }
