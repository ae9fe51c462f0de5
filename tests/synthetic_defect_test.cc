// The self-check's synthetic defects (core/selfcheck): the same bytes for the
// same seed, masks that own exactly the changed pixels' region and the area
// asked for, every family painting something, and bad plans rejected by name.
// tests/js/wasm_selfcheck.test.mjs holds the wasm build to these same bytes.
#include "core/selfcheck/synthetic_defect.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "core/base/portable_math.h"
#include "core/selfcheck/value_noise.h"

namespace anomalens {
namespace {

// A mid-grey textured test image (gradient plus stripes), so that dark and
// bright defects, blur and CutPaste all have something to change.
RgbImage TexturedImage(int width, int height, int phase) {
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      uint8_t* p = image.at(x, y);
      p[0] = static_cast<uint8_t>(90 + (x * 60) / width + ((x + phase) % 7) * 4);
      p[1] = static_cast<uint8_t>(100 + (y * 50) / height + ((y + x / 3) % 5) * 5);
      p[2] = static_cast<uint8_t>(110 + ((x * 7 + y * 3 + phase) % 23));
    }
  return image;
}

const RgbImage& Image() {
  static const RgbImage image = TexturedImage(160, 120, 0);
  return image;
}
const RgbImage& Donor() {
  static const RgbImage donor = TexturedImage(97, 83, 5);
  return donor;
}

SyntheticDefect Make(DefectFamily family, double area, double contrast, uint64_t seed) {
  StatusOr<SyntheticDefect> d = SynthesizeDefect(Image(), {family, area, contrast, seed}, &Donor());
  EXPECT_TRUE(d.ok()) << DefectFamilyName(family) << ": " << d.status().ToString();
  return d.ok() ? std::move(d).value() : SyntheticDefect{};
}

TEST(PortableMath, SinCosMatchLibmClosely) {
  for (double x = -20; x <= 20; x += 0.0137) {
    EXPECT_NEAR(PortableSin(x), std::sin(x), 1e-13) << x;
    EXPECT_NEAR(PortableCos(x), std::cos(x), 1e-13) << x;
  }
}

TEST(ValueNoise, SmoothAndInRange) {
  for (double y = 0; y < 5; y += 0.13)
    for (double x = 0; x < 5; x += 0.17) {
      const double v = ValueNoise(7, x, y);
      EXPECT_GE(v, 0);
      EXPECT_LT(v, 1);
      // Continuous: a small step moves it a little.
      EXPECT_LT(std::fabs(ValueNoise(7, x + 0.01, y) - v), 0.05);
    }
}

TEST(SyntheticDefect, SameSeedSameBytesOtherSeedDiffers) {
  for (DefectFamily family : AllDefectFamilies()) {
    const SyntheticDefect a = Make(family, 0.005, 0.6, 11);
    const SyntheticDefect b = Make(family, 0.005, 0.6, 11);
    const SyntheticDefect c = Make(family, 0.005, 0.6, 12);
    EXPECT_EQ(a.image.pixels, b.image.pixels) << DefectFamilyName(family);
    EXPECT_EQ(a.mask, b.mask) << DefectFamilyName(family);
    EXPECT_NE(a.mask, c.mask) << DefectFamilyName(family);
  }
}

TEST(SyntheticDefect, EveryFamilyChangesOnlyItsMaskAndMostOfIt) {
  const RgbImage& input = Image();
  for (DefectFamily family : AllDefectFamilies()) {
    for (double contrast : {0.15, 1.0}) {
      for (uint64_t seed = 1; seed <= 4; ++seed) {
        const SyntheticDefect d = Make(family, 0.004, contrast, seed);
        ASSERT_EQ(d.mask.size(), static_cast<size_t>(input.width) * input.height);
        size_t owned = 0, changed = 0;
        for (size_t i = 0; i < d.mask.size(); ++i) {
          ASSERT_TRUE(d.mask[i] == 0 || d.mask[i] == 255);
          const bool differs = d.image.pixels[i * 3] != input.pixels[i * 3] ||
                               d.image.pixels[i * 3 + 1] != input.pixels[i * 3 + 1] ||
                               d.image.pixels[i * 3 + 2] != input.pixels[i * 3 + 2];
          if (!d.mask[i]) {
            ASSERT_FALSE(differs) << DefectFamilyName(family) << " changed pixel " << i << " outside its mask";
            continue;
          }
          ++owned;
          if (differs) ++changed;
          const int x = static_cast<int>(i % input.width), y = static_cast<int>(i / input.width);
          EXPECT_TRUE(x >= d.box_x && x < d.box_x + d.box_width && y >= d.box_y && y < d.box_y + d.box_height);
        }
        EXPECT_GT(owned, 0u);
        EXPECT_EQ(owned, d.mask_pixels);
        EXPECT_EQ(changed, d.changed_pixels);
        // On a textured image each family visibly changes most of what it owns.
        EXPECT_GE(changed, owned / 2) << DefectFamilyName(family) << " (" << d.variant << ") contrast " << contrast
                                      << " seed " << seed;
      }
    }
  }
}

// Foreign material (rust, a burn, paint): at contrast 1 the stain's colour
// is one the image itself hardly shows. Measured along the direction from
// the image's mean chroma to the stain's, under 1% of the image's own
// pixels reach the stain's mean; each pixel's luminance is kept.
TEST(SyntheticDefect, ForeignMaterialTakesAColourOutsideTheImages) {
  const RgbImage& input = Image();
  auto chroma = [](const uint8_t* p, double* cb, double* cr) {
    *cb = -0.168736 * p[0] - 0.331264 * p[1] + 0.5 * p[2];
    *cr = 0.5 * p[0] - 0.418688 * p[1] - 0.081312 * p[2];
  };
  const size_t pixels = static_cast<size_t>(input.width) * input.height;
  double mean_cb = 0, mean_cr = 0;
  for (size_t i = 0; i < pixels; ++i) {
    double cb, cr;
    chroma(&input.pixels[i * 3], &cb, &cr);
    mean_cb += cb / pixels, mean_cr += cr / pixels;
  }
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const SyntheticDefect d = Make(DefectFamily::kForeignMaterial, 0.01, 1.0, seed);
    EXPECT_EQ(d.variant, "foreign-material");
    double stain_cb = 0, stain_cr = 0, luminance_change = 0;
    for (size_t i = 0; i < pixels; ++i) {
      if (!d.mask[i]) continue;
      double cb, cr;
      chroma(&d.image.pixels[i * 3], &cb, &cr);
      stain_cb += cb / d.mask_pixels, stain_cr += cr / d.mask_pixels;
      const uint8_t *p = &d.image.pixels[i * 3], *q = &input.pixels[i * 3];
      luminance_change += std::fabs(0.299 * (p[0] - q[0]) + 0.587 * (p[1] - q[1]) + 0.114 * (p[2] - q[2])) / d.mask_pixels;
    }
    const double u_cb = stain_cb - mean_cb, u_cr = stain_cr - mean_cr;
    const double reach = u_cb * stain_cb + u_cr * stain_cr;
    size_t beyond = 0;
    for (size_t i = 0; i < pixels; ++i) {
      double cb, cr;
      chroma(&input.pixels[i * 3], &cb, &cr);
      beyond += u_cb * cb + u_cr * cr >= reach;
    }
    EXPECT_LT(beyond, pixels / 100) << "seed " << seed;
    EXPECT_LT(luminance_change, 3.0) << "seed " << seed;  // rounding and clamping only
  }
}

