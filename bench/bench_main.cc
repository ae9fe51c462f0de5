// anomalens_bench: backbone and end-to-end DetectAnomalies timings on one
// thread, printed as a table and written as JSON.
//
//   anomalens_bench --model MODEL --image IMAGE [--iterations 20] [--json OUT.json]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/feature_extractor.h"
#include "core/image_decode.h"
#include "core/result_json.h"
#include "native/cli_args.h"
#include "native/backbone_loader.h"
#include "native/cli_common.h"
#include "native/file_io.h"

namespace anomalens {
namespace {

template <typename F>
double MedianMilliseconds(int iterations, F&& body) {
  std::vector<double> ms;
  body();  // warm-up: first-touch allocations and caches
  for (int i = 0; i < iterations; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    body();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

int Run(int argc, char** argv) {
  auto cl = ParseCommandLine(argc, argv, 1, {{"model", true}, {"image", true}, {"iterations", true}, {"json", true}});
  if (!cl.ok()) return ReportError("bench", cl.status());
  if (!cl->Has("model") || !cl->Has("image")) {
    std::fputs("usage: anomalens_bench --model MODEL --image IMAGE [--iterations 20] [--json OUT.json]\n", stderr);
    return kExitBadInput;
  }
  auto iterations = cl->GetNumber("iterations", 20, 1, 10000);
  if (!iterations.ok()) return ReportError("bench", iterations.status());
  auto detector = LoadDetector(cl->Get("model"), "");
  if (!detector.ok()) return ReportError("bench", detector.status());
  auto bytes = ReadFile(cl->Get("image"), ImageLimits{}.max_bytes);
  if (!bytes.ok()) return ReportError("bench", bytes.status());
  auto image = DecodeImage(*bytes, "");
  if (!image.ok()) return ReportError("bench", image.status());
  auto backbone = LoadBackbone("");
  if (!backbone.ok()) return ReportError("bench", backbone.status());

  const Model& model = (*detector)->model();
  const WorkingGeometry geometry = PlanGeometry({image->width, image->height}, model.scale, MobileNetV2::kInputMultiple);
  const int n = static_cast<int>(*iterations);
  // Backbone and patch features over every tile, as detection runs them.
  const double backbone_ms = MedianMilliseconds(
      n, [&] { (void)ExtractFeatures(**backbone, *image, geometry, model.layer_scales, model.config.tiling); });
  std::string json;
  const double detect_ms = MedianMilliseconds(n, [&] {
    json = DetectAnomalyResultJson(*(*detector)->Detect(*bytes, ""));
  });
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const double peak_mib = usage.ru_maxrss / 1024.0;

  std::printf("%-44s %10s\n", "measure (1 thread, median)", "value");
  std::printf("%-44s %10s\n", "image", (std::to_string(image->width) + "x" + std::to_string(image->height)).c_str());
  std::printf("%-44s %10s\n", "working size (padded)",
              (std::to_string(geometry.padded.width) + "x" + std::to_string(geometry.padded.height)).c_str());
  std::printf("%-44s %10.2f ms\n", "features (backbone over all tiles)", backbone_ms);
  std::printf("%-44s %10.2f ms\n", "DetectAnomalies end to end (decode to JSON)", detect_ms);
  std::printf("%-44s %10zu\n", "memory bank rows", model.bank_rows);
  std::printf("%-44s %10.1f MiB\n", "peak resident memory", peak_mib);
  if (cl->Has("json")) {
    nlohmann::ordered_json doc = {{"image_size", {image->width, image->height}},
                                  {"working_size", {geometry.padded.width, geometry.padded.height}},
                                  {"backbone_ms", backbone_ms},
                                  {"detect_ms", detect_ms},
                                  {"bank_rows", model.bank_rows},
                                  {"peak_rss_mib", peak_mib},
                                  {"iterations", n}};
    const Status s = WriteFileAtomic(cl->Get("json"), doc.dump(2) + "\n");
    if (!s.ok()) return ReportError("bench", s);
  }
  return kExitOk;
}

}  // namespace
}  // namespace anomalens

int main(int argc, char** argv) { return anomalens::Run(argc, argv); }
