// NearestNeighborSearch: nearest-neighbour distances from query patches
// to a memory bank, behind an interface so a platform can run the search on
// a faster engine. The core's own is NearestNeighborIndex (portable SIMD,
// what wasm and `--backend portable` run); native/ supplies one on XNNPACK.
// Every implementation answers the same question (the distance to the
// nearest bank row); the core's is exact, and so is native's with
// --exact-search. Native's default may return a slightly farther row's
// distance, within a stated factor (native/engine/xnnpack_search.h), held
// to the golden set's tolerances (docs/speed.md).
//
//   BuildSearch build = ...;  // empty: the portable index
//   ASSIGN_OR_RETURN(auto search, BuildNearestNeighborSearch(build, rows, count, dim, parallel));
//   std::vector<float> d = search->MinDistances(queries, query_count);
#ifndef ANOMALENS_CORE_SCORING_NEAREST_NEIGHBOR_SEARCH_H_
#define ANOMALENS_CORE_SCORING_NEAREST_NEIGHBOR_SEARCH_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "core/base/parallel.h"
#include "core/base/status.h"

namespace anomalens {

class NearestNeighborSearch {
 public:
  virtual ~NearestNeighborSearch() = default;

  // Bank rows searched.
  virtual size_t size() const = 0;
  // For each of `count` queries (rows of the bank's dim floats), the
  // Euclidean distance to its nearest bank row; all 0 for an empty bank.
  // Safe to call from several threads at once.
  virtual std::vector<float> MinDistances(const float* queries, size_t count) const = 0;
  // As MinDistances, each distance then capped at its query's `bounds[i]`
  // (finite, >= 0): min(MinDistances(...)[i], bounds[i]). A search told the
  // cap may skip every row not nearer than it (native's pruned one does);
  // this one searches everything, then caps, so the core's answer is the
  // same bits as MinDistances and a min.
  virtual std::vector<float> MinDistancesWithin(const float* queries, size_t count, const float* bounds) const {
    std::vector<float> d = MinDistances(queries, count);
    for (size_t i = 0; i < d.size(); ++i) d[i] = bounds[i] < d[i] ? bounds[i] : d[i];  // as std::min
    return d;
  }
};

// Makes a search over `count` rows of `dim` floats (copied: the caller's
// rows need not outlive it). A platform's engine; empty means the core's own.
using BuildSearch =
    std::function<StatusOr<std::unique_ptr<const NearestNeighborSearch>>(const float* rows, size_t count, int dim)>;

// `build`'s search, or with `build` empty the portable NearestNeighborIndex
// spreading its queries over `parallel`.
StatusOr<std::unique_ptr<const NearestNeighborSearch>> BuildNearestNeighborSearch(const BuildSearch& build,
                                                                                  const float* rows, size_t count,
                                                                                  int dim, const ParallelFor& parallel);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SCORING_NEAREST_NEIGHBOR_SEARCH_H_
