// Synthetic defects pasted into normal images, each with the exact mask of
// the pixels it owns, for the self-check that grades a model on defects it
// has never seen. Deterministic: the same image, plan and donor give the same
// bytes on every target (native and wasm).
//
//   DefectPlan plan{DefectFamily::kScratch, 0.002, 0.5, 42};
//   StatusOr<SyntheticDefect> d = SynthesizeDefect(normal_image, plan);
//   // d->image: the image with a scratch; d->mask: 255 on its pixels.
//
//   for (const DefectPlan& p : PlanDefects(seed, 12, AllDefectFamilies())) ...
#ifndef ANOMALENS_CORE_SELFCHECK_SYNTHETIC_DEFECT_H_
#define ANOMALENS_CORE_SELFCHECK_SYNTHETIC_DEFECT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/image/image.h"

namespace anomalens {

enum class DefectFamily {
  kSpot,          // a dark or bright spot or pit
  kScratch,       // a thin scratch or crack, 1-3 px wide: a random walk
  kCutPaste,      // a patch cut from elsewhere in the same image, shifted and turned
  kTexture,       // texture from another normal image under a smooth random mask
  kLocalChange,   // a local change of colour, contrast or sharpness (blur)
  kMissingPiece,  // a piece gone, filled with the background colour
  kForeignMaterial,  // a stain of a colour the image never shows (rust, a burn, oil, paint)
};

// The families in order, and their names ("spot", "scratch", "cutpaste",
// "texture", "local-change", "missing-piece", "foreign-material").
const std::vector<DefectFamily>& AllDefectFamilies();
const char* DefectFamilyName(DefectFamily family);
// The family named `name`; the error lists the valid names.
StatusOr<DefectFamily> ParseDefectFamily(const std::string& name);

// Limits of a plan.
constexpr double kMinDefectArea = 0.0001;  // 0.01% of the image
constexpr double kMaxDefectArea = 0.02;    // 2% of the image
constexpr double kMinDefectContrast = 0.05;
constexpr double kMaxDefectContrast = 1.0;
constexpr int kMinDefectImageSide = 16;
// The few-pixel class: a defect of a fixed number of the image's own pixels,
// 7 to 50 (a disc 3 to 8 px across), whatever the image's size: pinholes,
// specks, tiny bites and spurs. The area range above starts at 0.01% of the
// image, 20 px at 448x448, so without this class the self-check never asks
// whether a model sees a pinhole (issue 16, circuit scene: docs/selfcheck.md).
constexpr int kMinFewPixelDefectArea = 7;
constexpr int kMaxFewPixelDefectArea = 50;
// Seeds are integers below 2^53, so that JavaScript numbers hold them exactly.
constexpr uint64_t kMaxDefectSeed = (uint64_t{1} << 53) - 1;

// One defect to paste.
struct DefectPlan {
  DefectFamily family = DefectFamily::kSpot;
  // Mask area as a fraction of the image's pixels (rounded, at least 1 px);
  // not used (the planner writes 0) when area_pixels is set.
  double area_fraction = 0.001;
  // How strongly it stands out, kMinDefectContrast (faint) to 1 (as drawn).
  double contrast = 1.0;
  uint64_t seed = 0;
  // When > 0, the mask's area in the image's own pixels (the few-pixel
  // class, kMinFewPixelDefectArea to kMaxFewPixelDefectArea), in place of
  // area_fraction.
  int area_pixels = 0;
};

struct SyntheticDefect {
  RgbImage image;             // the input with the defect pasted in
  std::vector<uint8_t> mask;  // width x height: 255 on the defect's pixels, 0 elsewhere
  // Which kind within the family: "dark", "bright" (spot); "scratch",
  // "crack" (scratch); "colour", "contrast", "blur" (local change); else
  // the family's name.
  std::string variant;
  // The mask's bounding box, pixels.
  int box_x = 0, box_y = 0, box_width = 0, box_height = 0;
  size_t mask_pixels = 0;     // pixels the defect owns (the mask's area)
  size_t changed_pixels = 0;  // of those, how many differ from the input
};

// Pastes `plan`'s defect into `image`. Every pixel outside the mask keeps its
// bytes. The texture family takes its texture from `donor`, another normal
// image of any size (required for it, ignored by the others). Rejects
// (kInvalidInput) an image smaller than kMinDefectImageSide a side or
// inconsistent, and plan values outside their limits, naming the limit.
StatusOr<SyntheticDefect> SynthesizeDefect(const RgbImage& image, const DefectPlan& plan,
                                           const RgbImage* donor = nullptr);

// `count` plans from `seed`, spread over `families` (in turn, from a seeded
// start), over sizes (log-evenly from kMinDefectArea to kMaxDefectArea, in a
// low-discrepancy order so any first n cover the range) and over contrasts
// (faint 0.15 and 0.3, 0.6, and 1). Each plan has its own seed.
std::vector<DefectPlan> PlanDefects(uint64_t seed, int count, const std::vector<DefectFamily>& families);

// `count` plans of the few-pixel class from `seed` (a stream apart from
// PlanDefects'): families in turn from a seeded start, area_pixels
// log-evenly from 7 to 50 in a low-discrepancy order, contrast 1 or 0.6 (a
// faint speck of a few pixels is not a defect anyone could see), each family
// meeting both every two rounds. Each plan has its own seed.
std::vector<DefectPlan> PlanFewPixelDefects(uint64_t seed, int count, const std::vector<DefectFamily>& families);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SELFCHECK_SYNTHETIC_DEFECT_H_
