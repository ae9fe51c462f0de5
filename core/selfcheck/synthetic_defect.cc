#include "core/selfcheck/synthetic_defect.h"

#include <algorithm>
#include <cmath>

#include "core/selfcheck/defect_families.h"
#include "core/selfcheck/defect_random.h"

namespace anomalens {
namespace {

struct FamilyEntry {
  DefectFamily family;
  const char* name;
  void (*paint)(const DefectRequest&, DefectRandom&, SyntheticDefect&);
};

constexpr FamilyEntry kFamilies[] = {
    {DefectFamily::kSpot, "spot", PaintSpot},
    {DefectFamily::kScratch, "scratch", PaintScratch},
    {DefectFamily::kCutPaste, "cutpaste", PaintCutPaste},
    {DefectFamily::kTexture, "texture", PaintTexture},
    {DefectFamily::kLocalChange, "local-change", PaintLocalChange},
    {DefectFamily::kMissingPiece, "missing-piece", PaintMissingPiece},
    {DefectFamily::kForeignMaterial, "foreign-material", PaintForeignMaterial},
};

const FamilyEntry* Find(DefectFamily family) {
  for (const FamilyEntry& e : kFamilies)
    if (e.family == family) return &e;
  return nullptr;
}

std::string FamilyNames() {
  std::string names;
  for (const FamilyEntry& e : kFamilies) names += std::string(names.empty() ? "" : ", ") + e.name;
  return names;
}

Status CheckImage(const RgbImage& image, const char* what) {
  if (image.width < kMinDefectImageSide || image.height < kMinDefectImageSide || image.width > 65535 ||
      image.height > 65535) {
    return InvalidInput(std::string(what) + " is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                        " px; each side must be " + std::to_string(kMinDefectImageSide) + " to 65535 px");
  }
  if (image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3) {
    return InvalidInput(std::string(what) + " has " + std::to_string(image.pixels.size()) + " bytes; " +
                        std::to_string(image.width) + "x" + std::to_string(image.height) + " RGB needs " +
                        std::to_string(static_cast<size_t>(image.width) * image.height * 3));
  }
  return Status::Ok();
}

}  // namespace

const std::vector<DefectFamily>& AllDefectFamilies() {
  static const std::vector<DefectFamily> all = [] {
    std::vector<DefectFamily> v;
    for (const FamilyEntry& e : kFamilies) v.push_back(e.family);
    return v;
  }();
  return all;
}

const char* DefectFamilyName(DefectFamily family) {
  const FamilyEntry* e = Find(family);
  return e ? e->name : "unknown";
}

StatusOr<DefectFamily> ParseDefectFamily(const std::string& name) {
  for (const FamilyEntry& e : kFamilies)
    if (name == e.name) return e.family;
  return InvalidInput("unknown defect family '" + name + "'; the families are " + FamilyNames());
}

StatusOr<SyntheticDefect> SynthesizeDefect(const RgbImage& image, const DefectPlan& plan, const RgbImage* donor) {
  RETURN_IF_ERROR(CheckImage(image, "the image"));
  const FamilyEntry* entry = Find(plan.family);
  if (!entry) return InvalidInput("unknown defect family; the families are " + FamilyNames());
  // Written so that NaN fails too.
  if (plan.area_pixels != 0 &&
      (plan.area_pixels < kMinFewPixelDefectArea || plan.area_pixels > kMaxFewPixelDefectArea)) {
    return InvalidInput("defect area " + std::to_string(plan.area_pixels) + " px is outside the few-pixel class, " +
                        std::to_string(kMinFewPixelDefectArea) + " to " + std::to_string(kMaxFewPixelDefectArea) +
                        " px");
  }
  if (plan.area_pixels == 0 && !(plan.area_fraction >= kMinDefectArea && plan.area_fraction <= kMaxDefectArea)) {
    return InvalidInput("defect area " + std::to_string(plan.area_fraction) +
                        " is outside 0.0001 to 0.02 of the image (0.01% to 2%)");
  }
  if (!(plan.contrast >= kMinDefectContrast && plan.contrast <= kMaxDefectContrast)) {
    return InvalidInput("defect contrast " + std::to_string(plan.contrast) + " is outside 0.05 to 1");
  }
  if (plan.seed > kMaxDefectSeed) return InvalidInput("defect seed must be an integer from 0 to 2^53 - 1");
  if (plan.family == DefectFamily::kTexture) {
    if (!donor) return InvalidInput("the texture family needs a second normal image to take its texture from");
    RETURN_IF_ERROR(CheckImage(*donor, "the texture's donor image"));
  }

  SyntheticDefect out;
  out.image = image;
  out.mask.assign(static_cast<size_t>(image.width) * image.height, 0);
  const double pixels = static_cast<double>(image.width) * image.height;
  const size_t count = plan.area_pixels > 0
                           ? static_cast<size_t>(plan.area_pixels)
                           : std::max<size_t>(1, static_cast<size_t>(plan.area_fraction * pixels + 0.5));
  // The family's stream: the seed and the family, so one seed gives unrelated
  // defects in different families.
  DefectRandom rng(MixBits(plan.seed * 0x100000001B3ull + static_cast<uint64_t>(plan.family)));
  entry->paint(DefectRequest{image, donor, count, plan.contrast}, rng, out);

  // The mask's promise, checked rather than trusted: nothing outside it changed.
  int x0 = image.width, y0 = image.height, x1 = -1, y1 = -1;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const size_t i = static_cast<size_t>(y) * image.width + x;
      const bool changed = out.image.pixels[i * 3] != image.pixels[i * 3] ||
                           out.image.pixels[i * 3 + 1] != image.pixels[i * 3 + 1] ||
                           out.image.pixels[i * 3 + 2] != image.pixels[i * 3 + 2];
      if (!out.mask[i]) {
        if (changed) return Internal(std::string("the ") + entry->name + " defect changed a pixel outside its mask");
        continue;
      }
      ++out.mask_pixels;
      if (changed) ++out.changed_pixels;
      x0 = std::min(x0, x);
      y0 = std::min(y0, y);
      x1 = std::max(x1, x);
      y1 = std::max(y1, y);
    }
  }
  if (out.mask_pixels != count) {
    return Internal(std::string("the ") + entry->name + " defect owns " + std::to_string(out.mask_pixels) +
                    " pixels, not the " + std::to_string(count) + " asked for");
  }
  out.box_x = x0;
  out.box_y = y0;
  out.box_width = x1 - x0 + 1;
  out.box_height = y1 - y0 + 1;
  return out;
}

}  // namespace anomalens