TEST(SyntheticDefect, MaskAreaIsTheAreaAskedFor) {
  const double pixels = static_cast<double>(Image().width) * Image().height;
  for (DefectFamily family : AllDefectFamilies()) {
    for (double area : {kMinDefectArea, 0.001, 0.007, kMaxDefectArea}) {
      const SyntheticDefect d = Make(family, area, 0.6, 3);
      const size_t asked = std::max<size_t>(1, static_cast<size_t>(area * pixels + 0.5));
      // Exactly: each family owns the `asked` pixels of lowest shape score.
      EXPECT_EQ(d.mask_pixels, asked) << DefectFamilyName(family) << " at " << area;
    }
  }
}

TEST(SyntheticDefect, ExactAreaOnSmallAndNarrowImagesToo) {
  // The smallest image allowed, a long narrow strip and a tall one: shapes
  // that do not fit are clipped by the image and still own the area asked.
  for (const auto& [w, h] : {std::pair{16, 16}, std::pair{400, 20}, std::pair{24, 300}}) {
    const RgbImage image = TexturedImage(w, h, 1);
    for (DefectFamily family : AllDefectFamilies()) {
      for (double area : {kMinDefectArea, 0.003, kMaxDefectArea}) {
        for (uint64_t seed = 0; seed < 3; ++seed) {
          StatusOr<SyntheticDefect> d = SynthesizeDefect(image, {family, area, 0.6, seed}, &Donor());
          ASSERT_TRUE(d.ok()) << w << "x" << h << " " << DefectFamilyName(family) << ": " << d.status().ToString();
          EXPECT_EQ(d->mask_pixels, std::max<size_t>(1, static_cast<size_t>(area * w * h + 0.5)));
        }
      }
    }
  }
}

