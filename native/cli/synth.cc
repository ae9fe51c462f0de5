// anomalens synth: writes the synthetic inspection set as PNG files and
// Lookout manifests, the default data when ../shared is not there.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/image/png_encode.h"
#include "core/synthetic/scene.h"
#include "core/synthetic/synthetic_dataset.h"
#include "native/cli/command_line.h"
#include "native/cli/commands.h"
#include "native/cli/synth_scene.h"
#include "native/jobs/file_io.h"

#include <sys/stat.h>

namespace anomalens {
namespace {

constexpr const char* kUsage = R"(usage:
  anomalens synth --output DIR [--seed N] [--train-normal 24] [--train-anomaly 10]
                  [--test-normal 10] [--test-anomaly 10]
                  [--width 320] [--height 240] [--defect-area FRACTION]
  anomalens synth --scene NAME|all --output DIR [--seed N] [--train-normal N]
                  [--test-normal N] [--test-anomaly N]

Writes a synthetic inspection dataset: images/*.png (a machined plate; the
anomalous ones carry a scratch, dent or stain), masks/*.png (the defect in its
class colour on a transparent background) and train.manifest / test.manifest
in Lookout's format, paths relative to DIR. The same seed writes the same bytes.
--width/--height scale the whole scene (64 to 4096 px); --defect-area gives
every defect one round shape covering that fraction of the image (0.0005 is
0.05%), for small-defect tests.

--scene writes one of the varied synthetic scenes instead, as an MVTec folder
(train/good with normal images only; test/good, test/DEFECT and
ground_truth/DEFECT/NNN_mask.png), for `train --dataset DIR`; `all` writes
every scene into DIR/NAME. The counts default to each scene's own (32 normal
training images, 16 normal and 16 anomalous test images). Scenes:
%SCENES%
Exit codes: 0 ok, 2 bad usage, 1 other failures.
)";

// Class colours for the masks' internal-color-map.
struct DefectColor { const char* name; uint32_t rgb; const char* hex; };
constexpr DefectColor kColors[] = {{"scratch", 0xE6194B, "#E6194B"}, {"dent", 0x3CB44B, "#3CB44B"},
                                   {"stain", 0x4363D8, "#4363D8"}};

Status MakeDirectory(const std::string& path) {
  if (IsDirectory(path)) return Status::Ok();
  if (::mkdir(path.c_str(), 0755) != 0) return InvalidInput("cannot create folder '" + path + "'");
  return Status::Ok();
}

StatusOr<std::string> WriteSample(const std::string& dir, const std::string& name, const SyntheticSample& s) {
  const std::string image_ref = "images/" + name + ".png";
  const std::vector<uint8_t> png = EncodePng(s.image.pixels.data(), s.image.width, s.image.height, 3);
  RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, image_ref), png));
  nlohmann::ordered_json line;
  line["source-ref"] = image_ref;
  line["anomaly-label"] = s.anomalous ? 1 : 0;
  line["anomaly-label-metadata"] = {{"class-name", s.anomalous ? "anomaly" : "normal"},
                                    {"human-annotated", "yes"},
                                    {"type", "groundtruth/image-classification"},
                                    {"job-name", "anomaly-label"}};
  if (s.anomalous) {
    const DefectColor* color = &kColors[0];
    for (const DefectColor& c : kColors)
      if (s.defect == c.name) color = &c;
    std::vector<uint8_t> rgba(s.mask.size() * 4, 0);
    for (size_t i = 0; i < s.mask.size(); ++i) {
      if (!s.mask[i]) continue;
      rgba[i * 4 + 0] = static_cast<uint8_t>(color->rgb >> 16);
      rgba[i * 4 + 1] = static_cast<uint8_t>(color->rgb >> 8);
      rgba[i * 4 + 2] = static_cast<uint8_t>(color->rgb);
      rgba[i * 4 + 3] = 255;
    }
    const std::string mask_ref = "masks/" + name + ".png";
    RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, mask_ref), EncodePng(rgba.data(), s.image.width, s.image.height, 4)));
    line["anomaly-mask-ref"] = mask_ref;
    line["anomaly-mask-ref-metadata"] = {
        {"internal-color-map", {{"0", {{"class-name", color->name}, {"hex-color", color->hex}}}}},
        {"type", "groundtruth/semantic-segmentation"},
        {"human-annotated", "yes"},
        {"job-name", "labeling-job/object-mask-ref"}};
  }
  return line.dump();
}

// The usage text with each scene's name and description.
std::string Usage() {
  std::string scenes;
  for (const Scene& s : Scenes()) scenes += "  " + std::string(s.name) + ": " + s.description + "\n";
  std::string usage = kUsage;
  const std::string marker = "%SCENES%\n";
  return usage.replace(usage.find(marker), marker.size(), scenes);
}

int RunSceneSynth(const CommandLine& cl) {
  for (const char* pinned : {"train-anomaly", "width", "height", "defect-area"}) {
    if (cl.Has(pinned)) {
      return ReportError("synth", InvalidInput(std::string("--") + pinned +
                                               " applies to the plate set, not to --scene (scenes train on normal "
                                               "images only, at their own sizes)"));
    }
  }
  const std::string name = cl.Get("scene");
  std::vector<const Scene*> scenes;
  if (name == "all") {
    for (const Scene& s : Scenes()) scenes.push_back(&s);
  } else if (const Scene* s = FindScene(name)) {
    scenes.push_back(s);
  } else {
    return ReportError("synth", InvalidInput("unknown scene '" + name + "'; the scenes are: " + SceneNames() + ", or all"));
  }
  auto seed = cl.GetNumber("seed", 1, 0, 1e15);
  if (!seed.ok()) return ReportError("synth", seed.status());
  const std::string dir = cl.Get("output");
  for (const Scene* scene : scenes) {
    SceneCounts counts;
    int* fields[3] = {&counts.train_normal, &counts.test_normal, &counts.test_anomalous};
    const char* options[3] = {"train-normal", "test-normal", "test-anomaly"};
    const int defaults[3] = {scene->train_normal, scene->test_normal, scene->test_anomalous};
    for (int i = 0; i < 3; ++i) {
      auto v = cl.GetNumber(options[i], defaults[i], 0, 10000);
      if (!v.ok()) return ReportError("synth", v.status());
      *fields[i] = static_cast<int>(*v);
    }
    const std::string out = name == "all" ? JoinPath(dir, scene->name) : dir;
    auto written = WriteSceneDataset(*scene, static_cast<uint64_t>(*seed), counts, out);
    if (!written.ok()) return ReportError("synth", written.status());
    std::fprintf(stderr, "synth: wrote scene %s: %d training and %d test images (MVTec layout) to %s\n", scene->name,
                 counts.train_normal, counts.test_normal + counts.test_anomalous, out.c_str());
  }
  return kExitOk;
}

}  // namespace

int RunSynth(int argc, char** argv) {
  auto cl = ParseCommandLine(argc, argv, 2,
                             {{"output", true}, {"seed", true}, {"train-normal", true}, {"train-anomaly", true},
                              {"test-normal", true}, {"test-anomaly", true}, {"width", true}, {"height", true},
                              {"defect-area", true}, {"scene", true}});
  if (!cl.ok()) {
    std::fputs(Usage().c_str(), stderr);
    return ReportError("synth", cl.status());
  }
  if (cl->Has("help")) {
    std::fputs(Usage().c_str(), stdout);
    return kExitOk;
  }
  if (!cl->Has("output")) {
    std::fputs(Usage().c_str(), stderr);
    return ReportError("synth", InvalidInput("--output DIR is required"));
  }
  if (cl->Has("scene")) return RunSceneSynth(*cl);
  int counts[4];
  const char* names[4] = {"train-normal", "train-anomaly", "test-normal", "test-anomaly"};
  const int defaults[4] = {24, 10, 10, 10};
  for (int i = 0; i < 4; ++i) {
    auto v = cl->GetNumber(names[i], defaults[i], 0, 10000);
    if (!v.ok()) return ReportError("synth", v.status());
    counts[i] = static_cast<int>(*v);
  }
  auto seed = cl->GetNumber("seed", 1, 0, 1e15);
  if (!seed.ok()) return ReportError("synth", seed.status());
  SyntheticOptions options;
  auto width = cl->GetNumber("width", options.width, 64, 4096);
  if (!width.ok()) return ReportError("synth", width.status());
  auto height = cl->GetNumber("height", options.height, 64, 4096);
  if (!height.ok()) return ReportError("synth", height.status());
  auto area = cl->GetNumber("defect-area", 0, 0, 0.05);
  if (!area.ok()) return ReportError("synth", area.status());
  options.width = static_cast<int>(*width);
  options.height = static_cast<int>(*height);
  options.defect_area_fraction = *area;

  const std::string dir = cl->Get("output");
  for (const std::string& d : {dir, JoinPath(dir, "images"), JoinPath(dir, "masks")}) {
    const Status made = MakeDirectory(d);
    if (!made.ok()) return ReportError("synth", made);
  }
  // Training and test samples come from disjoint index ranges of one stream.
  int next_index[2] = {0, 0};
  for (int set = 0; set < 2; ++set) {
    std::string manifest;
    for (int anomalous = 0; anomalous < 2; ++anomalous) {
      const int count = counts[set * 2 + anomalous];
      for (int i = 0; i < count; ++i) {
        const int index = next_index[anomalous]++;
        const SyntheticSample s = GenerateSyntheticSample(static_cast<uint64_t>(*seed), index, anomalous, options);
        const std::string name = std::string(anomalous ? "anomaly-" : "normal-") + std::to_string(index + 1);
        auto line = WriteSample(dir, name, s);
        if (!line.ok()) return ReportError("synth", line.status());
        manifest += *line + "\n";
      }
    }
    const std::string path = JoinPath(dir, set == 0 ? "train.manifest" : "test.manifest");
    const Status wrote = WriteFileAtomic(path, manifest);
    if (!wrote.ok()) return ReportError("synth", wrote);
  }
  std::fprintf(stderr, "synth: wrote %d training and %d test images with manifests to %s\n", counts[0] + counts[1],
               counts[2] + counts[3], dir.c_str());
  return kExitOk;
}

}  // namespace anomalens
