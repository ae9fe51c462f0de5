// anomalens synth-defects: pastes the self-check's synthetic defects
// (core/selfcheck) into normal images and writes each with its mask and an
// index, so that a person can look at what the self-check tests a model on.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/image/png_encode.h"
#include "core/selfcheck/synthetic_defect.h"
#include "native/cli/command_line.h"
#include "native/cli/commands.h"
#include "native/jobs/file_io.h"
#include "native/jobs/image_files.h"

namespace anomalens {
namespace {

constexpr const char* kUsage = R"(usage:
  anomalens synth-defects IMAGE... --output DIR [--seed N] [--count N] [--few-pixel N]
                          [--family NAME|all]

Pastes synthetic defects, the self-check's, into normal images (PNG or JPEG)
and writes, in DIR, each example as NAME-NN-FAMILY.png, its mask (255 on the
defect's pixels, 0 elsewhere) as NAME-NN-FAMILY-mask.png, and index.csv: one
line per example with its family, variant, area asked and owned, contrast,
seed, bounding box and, for few-pixel ones, area_pixels (0 for the others).
Only the pixels of the mask differ from the input.

  --seed N      the planner's seed, 0 to 2^53 - 1 (default 1); the same seed
                and images write the same bytes, here and in the npm package
  --count N     defects per image, 1 to 1000 (default 7: one per family)
  --few-pixel N few-pixel defects per image on top, 0 to 1000 (default 0):
                the self-check's class of 7 to 50 px (pinholes, specks,
                tiny bites), contrast 1 or 0.6, numbered after the others
  --family F    all (default) or one of: spot, scratch, cutpaste, texture,
                local-change, missing-piece, foreign-material. The texture
                family takes its
                texture from the next IMAGE, so it needs two images at least;
                with one, 'all' leaves it out.

Sizes run log-evenly from 0.01% to 2% of the image, contrasts 0.15 (faint),
0.3, 0.6 and 1. The self-check plans, with seed 1579140332 over all
families, 42 defects and 14 few-pixel ones; with two images,
  anomalens synth-defects A.png B.png --output DIR --seed 1579140332 \
      --count 21 --few-pixel 7
writes those same 56 plans (pasted into A and B, not the training images).
docs/selfcheck.md describes the families.
Exit codes: 0 ok, 2 bad usage or input, 1 other failures.
)";

// The file name without its folder and extension.
std::string Stem(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  if (dot != std::string::npos && dot > 0) name = name.substr(0, dot);
  return name;
}

// A CSV field: quoted when it holds a comma, quote or line break.
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// A whole-number option within [min, max] (the shared GetNumber prints its
// limits as decimals, "1.000000", which reads badly for counts and seeds).
StatusOr<uint64_t> GetInteger(const CommandLine& cl, const std::string& name, uint64_t fallback, uint64_t min,
                              uint64_t max, const std::string& max_text) {
  if (!cl.values.count(name)) return fallback;
  const std::string text = cl.Get(name);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v >= static_cast<double>(min) && v <= static_cast<double>(max)) ||
      v != std::floor(v)) {
    return InvalidInput("--" + name + " must be a whole number from " + std::to_string(min) + " to " + max_text +
                        ", got '" + text + "'");
  }
  return static_cast<uint64_t>(v);
}

}  // namespace