TEST(SyntheticDefect, ShapesAreCompactNotScattered) {
  // The owned pixels form a shape, not noise: the bounding box of a 0.5%
  // defect covers well under a quarter of the image.
  for (DefectFamily family : AllDefectFamilies()) {
    const SyntheticDefect d = Make(family, 0.005, 0.6, 5);
    if (family == DefectFamily::kScratch) continue;  // a long walk may span the image
    EXPECT_LT(static_cast<double>(d.box_width) * d.box_height, 0.25 * d.mask.size()) << DefectFamilyName(family);
  }
}

TEST(SyntheticDefect, VariantsCoverTheFamily) {
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    seen.insert(Make(DefectFamily::kSpot, 0.002, 0.6, seed).variant);
    seen.insert(Make(DefectFamily::kScratch, 0.002, 0.6, seed).variant);
    seen.insert(Make(DefectFamily::kLocalChange, 0.002, 0.6, seed).variant);
  }
  for (const char* v : {"dark", "bright", "scratch", "crack", "colour", "contrast", "blur"})
    EXPECT_TRUE(seen.count(v)) << v;
}

TEST(SyntheticDefect, RejectsBadPlansByName) {
  const RgbImage& image = Image();
  auto reject = [&](DefectPlan plan, const RgbImage* donor, const std::string& words) {
    StatusOr<SyntheticDefect> d = SynthesizeDefect(image, plan, donor);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(d.status().message().find(words), std::string::npos) << d.status().message();
  };
  reject({DefectFamily::kSpot, 0.00005, 1, 1}, nullptr, "0.0001 to 0.02");
  reject({DefectFamily::kSpot, 0.03, 1, 1}, nullptr, "0.0001 to 0.02");
  reject({DefectFamily::kSpot, std::nan(""), 1, 1}, nullptr, "0.0001 to 0.02");
  reject({DefectFamily::kSpot, 0.01, 0.01, 1}, nullptr, "0.05 to 1");
  reject({DefectFamily::kSpot, 0.01, 1.5, 1}, nullptr, "0.05 to 1");
  reject({DefectFamily::kSpot, 0.01, 1, kMaxDefectSeed + 1}, nullptr, "2^53");
  reject({DefectFamily::kTexture, 0.01, 1, 1}, nullptr, "second normal image");
  reject({static_cast<DefectFamily>(99), 0.01, 1, 1}, nullptr, "spot, scratch, cutpaste");
  RgbImage tiny = TexturedImage(8, 40, 0);
  StatusOr<SyntheticDefect> d = SynthesizeDefect(tiny, {DefectFamily::kSpot, 0.01, 1, 1});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("16 to 65535 px"), std::string::npos);
  RgbImage torn = Image();
  torn.pixels.pop_back();
  EXPECT_FALSE(SynthesizeDefect(torn, {DefectFamily::kSpot, 0.01, 1, 1}).ok());
}

