#include "core/lookout/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace anomalens {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One run of equal scores. Sorting and then working on groups, never on
// individual images, makes every metric independent of input order and of
// std::sort's unspecified order among equal elements, and gives tied scores
// the "one step" treatment that ROC AUC and average precision need.
struct ScoreGroup {
  double score = 0;
  int64_t anomalies = 0;
  int64_t normals = 0;
};

bool AnyNaN(const std::vector<ScoredLabel>& scored) {
  return std::any_of(scored.begin(), scored.end(), [](const ScoredLabel& s) { return std::isnan(s.score); });
}

// Groups the non-NaN scores, highest score first. NaN scores are left out:
// they would break std::sort's strict weak ordering (undefined behaviour).
std::vector<ScoreGroup> GroupDescending(const std::vector<ScoredLabel>& scored) {
  std::vector<ScoredLabel> sorted;
  sorted.reserve(scored.size());
  for (const ScoredLabel& s : scored) {
    if (!std::isnan(s.score)) sorted.push_back(s);
  }
  std::sort(sorted.begin(), sorted.end(), [](const ScoredLabel& a, const ScoredLabel& b) { return a.score > b.score; });
  std::vector<ScoreGroup> groups;
  for (const ScoredLabel& s : sorted) {
    // == also merges -0.0 with 0.0, which >= cannot tell apart either.
    if (groups.empty() || groups.back().score != s.score) groups.push_back({s.score, 0, 0});
    (s.anomalous ? groups.back().anomalies : groups.back().normals) += 1;
  }
  return groups;
}

// A threshold strictly above `below` and at most `above` (below < above), as
// close to their midpoint as doubles allow. Halving before adding avoids
// overflow for huge scores; when the two are adjacent doubles the midpoint
// rounds onto one of them, and when one is infinite it is not a number, so
// then `above` itself is the only threshold that keeps the cut.
double CutThreshold(double below, double above) {
  const double mid = below / 2 + above / 2;
  if (mid > below && mid <= above) return mid;
  return above;
}

}  // namespace

double RocAuc(const std::vector<ScoredLabel>& scored) {
  if (AnyNaN(scored)) return kNaN;
  const std::vector<ScoreGroup> groups = GroupDescending(scored);
  int64_t anomalies = 0, normals = 0;
  for (const ScoreGroup& g : groups) {
    anomalies += g.anomalies;
    normals += g.normals;
  }
  if (anomalies == 0 || normals == 0) return kNaN;
  // Twice the Mann-Whitney U, in integers so the count is exact: each
  // anomaly scores 2 per normal strictly below it and 1 per normal tied
  // with it. Walking from the lowest score up tracks "strictly below".
  int64_t twice_u = 0;
  int64_t normals_below = 0;
  for (auto g = groups.rbegin(); g != groups.rend(); ++g) {
    twice_u += g->anomalies * (2 * normals_below + g->normals);
    normals_below += g->normals;
  }
  return static_cast<double>(twice_u) / (2.0 * static_cast<double>(anomalies) * static_cast<double>(normals));
}

double AveragePrecision(const std::vector<ScoredLabel>& scored) {
  if (AnyNaN(scored)) return kNaN;
  const std::vector<ScoreGroup> groups = GroupDescending(scored);
  int64_t anomalies = 0;
  for (const ScoreGroup& g : groups) anomalies += g.anomalies;
  if (anomalies == 0) return kNaN;
  // sklearn: AP = sum over thresholds of (R_n - R_{n-1}) * P_n. A step's
  // recall gain is (its anomalies) / (all anomalies), so the division by the
  // anomaly count is done once at the end.
  double sum = 0;
  int64_t true_positives = 0, called = 0;
  for (const ScoreGroup& g : groups) {
    true_positives += g.anomalies;
    called += g.anomalies + g.normals;
    if (g.anomalies > 0) {
      sum += static_cast<double>(g.anomalies) * static_cast<double>(true_positives) / static_cast<double>(called);
    }
  }
  return sum / static_cast<double>(anomalies);
}

ClassificationMetrics MetricsAtThreshold(const std::vector<ScoredLabel>& scored, double threshold) {
  ClassificationMetrics m;
  for (const ScoredLabel& s : scored) {
    const bool called_anomalous = s.score >= threshold;
    if (s.anomalous) {
      (called_anomalous ? m.true_positives : m.false_negatives) += 1;
    } else {
      (called_anomalous ? m.false_positives : m.true_negatives) += 1;
    }
  }
  const int tp = m.true_positives, fp = m.false_positives, fn = m.false_negatives;
  if (tp + fp > 0) m.precision = static_cast<double>(tp) / (tp + fp);
  if (tp + fn > 0) m.recall = static_cast<double>(tp) / (tp + fn);
  // 2TP / (2TP + FP + FN) is the harmonic mean of precision and recall with
  // one rounding instead of three, so equal counts give bit-equal F1.
  if (tp > 0) m.f1 = 2.0 * tp / (2.0 * tp + fp + fn);
  return m;
}

double F1OptimalThreshold(const std::vector<ScoredLabel>& scored) {
  int64_t all_anomalies = 0;
  for (const ScoredLabel& s : scored) all_anomalies += s.anomalous ? 1 : 0;
  const std::vector<ScoreGroup> groups = GroupDescending(scored);
  if (all_anomalies == 0 || groups.empty()) return kNaN;

  // Cut k calls groups[0..k] anomalous. F1 = 2TP / (2TP + FP + FN) and
  // precision = TP / (TP + FP) are compared as fractions by cross-multiplying
  // counts, so equal ratios are recognized exactly, not up to rounding.
  // (Products stay below 2^63 for fewer than about a billion images.)
  // Walking from the highest threshold down and replacing the best only on
  // a strict improvement implements "then the higher threshold". That last
  // rule never actually decides: two cuts with equal F1 and precision have
  // equal TP and FP, and nested cuts with equal TP and FP are the same cut.
  int64_t tp = 0, fp = 0;
  int64_t best_f1_num = -1, best_f1_den = 1, best_p_num = 0, best_p_den = 1;
  size_t best = 0;
  for (size_t k = 0; k < groups.size(); ++k) {
    tp += groups[k].anomalies;
    fp += groups[k].normals;
    const int64_t fn = all_anomalies - tp;
    const int64_t f1_num = 2 * tp, f1_den = 2 * tp + fp + fn;  // f1_den >= 1
    const int64_t p_num = tp, p_den = tp + fp;                 // p_den >= 1
    const int64_t f1_cmp = f1_num * best_f1_den - best_f1_num * f1_den;
    const bool better = f1_cmp > 0 || (f1_cmp == 0 && p_num * best_p_den > best_p_num * p_den);
    if (better) {
      best = k;
      best_f1_num = f1_num;
      best_f1_den = f1_den;
      best_p_num = p_num;
      best_p_den = p_den;
    }
  }
  if (best + 1 == groups.size()) return groups.back().score;  // every image called anomalous
  return CutThreshold(groups[best + 1].score, groups[best].score);
}

}  // namespace anomalens
