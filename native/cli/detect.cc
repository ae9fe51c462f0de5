// anomalens detect: one DetectAnomalyResult JSON line per image on stdout.
#include <cstdio>
#include <set>
#include <string>

#include "core/image/image_decode.h"
#include "core/image/png_encode.h"
#include "core/lookout/result_json.h"
#include "core/model/detector.h"
#include "core/model/model_file.h"
#include "core/segmentation/overlay.h"
#include "native/cli/backend_options.h"
#include "native/cli/command_line.h"
#include "native/cli/commands.h"
#include "native/jobs/file_io.h"
#include "native/jobs/image_files.h"
#include "native/jobs/model_loader.h"

namespace anomalens {
namespace {

constexpr const char* kUsage = R"(usage:
  anomalens detect MODEL IMAGE... [--content-type image/png|image/jpeg] [--overlay OUT.png]
                   [--mask-dir DIR] [--backbone FILE] [--backend xnnpack|portable] [--threads N]
                   [--decoder libjpeg-turbo|stb] [--exact-search]

Prints one DetectAnomalies result per image, one JSON line each, in Lookout
for Vision's shape:
  {"DetectAnomalyResult":{"Source":{"Type":"direct"},"IsAnomalous":true,"Confidence":0.98}}

--content-type declares every image's type and is checked against its bytes,
as DetectAnomalies does; without it the type is taken from the bytes.
Segmentation models (trained from masks) add Lookout's "Anomalies" list and
"AnomalyMask" (a base64 PNG). --overlay writes the image with its defect
pixels tinted in their type's colour (segmentation models); with several
images, OUT-1.png, OUT-2.png, ... in argument order. --mask-dir DIR writes
each image's AnomalyMask PNG (the JSON's base64, decoded) as DIR/NAME-mask.png
for an image NAME.jpg or NAME.png (segmentation models; the folder is made if
missing); the JSON lines stay Lookout's exact answer.
--backend picks the backbone's engine: xnnpack (default) or portable (the
core's own kernels, which the wasm build runs and matches byte for byte);
--threads N its threads and the scoring's (default: the cores not busy).
--decoder picks the JPEG decoder: libjpeg-turbo (the xnnpack default: its
entropy decoding, stb's reconstruction, so the same pixels, faster) or stb
(the portable engine's, and the only one it takes).
--exact-search: the exact nearest-neighbour search on xnnpack. Without it, an
approximate one: a patch's distance may be a slightly farther row's (at most
1.5x; the same results on the measured datasets, docs/speed.md).
Images: PNG or JPEG, 64 to 4096 px a side, at most 8 MB.
An image that fails prints its error on stderr; the others still print.
Exit codes: 0 ok, 2 bad usage or invalid input (any image), 1 other failures.
)";

// "photos/part-7.jpg" -> "part-7": the image's file name without its extension.
std::string FileStem(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

// "out.png", 2 -> "out-2.png"
std::string NumberedPath(const std::string& path, size_t n) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  const size_t cut = dot != std::string::npos && (slash == std::string::npos || dot > slash) ? dot : path.size();
  return path.substr(0, cut) + "-" + std::to_string(n) + path.substr(cut);
}

// An image file at full size (stb), as a DecodedImage.
StatusOr<DecodedImage> LoadFullImage(const std::string& path, const std::string& content_type) {
  ASSIGN_OR_RETURN(RgbImage pixels, LoadImageFile(path, content_type));
  DecodedImage image;
  image.width = pixels.width;
  image.height = pixels.height;
  image.pixels = std::move(pixels);
  return image;
}

}  // namespace

int RunDetect(int argc, char** argv) {
  auto cl = ParseCommandLine(argc, argv, 2, {{"content-type", true}, {"overlay", true}, {"mask-dir", true}, {"backbone", true}, {"backend", true}, {"decoder", true}, {"exact-search", false}, {"threads", true}});
  if (!cl.ok()) {
    std::fputs(kUsage, stderr);
    return ReportError("detect", cl.status());
  }
  if (cl->Has("help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (cl->positional.size() < 2) {
    std::fputs(kUsage, stderr);
    return ReportError("detect", InvalidInput("give a MODEL and at least one IMAGE"));
  }
  const std::string content_type = cl->Get("content-type");
  if (cl->Has("content-type") && content_type != "image/png" && content_type != "image/jpeg") {
    return ReportError("detect", InvalidInput("--content-type must be image/png or image/jpeg, got '" + content_type + "'"));
  }
  auto backend = ParseBackendOptions(*cl);
  if (!backend.ok()) return ReportError("detect", backend.status());
  auto detector = LoadDetector(cl->positional[0], cl->Get("backbone"), *backend);
  if (!detector.ok()) return ReportError("detect", detector.status());

  const std::string overlay = cl->Get("overlay");
  const std::vector<AnomalyClass>& classes = (*detector)->model().segmentation.classes;
  if (!overlay.empty() && classes.empty()) {
    return ReportError("detect", InvalidInput("--overlay needs a segmentation model (one trained from masks); " +
                                              cl->positional[0] + " is a classification model"));
  }
  const std::string mask_dir = cl->Get("mask-dir");
  if (cl->Has("mask-dir") && mask_dir.empty()) return ReportError("detect", InvalidInput("--mask-dir needs a folder"));
  if (!mask_dir.empty()) {
    if (classes.empty()) {
      return ReportError("detect", InvalidInput("--mask-dir needs a segmentation model (one trained from masks); " +
                                                cl->positional[0] + " is a classification model, which has no mask"));
    }
    if (Status made = MakeDirectories(mask_dir); !made.ok()) return ReportError("detect", made);
  }
  // Mask files by image name; a name seen before gets its argument number.
  std::set<std::string> mask_names;
  const size_t images = cl->positional.size() - 1;
  int exit_code = kExitOk;
  for (size_t i = 1; i < cl->positional.size(); ++i) {
    const std::string& path = cl->positional[i];
    // The overlay is drawn on every pixel, so it needs the image at full
    // size; otherwise the detector's decoder may shrink a JPEG as it decodes.
    StatusOr<DecodedImage> image = overlay.empty() ? LoadImageFileFor(**detector, path, content_type)
                                                   : LoadFullImage(path, content_type);
    StatusOr<Detector::Analysis> analysis = image.ok() ? (*detector)->Analyze(*image, /*full_map=*/false)
                                                       : StatusOr<Detector::Analysis>(image.status());
    Status written = Status::Ok();
    if (analysis.ok() && !overlay.empty()) {
      const RgbImage blended = BlendOverlay(image->pixels, analysis->segmentation, classes);
      const std::vector<uint8_t> png = EncodePng(blended.pixels.data(), blended.width, blended.height, 3);
      written = WriteFileAtomic(images == 1 ? overlay : NumberedPath(overlay, i), png);
    }
    if (analysis.ok() && written.ok() && !mask_dir.empty()) {
      std::string name = FileStem(path) + "-mask.png";
      if (!mask_names.insert(name).second) name = FileStem(path) + "-" + std::to_string(i) + "-mask.png";
      mask_names.insert(name);
      written = WriteFileAtomic(JoinPath(mask_dir, name), analysis->result.anomaly_mask_png);
    }
    if (!analysis.ok() || !written.ok()) {
      const int code = ReportError("detect", analysis.ok() ? written : analysis.status());
      if (exit_code == kExitOk || code == kExitBadInput) exit_code = code;
      if (!analysis.ok()) continue;
    }
    std::printf("%s\n", DetectAnomalyResultJson(analysis->result).c_str());
    std::fflush(stdout);
  }
  return exit_code;
}

}  // namespace anomalens