TEST(DefectFamilyNames, RoundTripAndListTheValidOnes) {
  for (DefectFamily f : AllDefectFamilies()) {
    StatusOr<DefectFamily> parsed = ParseDefectFamily(DefectFamilyName(f));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, f);
  }
  StatusOr<DefectFamily> bad = ParseDefectFamily("smudge");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("spot, scratch, cutpaste, texture, local-change, missing-piece, foreign-material"),
            std::string::npos);
}

TEST(PlanDefects, SpreadsOverFamiliesSizesAndContrasts) {
  const std::vector<DefectPlan> plans = PlanDefects(9, 48, AllDefectFamilies());
  ASSERT_EQ(plans.size(), 48u);
  std::set<DefectFamily> families;
  std::set<double> contrasts;
  std::set<uint64_t> seeds;
  int small = 0, large = 0;
  for (const DefectPlan& p : plans) {
    families.insert(p.family);
    contrasts.insert(p.contrast);
    seeds.insert(p.seed);
    EXPECT_GE(p.area_fraction, kMinDefectArea);
    EXPECT_LE(p.area_fraction, kMaxDefectArea);
    EXPECT_LE(p.seed, kMaxDefectSeed);
    if (p.area_fraction < 0.001) ++small;
    if (p.area_fraction > 0.005) ++large;
  }
  EXPECT_EQ(families.size(), AllDefectFamilies().size());
  EXPECT_EQ(contrasts, (std::set<double>{0.15, 0.3, 0.6, 1.0}));
  EXPECT_EQ(seeds.size(), 48u);
  // Log-even over 0.0001..0.02: below 0.001 is 43% of the range, above 0.005 is 26%.
  EXPECT_GE(small, 16);
  EXPECT_GE(large, 9);
  // Each family meets every contrast within 4 rounds, whatever the number
  // of families (7, and 1 or 5, are 1 more than a multiple of 4; a cycle of
  // round + index gave each family a single contrast there).
  for (size_t n = 1; n <= AllDefectFamilies().size(); ++n) {
    const std::vector<DefectFamily> some(AllDefectFamilies().begin(), AllDefectFamilies().begin() + n);
    for (DefectFamily f : some) {
      std::set<double> c;
      for (const DefectPlan& p : PlanDefects(3, static_cast<int>(4 * n), some))
        if (p.family == f) c.insert(p.contrast);
      EXPECT_EQ(c.size(), 4u) << DefectFamilyName(f) << " of " << n << " families";
    }
  }
  // Deterministic, and the seed matters.
  const std::vector<DefectPlan> again = PlanDefects(9, 48, AllDefectFamilies());
  const std::vector<DefectPlan> other = PlanDefects(10, 48, AllDefectFamilies());
  for (size_t i = 0; i < plans.size(); ++i) {
    EXPECT_EQ(plans[i].seed, again[i].seed);
    EXPECT_EQ(plans[i].area_fraction, again[i].area_fraction);
  }
  EXPECT_NE(plans[0].seed, other[0].seed);
  EXPECT_TRUE(PlanDefects(1, 0, AllDefectFamilies()).empty());
  EXPECT_TRUE(PlanDefects(1, 5, {}).empty());
  const std::vector<DefectPlan> only = PlanDefects(1, 5, {DefectFamily::kScratch});
  for (const DefectPlan& p : only) EXPECT_EQ(p.family, DefectFamily::kScratch);
}