int RunSynthDefects(int argc, char** argv) {
  const char* kCommand = "synth-defects";
  auto cl = ParseCommandLine(argc, argv, 2, {{"output", true}, {"seed", true}, {"count", true}, {"family", true},
                                                    {"few-pixel", true}});
  if (!cl.ok()) {
    std::fputs(kUsage, stderr);
    return ReportError(kCommand, cl.status());
  }
  if (cl->Has("help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (cl->positional.empty() || !cl->Has("output")) {
    std::fputs(kUsage, stderr);
    return ReportError(kCommand,
                       InvalidInput(cl->positional.empty() ? "give at least one IMAGE" : "--output DIR is required"));
  }
  auto seed = GetInteger(*cl, "seed", 1, 0, kMaxDefectSeed, "2^53 - 1");
  if (!seed.ok()) return ReportError(kCommand, seed.status());
  auto count = GetInteger(*cl, "count", 7, 1, 1000, "1000");
  if (!count.ok()) return ReportError(kCommand, count.status());
  auto few_pixel = GetInteger(*cl, "few-pixel", 0, 0, 1000, "1000");
  if (!few_pixel.ok()) return ReportError(kCommand, few_pixel.status());
  const std::vector<std::string>& paths = cl->positional;
  const std::string family_name = cl->Get("family", "all");
  std::vector<DefectFamily> families;
  if (family_name == "all") {
    for (DefectFamily f : AllDefectFamilies())
      if (f != DefectFamily::kTexture || paths.size() > 1) families.push_back(f);
    if (paths.size() == 1)
      std::fprintf(stderr, "%s: one image, so no texture defects (they take another image's texture)\n", kCommand);
  } else {
    StatusOr<DefectFamily> f = ParseDefectFamily(family_name);
    if (!f.ok()) return ReportError(kCommand, InvalidInput("--family: " + f.status().message() + ", or all"));
    if (*f == DefectFamily::kTexture && paths.size() < 2) {
      return ReportError(kCommand, InvalidInput("--family texture needs two images at least: each takes its "
                                                "texture from the next"));
    }
    families.push_back(*f);
  }

  std::vector<RgbImage> images;
  for (const std::string& path : paths) {
    StatusOr<RgbImage> image = LoadImageFile(path);
    if (!image.ok()) return ReportError(kCommand, image.status());
    images.push_back(std::move(image).value());
  }
  const std::string dir = cl->Get("output");
  const Status made = MakeDirectories(dir);
  if (!made.ok()) return ReportError(kCommand, made);

  // One plan stream over every image: image i gets plans i * count ... ,
  // then, from the few-pixel stream, plans i * few_pixel ... .
  const std::vector<DefectPlan> plans = PlanDefects(*seed, static_cast<int>(*count * images.size()), families);
  const std::vector<DefectPlan> few_plans =
      PlanFewPixelDefects(*seed, static_cast<int>(*few_pixel * images.size()), families);
  const size_t per_image = *count + *few_pixel;
  std::string index =
      "image,mask,source,donor,family,variant,area_fraction,mask_fraction,contrast,seed,box_x,box_y,box_width,"
      "box_height,mask_pixels,changed_pixels,area_pixels\n";
  std::vector<std::string> stems;
  for (size_t i = 0; i < images.size(); ++i) {
    std::string stem = Stem(paths[i]);
    for (const std::string& s : stems)
      if (s == stem) stem += "-" + std::to_string(i + 1);  // two inputs of one name
    stems.push_back(stem);
  }
  for (size_t k = 0; k < per_image * images.size(); ++k) {
    const size_t i = k / per_image, j = k % per_image;  // image, its j-th defect
    const size_t donor = (i + 1) % images.size();
    const DefectPlan& plan = j < *count ? plans[i * *count + j] : few_plans[i * *few_pixel + (j - *count)];
    StatusOr<SyntheticDefect> d = SynthesizeDefect(images[i], plan, &images[donor]);
    if (!d.ok()) return ReportError(kCommand, Status(d.status().code(), paths[i] + ": " + d.status().message()));
    char number[16];
    std::snprintf(number, sizeof number, "%02zu", j + 1);
    const std::string name = stems[i] + "-" + number + "-" + DefectFamilyName(plan.family);
    const std::vector<uint8_t> png = EncodePng(d->image.pixels.data(), d->image.width, d->image.height, 3);
    const std::vector<uint8_t> mask_png = EncodePng(d->mask.data(), d->image.width, d->image.height, 1);
    for (const auto& [file, bytes] :
         {std::make_pair(name + ".png", &png), std::make_pair(name + "-mask.png", &mask_png)}) {
      const Status wrote = WriteFileAtomic(JoinPath(dir, file), *bytes);
      if (!wrote.ok()) return ReportError(kCommand, wrote);
    }
    char numbers[256];
    std::snprintf(numbers, sizeof numbers, "%.6g,%.6g,%.6g,%llu,%d,%d,%d,%d,%zu,%zu,%d", plan.area_fraction,
                  static_cast<double>(d->mask_pixels) / (static_cast<double>(d->image.width) * d->image.height),
                  plan.contrast, static_cast<unsigned long long>(plan.seed), d->box_x, d->box_y, d->box_width,
                  d->box_height, d->mask_pixels, d->changed_pixels, plan.area_pixels);
    index += CsvField(name + ".png") + "," + CsvField(name + "-mask.png") + "," + CsvField(paths[i]) + "," +
             (plan.family == DefectFamily::kTexture ? CsvField(paths[donor]) : std::string()) + "," +
             DefectFamilyName(plan.family) + "," + d->variant + "," + numbers + "\n";
  }
  const Status wrote = WriteFileAtomic(JoinPath(dir, "index.csv"), index);
  if (!wrote.ok()) return ReportError(kCommand, wrote);
  std::fprintf(stderr, "%s: wrote %zu defects in %zu images, with masks, to %s (index.csv lists them)\n", kCommand,
               per_image * images.size(), images.size(), dir.c_str());
  return kExitOk;
}

}  // namespace anomalens
