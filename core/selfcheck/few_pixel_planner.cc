// PlanFewPixelDefects: the self-check's few-pixel class (pinholes, specks,
// tiny bites and spurs), planned apart from PlanDefects so that adding it
// left every fraction-sized plan as it was.
#include <algorithm>
#include <cmath>

#include "core/base/portable_math.h"
#include "core/selfcheck/defect_random.h"
#include "core/selfcheck/synthetic_defect.h"

namespace anomalens {

std::vector<DefectPlan> PlanFewPixelDefects(uint64_t seed, int count, const std::vector<DefectFamily>& families) {
  std::vector<DefectPlan> plans;
  if (count <= 0 || families.empty()) return plans;
  DefectRandom rng(MixBits(seed ^ 0x5F1E0C3A9B27D4E1ull));  // not PlanDefects' stream
  const int n_families = static_cast<int>(families.size());
  const int first_family = rng.Below(n_families);
  // Sizes log-evenly over 7..50 px in a golden-ratio order from a seeded
  // start, so any first n cover the range.
  const double start = rng.Unit();
  constexpr double kLogRange = 1.9661128563728327;  // ln(50 / 7), not libm's
  static_assert(kMaxFewPixelDefectArea == 50 && kMinFewPixelDefectArea == 7, "ln(50 / 7)");
  for (int i = 0; i < count; ++i) {
    DefectPlan plan;
    plan.family = families[(first_family + i) % n_families];
    double t = start + i * 0.6180339887498949;
    t -= std::floor(t);
    plan.area_fraction = 0;  // not used: area_pixels says the size
    plan.area_pixels = std::min(kMaxFewPixelDefectArea,
                                static_cast<int>(kMinFewPixelDefectArea * PortableExp(t * kLogRange) + 0.5));
    // Strong contrasts only, 1 and 0.6 by the family's place plus the round,
    // so each family meets both every two rounds (7 families, or 1).
    plan.contrast = (i % n_families + i / n_families) % 2 == 0 ? 1.0 : 0.6;
    plan.seed = rng.Next() >> 11;  // below 2^53
    plans.push_back(plan);
  }
  return plans;
}

}  // namespace anomalens