TEST(PlanFewPixelDefects, SizesOfAFewPixelsStrongContrastsEveryFamily) {
  // The few-pixel class (pinholes, specks, tiny bites): 7 to 50 of the
  // image's own pixels, contrast 1 or 0.6, the families in turn, each
  // meeting both contrasts; deterministic; a stream apart from PlanDefects.
  const std::vector<DefectPlan> plans = PlanFewPixelDefects(9, 14, AllDefectFamilies());
  ASSERT_EQ(plans.size(), 14u);
  std::map<DefectFamily, std::set<double>> contrasts_of;
  int smallest = 1000, largest = 0;
  std::set<uint64_t> seeds;
  for (const DefectPlan& p : plans) {
    contrasts_of[p.family].insert(p.contrast);
    seeds.insert(p.seed);
    EXPECT_EQ(p.area_fraction, 0.0);
    EXPECT_GE(p.area_pixels, kMinFewPixelDefectArea);
    EXPECT_LE(p.area_pixels, kMaxFewPixelDefectArea);
    EXPECT_LE(p.seed, kMaxDefectSeed);
    smallest = std::min(smallest, p.area_pixels);
    largest = std::max(largest, p.area_pixels);
  }
  EXPECT_EQ(seeds.size(), 14u);
  ASSERT_EQ(contrasts_of.size(), AllDefectFamilies().size());
  for (const auto& [family, c] : contrasts_of) EXPECT_EQ(c, (std::set<double>{0.6, 1.0})) << DefectFamilyName(family);
  // Log-even over 7..50: 14 plans reach both ends of the range.
  EXPECT_LE(smallest, 10);
  EXPECT_GE(largest, 38);
  const std::vector<DefectPlan> again = PlanFewPixelDefects(9, 14, AllDefectFamilies());
  for (size_t i = 0; i < plans.size(); ++i) {
    EXPECT_EQ(plans[i].seed, again[i].seed);
    EXPECT_EQ(plans[i].area_pixels, again[i].area_pixels);
  }
  EXPECT_NE(plans[0].seed, PlanDefects(9, 1, AllDefectFamilies())[0].seed);
  EXPECT_TRUE(PlanFewPixelDefects(1, 0, AllDefectFamilies()).empty());
  EXPECT_TRUE(PlanFewPixelDefects(1, 5, {}).empty());
}

TEST(SyntheticDefect, FewPixelDefectsOwnExactlyThePixelsAskedOnAnyImageSize) {
  // The same count of the image's own pixels on a small and a large image,
  // for every family, in a compact shape (a pinhole, not a scattered
  // sprinkle), changing nothing outside the mask, and the same bytes again.
  const RgbImage large = TexturedImage(640, 480, 2);
  for (const RgbImage* image : {&Image(), &large}) {
    for (DefectFamily family : AllDefectFamilies()) {
      for (int pixels : {kMinFewPixelDefectArea, 20, kMaxFewPixelDefectArea}) {
        for (uint64_t seed = 0; seed < 3; ++seed) {
          DefectPlan plan{family, 0, 1.0, seed, pixels};
          StatusOr<SyntheticDefect> d = SynthesizeDefect(*image, plan, &Donor());
          ASSERT_TRUE(d.ok()) << DefectFamilyName(family) << ": " << d.status().ToString();
          EXPECT_EQ(d->mask_pixels, static_cast<size_t>(pixels)) << DefectFamilyName(family);
          size_t owned = 0;
          for (size_t i = 0; i < d->mask.size(); ++i) {
            owned += d->mask[i] == 255;
            if (d->mask[i] == 0)
              for (int c = 0; c < 3; ++c) ASSERT_EQ(d->image.pixels[i * 3 + c], image->pixels[i * 3 + c]);
          }
          EXPECT_EQ(owned, static_cast<size_t>(pixels));
          if (family != DefectFamily::kScratch) {
            // 50 px: a disc 8 px across; room for a ragged outline (the
            // texture's smooth random mask).
            EXPECT_LE(d->box_width, 24) << DefectFamilyName(family) << " " << pixels;
            EXPECT_LE(d->box_height, 24) << DefectFamilyName(family) << " " << pixels;
          }
          StatusOr<SyntheticDefect> again = SynthesizeDefect(*image, plan, &Donor());
          ASSERT_TRUE(again.ok());
          EXPECT_EQ(again->image.pixels, d->image.pixels);
          EXPECT_EQ(again->mask, d->mask);
        }
      }
    }
  }
  for (int pixels : {kMinFewPixelDefectArea - 1, kMaxFewPixelDefectArea + 1, -3}) {
    StatusOr<SyntheticDefect> d = SynthesizeDefect(Image(), {DefectFamily::kSpot, 0, 1.0, 1, pixels});
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.status().message().find("7 to 50 px"), std::string::npos) << d.status().message();
  }
}

}  // namespace
}  // namespace anomalens
