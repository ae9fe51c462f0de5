// Image-level classification metrics, as Lookout's evaluation reports them.
#ifndef ANOMALENS_CORE_LOOKOUT_METRICS_H_
#define ANOMALENS_CORE_LOOKOUT_METRICS_H_

#include <vector>

namespace anomalens {

// One scored image: its anomaly score and whether it is truly anomalous.
struct ScoredLabel {
  double score = 0;
  bool anomalous = false;
};

struct ClassificationMetrics {
  double precision = 0;  // TP / (TP + FP); 0 when nothing is predicted anomalous
  double recall = 0;     // TP / (TP + FN); 0 when there are no anomalies
  double f1 = 0;         // harmonic mean of the two; 0 when both are 0
  int true_positives = 0, false_positives = 0, true_negatives = 0, false_negatives = 0;
};

// The metrics below return quiet NaN, not a made-up number, when they are
// undefined: a class is empty, or a score is NaN. A report must show "no
// value" rather than a plausible 0.5 that no model earned. Infinite scores
// are ordinary scores. Results do not depend on the order of `scored`.

// Area under the ROC curve, ties counted half (the Mann-Whitney statistic):
// the probability that a random anomaly outscores a random normal image.
// NaN when there are no anomalies or no normal images (ROC is undefined), or
// when any score is NaN.
double RocAuc(const std::vector<ScoredLabel>& scored);

// Average precision: the sum over anomalies, ranked by descending score, of
// precision at each anomaly's rank, divided by the number of anomalies
// (sklearn's step definition; images with tied scores form one step, and
// each anomaly in it gets the precision at the end of the step).
// NaN when there are no anomalies or when any score is NaN.
double AveragePrecision(const std::vector<ScoredLabel>& scored);

// Metrics when images scoring >= threshold are called anomalous (a NaN score
// is never >= anything, so it is called normal).
ClassificationMetrics MetricsAtThreshold(const std::vector<ScoredLabel>& scored, double threshold);

// The threshold that maximizes F1 under MetricsAtThreshold's rule.
// Every cut between adjacent distinct scores is evaluated, plus the cut that
// calls every image anomalous. The threshold of a cut is the midpoint between
// the lowest score called anomalous and the highest score below it, so the
// margin to both sides is as wide as possible; when every image is called
// anomalous it is the lowest score itself. Among cuts with equal F1 the one
// with higher precision wins, then the higher threshold (F1 and precision are
// compared exactly, as ratios of counts, so ties are real ties).
// Needs at least one anomaly; returns NaN when there is none (every F1 is 0)
// or when every score is NaN. NaN-scored images take part as normal calls.
double F1OptimalThreshold(const std::vector<ScoredLabel>& scored);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_LOOKOUT_METRICS_H_
