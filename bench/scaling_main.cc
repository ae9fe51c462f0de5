// anomalens_scaling: one step of the scaling benchmark (bench/scaling), run
// in its own process so its peak memory can be measured alone.
//
//   anomalens_scaling train  --size WxH --model OUT.anlm   # 10 normal synthetic images, scale 1
//   anomalens_scaling detect --size WxH --model IN.anlm    # one anomalous synthetic image
#include <cstdio>
#include <string>

#include "core/model/detector.h"
#include "core/model/model_file.h"
#include "core/model/trainer.h"
#include "core/synthetic/synthetic_dataset.h"
#include "native/cli/command_line.h"
#include "native/jobs/evaluation_job.h"
#include "native/jobs/file_io.h"
#include "native/jobs/model_loader.h"

namespace anomalens {
namespace {

constexpr int kTrainingImages = 10;

int Run(int argc, char** argv) {
  if (argc < 2) return ReportError("scaling", InvalidInput("usage: anomalens_scaling train|detect --size WxH --model FILE"));
  const std::string phase = argv[1];
  auto cl = ParseCommandLine(argc, argv, 2, {{"size", true}, {"model", true}});
  if (!cl.ok()) return ReportError("scaling", cl.status());
  const std::string size = cl->Get("size");
  SyntheticOptions scene;
  if (std::sscanf(size.c_str(), "%dx%d", &scene.width, &scene.height) != 2 || scene.width < 64 ||
      scene.height < 64 || scene.width > 4096 || scene.height > 4096) {
    return ReportError("scaling", InvalidInput("--size must be WxH, 64 to 4096 px a side"));
  }
  auto backbone = LoadBackbone("");
  if (!backbone.ok()) return ReportError("scaling", backbone.status());
  if (phase == "train") {
    ModelConfig config;
    config.short_side = std::min(scene.width, scene.height);  // scale 1: full resolution
    Trainer trainer(*backbone, config);
    for (int i = 0; i < kTrainingImages; ++i) {
      const Status s = trainer.AddImage(GenerateSyntheticSample(5, i, false, scene).image, ImageLabel::kNormal);
      if (!s.ok()) return ReportError("scaling", s);
    }
    auto model = trainer.Finish();
    if (!model.ok()) return ReportError("scaling", model.status());
    const Status s = WriteFileAtomic(cl->Get("model"), SerializeModel(*model));
    return s.ok() ? kExitOk : ReportError("scaling", s);
  }
  if (phase == "detect") {
    auto detector = LoadDetector(cl->Get("model"), "");
    if (!detector.ok()) return ReportError("scaling", detector.status());
    scene.defect_area_fraction = 0.001;
    auto result = (*detector)->DetectImage(GenerateSyntheticSample(5, 100, true, scene).image);
    if (!result.ok()) return ReportError("scaling", result.status());
    return kExitOk;
  }
  return ReportError("scaling", InvalidInput("phase must be train or detect"));
}

}  // namespace
}  // namespace anomalens

int main(int argc, char** argv) { return anomalens::Run(argc, argv); }
