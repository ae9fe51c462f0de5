// Greedy k-centre coreset selection (PatchCore): picks rows so that every row
// of the full bank is as close as possible to a picked one. It keeps the
// memory bank, and the time to search it, bounded as training sets grow.
#ifndef ANOMALENS_CORE_SCORING_CORESET_H_
#define ANOMALENS_CORE_SCORING_CORESET_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/base/parallel.h"

namespace anomalens {

// Returns the indices of `target` rows out of `count` rows of `dim` floats
// (dim % 4 == 0), in the order they were picked. Starts at row `first`; each
// step picks the row farthest from everything picked so far (lowest index on
// ties). Returns all rows when target >= count. Cost: count x target x dim.
// Each step's distance updates run in fixed blocks of rows on `parallel`;
// the blocks' farthest rows are then compared in order, so the picks are
// the same whatever the thread count.
std::vector<size_t> GreedyCoreset(const float* rows, size_t count, int dim, size_t target, size_t first = 0,
                                  const ParallelFor& parallel = {});

// Rows projected to `out_dim` dimensions by a fixed random +-1/sqrt(out_dim)
// matrix (seeded, the same on every target). Distances are preserved up to a
// small relative error (Johnson-Lindenstrauss), which is all the greedy
// selection needs, at a fraction of the cost.
std::vector<float> RandomProjection(const float* rows, size_t count, int dim, int out_dim, uint64_t seed);

// One image's patches, for a coreset over many images.
struct CoresetSource {
  const float* rows;
  size_t count;
};
struct CoresetPick {
  size_t source;
  size_t row;
};

// A coreset of `target` rows over all sources' rows, in two greedy stages so
// the cost grows linearly with the number of images: each source first keeps
// its share of `candidate_factor` x target candidates, then the candidates
// are reduced to `target`. Selection runs on a 32-dimensional projection.
// The sources' first stages run side by side on `parallel`, the second
// stage's steps as GreedyCoreset's: the same picks on any thread count.
std::vector<CoresetPick> TwoStageCoreset(const std::vector<CoresetSource>& sources, int dim, size_t target,
                                         int candidate_factor = 4, const ParallelFor& parallel = {});

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SCORING_CORESET_H_
