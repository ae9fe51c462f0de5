// XnnpackSearch: the nearest-neighbour search (core/scoring/nearest_neighbor_search.h)
// with its dot products on XNNPACK: the native default alongside the XNNPACK
// backbone. Exact, or (the native default for detection, Approximation
// below) within a stated factor of the nearest row's distance. The portable NearestNeighborIndex stays the reference and the
// wasm path; tests/xnnpack_search_test.cc holds the two together.
//
// |q - b|^2 = |q|^2 + (|b|^2 - 2 q.b). The bracket is a fully-connected
// layer: weights -2b (exact: a power of two), bias |b|^2, so XNNPACK's GEMM
// (AVX-512 on this CPU, where the portable core has 4 lanes) writes it for a
// block of queries against a chunk of the bank, and our code takes each
// query's minimum while the block is in cache. Still every bank row for
// every query: exact, not approximate.
//
// Threads: the pool's threads take ranges of query blocks (the core's
// ParallelFor on the pool), each running XNNPACK on its own thread with its
// own set of operators. One parallel step a search, where handing the pool
// to XNNPACK would make every block's GEMM one: on a shared machine each
// step waits for a descheduled worker. A set of operators serves one thread
// at a time (XNNPACK operators hold their last setup), so concurrent callers
// and threads each get one; idle sets are kept.
//
// Pruning (large banks): most of the products above only show that a row is
// far. At Create the bank's principal axes (PCA: eigenvectors of its
// covariance) become an orthonormal basis, and rows and queries are searched
// in it (a rotation: distances unchanged). The first axes carry most of the
// spread, so distances over them alone are true lower bounds that are nearly
// the whole distance. The rotated bank is cut into blocks of 16 rows that lie
// together (the leaves of a kd-tree on the first kBoxDims coordinates), each
// with its box over those coordinates. A query, starting from the previous
// query's nearest row, skips every block whose box is farther, then every
// row whose distance over the first 16, then kBoundDims, coordinates is,
// and sums the whole distance of the few rows left (about 18 of 4320 on the
// cookies), abandoning it once it loses. Exact: a row is skipped only
// when a lower bound of its distance is worse (with slack for float
// rounding); approximate: when it is worse than the best so far shrunk by
// the Approximation's factors. No GEMM: the blocks a query needs differ from its neighbour's,
// and 16-lane AVX-512 (four lanes elsewhere) on blocks of 16 rows is the
// product where it is needed. ANOMALENS_SEARCH=brute-force in the
// environment keeps every search on the plain path, =pruned prunes every
// bank however small (for comparisons).
#ifndef ANOMALENS_NATIVE_ENGINE_XNNPACK_SEARCH_H_
#define ANOMALENS_NATIVE_ENGINE_XNNPACK_SEARCH_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "core/base/parallel.h"
#include "core/scoring/nearest_neighbor.h"
#include "core/scoring/nearest_neighbor_search.h"

namespace anomalens {

class XnnpackSearch : public NearestNeighborSearch {
 public:
  // The approximate search (the native default; `--exact-search` is all
  // zeros): a distance it returns is some bank row's, so never below the
  // nearest row's, and at most (1 + the larger error) x it. A whole block
  // of 16 rows is skipped once its box's bound is above best / (1 +
  // block_error)^2, a row once its bound or partial distance is above best
  // / (1 + row_error)^2 (best: the nearest row found so far), so when the
  // nearest row is skipped, the one returned is within that factor.
  // Blocks' box bounds are loose (8 of 128 coordinates), so a large block
  // error skips many blocks whose rows are all far; rows' bounds are tight,
  // so their error is kept small. Each up to kMaxRelativeError.
  struct Approximation {  // {}: exact (no member initializers, so a default argument can be {})
    float block_error;
    float row_error;
    float bound() const { return block_error > row_error ? block_error : row_error; }
  };
  // Measured on cookies and bsdata-pitting against the exact search
  // (docs/speed.md, "Approximate search"): the same IsAnomalous,
  // confidences and masks there at these values.
  static constexpr Approximation kDefaultApproximation{0.5f, 0.05f};
  static constexpr float kMaxRelativeError = 1.0f;

  enum class Method {
    kAuto,        // pruned for banks of at least kMinPrunedRows rows, else brute force
    kBruteForce,  // every product, as before pruning
    kPruned,      // lower bounds first (any bank with dim >= kBoundDims)
  };
  // `rows`: `count` vectors of `dim` floats, copied. Queries are spread over
  // `parallel` (empty: the calling thread).
  static StatusOr<std::unique_ptr<const NearestNeighborSearch>> Create(const float* rows, size_t count, int dim,
                                                                      ParallelFor parallel = {},
                                                                      Method method = Method::kAuto,
                                                                      Approximation approximation = {});
  ~XnnpackSearch() override;

