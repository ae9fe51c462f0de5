// anomalens detect: one DetectAnomalyResult JSON line per image on stdout.
#include <cstdio>

#include "core/detector.h"
#include "core/image_decode.h"
#include "core/model_file.h"
#include "core/result_json.h"
#include "native/backbone_loader.h"
#include "native/cli_args.h"
#include "native/cli_common.h"
#include "native/file_io.h"

namespace anomalens {
namespace {

constexpr const char* kUsage = R"(usage:
  anomalens detect MODEL IMAGE... [--content-type image/png|image/jpeg] [--backbone FILE]

Prints one DetectAnomalies result per image, one JSON line each, in Lookout
for Vision's shape:
  {"DetectAnomalyResult":{"Source":{"Type":"direct"},"IsAnomalous":true,"Confidence":0.98}}

--content-type declares every image's type and is checked against its bytes,
as DetectAnomalies does; without it the type is taken from the bytes.
Images: PNG or JPEG, 64 to 4096 px a side, at most 8 MB.
An image that fails prints its error on stderr; the others still print.
Exit codes: 0 ok, 2 bad usage or invalid input (any image), 1 other failures.
)";

}  // namespace

int RunDetect(int argc, char** argv) {
  auto cl = ParseCommandLine(argc, argv, 2, {{"content-type", true}, {"backbone", true}});
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
  auto detector = LoadDetector(cl->positional[0], cl->Get("backbone"));
  if (!detector.ok()) return ReportError("detect", detector.status());

  int exit_code = kExitOk;
  for (size_t i = 1; i < cl->positional.size(); ++i) {
    const std::string& path = cl->positional[i];
    auto image = LoadImageFile(path, content_type);
    StatusOr<DetectAnomalyResult> result = image.ok() ? (*detector)->DetectImage(*image)
                                                      : StatusOr<DetectAnomalyResult>(image.status());
    if (!result.ok()) {
      const int code = ReportError("detect", result.status());
      if (exit_code == kExitOk || code == kExitBadInput) exit_code = code;
      continue;
    }
    std::printf("%s\n", DetectAnomalyResultJson(*result).c_str());
    std::fflush(stdout);
  }
  return exit_code;
}

}  // namespace anomalens
