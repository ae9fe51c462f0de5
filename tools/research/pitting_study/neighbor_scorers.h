// Nearest-neighbour scorers: a cell's distance to the nearest training
// vector in a bank (shared by all positions, per position, per cell
// coreset) or among the cells of a few retrieved reference images.
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_NEIGHBOR_SCORERS_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_NEIGHBOR_SCORERS_H_

#include <vector>

#include "tools/research/pitting_study/features.h"
#include "tools/research/pitting_study/scores.h"
#include "tools/research/pitting_study/split.h"

namespace anomalens::pitting_study {

// Shared memory bank, greedy coreset like the trainer (ratio of patches).
Scores ScoreShared(const Features& F, const Split& sp, double ratio, Cost* cost);

// Position-aware nearest neighbour: every training patch within +-r cells.
Scores ScorePosNN(const Features& F, const Split& sp, int r, Cost* cost);

// The K train images nearest to each image (L2 over the whole grid of G; a
// train image only looks at other folds): round 5's references. Wear
// sequences photograph the same spindle spot again and again, and the
// training photos include earlier frames of every test sequence; a pit is a
// dark spot that those earlier frames of the same spot do not have, so a
// cell is scored against its image's references alone (ScoreRefNN,
// ScoreRefGauss). Round 1's ScoreRetrieval uses them too.
std::vector<std::vector<int>> NearestTrain(const Features& G, const Split& sp, int K);

// Per cell: the smallest distance to the references' cells within +-s.
// one_sided: only features above the reference's count (more blob-like).
Scores ScoreRefNN(const Features& F, const std::vector<std::vector<int>>& refs, int s, bool one_sided,
                  int kth = 1);

// Reference retrieval: the K training images nearest to the test image (L2
// over the whole feature grid), then position-aware nearest neighbour over
// their patches within +-r cells.
Scores ScoreRetrieval(const Features& F, const Split& sp, int K, int r, Cost* cost);

// Per-cell nearest neighbour against a per-cell coreset of M of the train
// images' vectors at that cell (greedy k-center, starting from the vector
// nearest the cell's mean); held-out: each fold's own coreset of the others.
Scores ScoreCellCoresetNN(const Features& F, const Split& sp, int M);

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_NEIGHBOR_SCORERS_H_
