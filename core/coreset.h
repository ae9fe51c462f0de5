// Greedy k-centre coreset selection (PatchCore): picks rows so that every row
// of the full bank is as close as possible to a picked one. It keeps the
// memory bank, and the time to search it, bounded as training sets grow.
#ifndef ANOMALENS_CORE_CORESET_H_
#define ANOMALENS_CORE_CORESET_H_

#include <cstddef>
#include <vector>

namespace anomalens {

// Returns the indices of `target` rows out of `count` rows of `dim` floats
// (dim % 4 == 0), in the order they were picked. Starts at row `first`; each
// step picks the row farthest from everything picked so far (lowest index on
// ties). Returns all rows when target >= count.
std::vector<size_t> GreedyCoreset(const float* rows, size_t count, int dim, size_t target, size_t first = 0);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_CORESET_H_