  size_t size() const override { return count_; }
  std::vector<float> MinDistances(const float* queries, size_t count) const override;
  // Rows not nearer than a query's bound are pruned from the start (the
  // approximate search's cuts are then relative to the bound as well).
  std::vector<float> MinDistancesWithin(const float* queries, size_t count, const float* bounds) const override;

  // Block sizes: a chunk of the bank is one operator (its packed weights,
  // 256 KB at 128 floats a row, stay in L2), and kQueryBlock queries against
  // it give a 128 KB block of products, reduced while still in cache.
  static constexpr size_t kChunkRows = 512;
  static constexpr size_t kQueryBlock = 64;
  // Pruning: the rows' bounds' dimensions (16 held in registers, then the
  // rest), the blocks' boxes' dimensions, and the smallest bank it pays on
  // (measured: bench/ on the cookie and bsdata models).
  static constexpr int kBoundDims = 32;
  static constexpr int kBoxDims = 8;
  static constexpr size_t kMinPrunedRows = 256;

 private:
  struct Operators;  // one operator per chunk and the product block they write

  XnnpackSearch(size_t count, int dim, ParallelFor parallel);
  StatusOr<std::unique_ptr<Operators>> Build() const;
  std::unique_ptr<Operators> Take() const;
  void Give(std::unique_ptr<Operators> ops) const;
  // The portable search over the same rows, if XNNPACK ever fails mid-call.
  // `bounds`: null, or MinDistancesWithin's caps.
  std::vector<float> Distances(const float* queries, size_t count, const float* bounds) const;
  std::vector<float> Fallback(const float* queries, size_t count, const float* bounds) const;
  // Distances of queries [q0, q1) into result; false when XNNPACK fails.
  bool Search(Operators& ops, const float* queries, size_t q0, size_t q1, const float* bounds, float* result) const;
  // The same with the lower bounds (pruned_).
  bool SearchPruned(Operators& ops, const float* queries, size_t q0, size_t q1, const float* bounds,
                    float* result) const;
  // The basis, the rotated bank and the bounds' weights.
  Status PreparePruning(const float* rows);

  size_t count_;
  int dim_;
  ParallelFor parallel_;
  std::vector<float> weights_;  // -2 x the rows, row after row
  std::vector<float> bias_;     // |row|^2
  // Pruned search only (else empty).
  bool pruned_ = false;
  // (1 + row error)^-2 and (1 + block error)^-2: 1 exact.
  float row_shrink_ = 1;
  float block_shrink_ = 1;
  std::vector<float> basis_;          // kBoundDims x dim: row k is the k-th principal axis
  std::vector<float> basis_bias_;     // -(axis . mean): rotated rows are centred
  std::vector<float> mean_;           // the rows' mean
  std::vector<float> rows_;           // the bank, block after block (see PreparePruning)
  size_t block_count_ = 0;           // blocks of 16 rows, the last one padded
  // Per block: kBoundDims x 16 weights (-2 x coordinate d of each row), then
  // the 16 rows' |.|^2 over the first 16 coordinates, then over the rest of
  // the kBoundDims (padding: infinity).
  std::vector<float> bound_blocks_;
  // Per group of 16 blocks: the lower corners of their boxes over the first
  // kBoxDims coordinates, kBoxDims x 16, then the upper corners.
  std::vector<float> box_corners_;
  float max_centred_norm_ = 0;        // the largest |row - mean|^2, for the rounding slack
  mutable std::mutex mutex_;
  mutable std::condition_variable returned_;
  // Sets not in use; as many exist as calls and threads ever ran at once.
  mutable std::vector<std::unique_ptr<Operators>> idle_;
  mutable std::once_flag fallback_once_;
  mutable std::unique_ptr<NearestNeighborIndex> fallback_;
};

// The hook Detector::Create takes (core/model/detector.h): searches on XNNPACK,
// spread over `parallel` (the native thread pool's ParallelOn).
// `exact`: every distance the nearest row's (to float rounding); else the
// approximate search, XnnpackSearch::kDefaultApproximation.
BuildSearch XnnpackSearchBuilder(ParallelFor parallel, bool exact = false);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_XNNPACK_SEARCH_H_
