// PlanDefects: N defects spread over families, sizes and contrasts, so that
// a self-check of any length sees each kind of defect.
#include <algorithm>
#include <cmath>

#include "core/base/portable_math.h"
#include "core/selfcheck/defect_random.h"
#include "core/selfcheck/synthetic_defect.h"

namespace anomalens {
namespace {

constexpr double kGoldenStep = 0.6180339887498949;

// The golden-ratio sequence from `start`: its n-th term. Any prefix covers
// [0, 1) evenly.
double GoldenTerm(double start, int n) {
  double t = start + n * kGoldenStep;
  return t - std::floor(t);
}

}  // namespace

std::vector<DefectPlan> PlanDefects(uint64_t seed, int count, const std::vector<DefectFamily>& families) {
  std::vector<DefectPlan> plans;
  if (count <= 0 || families.empty()) return plans;
  const int n_families = static_cast<int>(families.size());

  DefectRandom rng(MixBits(seed ^ 0xD1B54A32D192ED03ull));
  constexpr double kContrasts[] = {1.0, 0.3, 0.6, 0.15};
  const int first_family = rng.Below(n_families);
  // Sizes: the golden-ratio sequence from a seeded start covers [0, 1) evenly
  // for every prefix; mapped log-evenly onto the area range.
  const double start = rng.Unit();
  constexpr double kLogRange = 5.298317366548036;  // ln(kMaxDefectArea / kMinDefectArea) = ln 200, not libm's
  static_assert(kMaxDefectArea / kMinDefectArea > 199.99 && kMaxDefectArea / kMinDefectArea < 200.01, "ln 200");

  // The few-pixel plans' sizes and seeds: a stream of their own.
  DefectRandom few_rng(MixBits(seed ^ 0x5F1E0C3A9B27D4E1ull));
  const double few_start = few_rng.Unit();
  constexpr double kFewLogRange = 1.9661128563728327;  // ln(50 / 7), not libm's
  static_assert(kMaxFewPixelDefectArea == 50 && kMinFewPixelDefectArea == 7, "ln(50 / 7)");
  // Whether the plan of family place `place` in round `round` is of the
  // few-pixel class: one round in kFewPixelPlanEvery for each family, in
  // turn, so any whole number of rounds gives every family its share, for
  // any number of families.
  const auto few_pixel = [](int round, int place) { return (round + place) % kFewPixelPlanEvery == kFewPixelPlanEvery - 1; };

  int i = 0, j = 0;  // fraction-sized and few-pixel plans so far
  for (int k = 0; k < count; ++k) {
    // Families in turn from a seeded start: every prefix as even as can be.
    const int round = k / n_families, place = k % n_families;
    DefectPlan plan;
    plan.family = families[(first_family + place) % n_families];
    if (few_pixel(round, place)) {
      // Log-evenly over 7..50 px; strong contrasts only, 1 and 0.6 in turn.
      plan.area_fraction = 0;  // not used: area_pixels says the size
      plan.area_pixels = std::min(
          kMaxFewPixelDefectArea,
          static_cast<int>(kMinFewPixelDefectArea * PortableExp(GoldenTerm(few_start, j) * kFewLogRange) + 0.5));
      plan.contrast = j % 2 == 0 ? 1.0 : 0.6;
      plan.seed = few_rng.Next() >> 11;  // below 2^53
      ++j;
    } else {
      plan.area_fraction = std::min(kMaxDefectArea, kMinDefectArea * PortableExp(GoldenTerm(start, i) * kLogRange));
      // Contrasts: the family's place plus how many fraction-sized plans it
      // had before, so each family meets each contrast in every four of its
      // own plans, whatever the number of families.
      int before = 0;
      for (int r = 0; r < round; ++r) before += few_pixel(r, place) ? 0 : 1;
      plan.contrast = kContrasts[(place + before) % 4];
      plan.seed = rng.Next() >> 11;  // below 2^53
      ++i;
    }
    plans.push_back(plan);
  }
  return plans;
}

}  // namespace anomalens
