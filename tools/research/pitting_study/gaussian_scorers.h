// Per-position Gaussian scorers (PaDiM-style): a cell's Mahalanobis
// distance to the Gaussian of the training vectors at and around it, and
// their variants (one-sided, min over shifted models, trimmed, fitted on
// retrieved references only).
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_GAUSSIAN_SCORERS_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_GAUSSIAN_SCORERS_H_

#include <vector>

#include "tools/research/pitting_study/features.h"
#include "tools/research/pitting_study/scores.h"
#include "tools/research/pitting_study/split.h"

namespace anomalens::pitting_study {

// PaDiM-style per-position Gaussian: mean and covariance of the train
// patches within +-r cells of each cell, covariance + eps * mean(diag) * I,
// scored by the Mahalanobis distance.
Scores ScorePadim(const Features& F, const Split& sp, int r, double eps, Cost* cost);

// One-sided per-position scorer: at each cell, per feature, the centre and
// spread of the train values within +-r cells (mean / sd, or median /
// 1.4826 MAD when robust); a cell's score is the root sum of squares of the
// positive deviations only (more blob-like than normal here), so normal
// variation in the other direction never scores. Held-out folds as in split.h.
Scores ScoreOneSided(const Features& F, const Split& sp, int r, bool robust);

// Shift-tolerant per-position Gaussian: the Gaussians of ScorePadim (train
// patches within +-r cells, ridge eps), each standardized by its own cell's
// held-out train distances; a cell's score is the smallest standardized
// distance to the Gaussians of the cells within +-s (s = 0: ScorePadim +
// CellStandardize). A normal patch whose structure moved by a cell or two
// (the spindle's end, a groove edge) matches a neighbouring model; a pit
// matches none. With trim > 0 each Gaussian is refitted without the
// training patches of the first fit's largest distances (that share of them).
Scores ScorePadimMinShift(const Features& F, const Split& sp, int r, double eps, int shift, double trim = 0);

// Per cell: a Gaussian of the references' cells within +-r (ridge eps of
// the mean variance), Mahalanobis distance (references: NearestTrain).
Scores ScoreRefGauss(const Features& F, const std::vector<std::vector<int>>& refs, int r, double eps);

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_GAUSSIAN_SCORERS_H_
