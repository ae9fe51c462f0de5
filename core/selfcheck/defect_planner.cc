// PlanDefects: N defects spread over families, sizes and contrasts, so that
// a self-check of any length sees each kind of defect.
#include <cmath>

#include "core/base/portable_math.h"
#include "core/selfcheck/defect_random.h"
#include "core/selfcheck/synthetic_defect.h"

namespace anomalens {

std::vector<DefectPlan> PlanDefects(uint64_t seed, int count, const std::vector<DefectFamily>& families) {
  std::vector<DefectPlan> plans;
  if (count <= 0 || families.empty()) return plans;
  DefectRandom rng(MixBits(seed ^ 0xD1B54A32D192ED03ull));
  constexpr double kContrasts[] = {1.0, 0.3, 0.6, 0.15};
  const int n_families = static_cast<int>(families.size());
  const int first_family = rng.Below(n_families);
  // Sizes: the golden-ratio sequence from a seeded start covers [0, 1) evenly
  // for every prefix; mapped log-evenly onto the area range.
  const double start = rng.Unit();
  constexpr double kLogRange = 5.298317366548036;  // ln(kMaxDefectArea / kMinDefectArea) = ln 200, not libm's
  static_assert(kMaxDefectArea / kMinDefectArea > 199.99 && kMaxDefectArea / kMinDefectArea < 200.01, "ln 200");
  for (int i = 0; i < count; ++i) {
    DefectPlan plan;
    plan.family = families[(first_family + i) % n_families];
    double t = start + i * 0.6180339887498949;
    t -= std::floor(t);
    plan.area_fraction = std::min(kMaxDefectArea, kMinDefectArea * PortableExp(t * kLogRange));
    // Contrasts: the family's place in the round plus the round, so each
    // family meets each contrast every four rounds, whatever the number of
    // families (round + i, as before, repeats one contrast per family when
    // that number is 1 more than a multiple of 4, as 7 is, and two when 1).
    plan.contrast = kContrasts[(i % n_families + i / n_families) % 4];
    plan.seed = rng.Next() >> 11;  // below 2^53
    plans.push_back(plan);
  }
  return plans;
}

}  // namespace anomalens
