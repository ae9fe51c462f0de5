// Exact nearest-neighbour distances from query patches to the memory bank,
// computed in matrix-product form: |q - b|^2 = |q|^2 + |b|^2 - 2 q.b, with the
// bank's norms precomputed and its rows packed four at a time so the dot
// products run as a blocked, vectorized GEMM.
//
//   NearestNeighborIndex index(bank_rows, rows, dim);
//   std::vector<float> d = index.MinDistances(grid.data.data(), grid.cells());
#ifndef ANOMALENS_CORE_SCORING_NEAREST_NEIGHBOR_H_
#define ANOMALENS_CORE_SCORING_NEAREST_NEIGHBOR_H_

#include <cstddef>
#include <vector>

#include "core/base/parallel.h"
#include "core/base/simd.h"
#include "core/scoring/nearest_neighbor_search.h"

namespace anomalens {

class NearestNeighborIndex : public NearestNeighborSearch {
 public:
  NearestNeighborIndex() = default;
  // rows: `count` vectors of `dim` floats (dim % 4 == 0), copied and packed.
  // `parallel`: the hook the two-argument MinDistances spreads queries over.
  NearestNeighborIndex(const float* rows, size_t count, int dim, ParallelFor parallel = {});

  size_t size() const override { return count_; }
  int dim() const { return dim_; }

  // MinDistances below on the hook given at construction.
  std::vector<float> MinDistances(const float* queries, size_t count) const override {
    return MinDistances(queries, count, parallel_);
  }

  // Returns, for each of `count` queries, the Euclidean distance to its
  // nearest bank row (0 when the bank is empty... never: callers check).
  // `parallel` spreads blocks of queries over threads; the result is the same without it.
  std::vector<float> MinDistances(const float* queries, size_t count, const ParallelFor& parallel) const;

 private:
  // Block sizes: 4 queries against 2 panels (8 bank rows) keep 8 accumulators
  // in registers on SSE and SIMD128; 64 panels (256 rows, 128 KB at 128
  // floats a row) stay in L2 while every query block of a thread passes them.
  static constexpr int kQueryBlock = 4;
  static constexpr size_t kPanelChunk = 64;
  // Folds panels [p0, p1) into the per-lane minima of |b|^2 - 2 q.b for 4
  // queries, given splatted: splat[d * 4 + i] holds query i's value d in every lane.
  void MinOverPanels(const f32x4* splat, size_t p0, size_t p1, f32x4 best[kQueryBlock]) const;

  size_t count_ = 0;
  int dim_ = 0;
  size_t panels_ = 0;
  // Rows packed in panels of 4: panel p holds rows 4p..4p+3 interleaved,
  // packed_[(p * dim + d) * 4 + lane]. Missing rows in the last panel are
  // padded with copies of the last real row, so they never win the minimum
  // incorrectly.
  std::vector<float> packed_;
  std::vector<float> norms_;  // per packed lane, |b|^2
  ParallelFor parallel_;
};

// The reference the index is tested against: brute force, one pair at a time.
std::vector<float> BruteForceMinDistances(const float* bank, size_t bank_count, const float* queries,
                                          size_t query_count, int dim);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SCORING_NEAREST_NEIGHBOR_H_
