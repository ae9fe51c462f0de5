#include "native/engine/xnnpack_search.h"

#include <xnnpack.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/base/simd.h"
#include "native/engine/principal_axes.h"

namespace anomalens {
namespace {

// As the portable index sums |q|^2 (four lanes, then pairs).
float SquaredNorm(const float* v, int dim) {
  f32x4 acc = Splat4(0.0f);
  int d = 0;
  for (; d + 4 <= dim; d += 4) {
    const f32x4 x = Load4(v + d);
    acc += x * x;
  }
  float sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (; d < dim; ++d) sum += v[d] * v[d];
  return sum;
}

// The smallest of n floats. Four running minima, not one: each Min4 waits
// for the previous one otherwise, and this scan is a fifth of the search.
// (A minimum is exact in any order, so the result is the same.)
float MinOf(const float* v, size_t n) {
  size_t j = 0;
  float m = std::numeric_limits<float>::infinity();
  if (n >= 16) {
    f32x4 a = Load4(v), b = Load4(v + 4), c = Load4(v + 8), d = Load4(v + 12);
    for (j = 16; j + 16 <= n; j += 16) {
      a = Min4(a, Load4(v + j));
      b = Min4(b, Load4(v + j + 4));
      c = Min4(c, Load4(v + j + 8));
      d = Min4(d, Load4(v + j + 12));
    }
    const f32x4 m4 = Min4(Min4(a, b), Min4(c, d));
    m = std::min(std::min(m4[0], m4[1]), std::min(m4[2], m4[3]));
  }
  for (; j < n; ++j) m = std::min(m, v[j]);
  return m;
}

// The first of the n floats that holds their minimum: the vector minimum,
// then a vector search for it (a scalar arg-min costs as much as the GEMM).
size_t ArgMin(const float* v, size_t n) {
  const float m = MinOf(v, n);
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const i32x4 hit = Load4(v + j) == Splat4(m);
    if (hit[0] | hit[1] | hit[2] | hit[3]) break;
  }
  while (j < n && v[j] != m) ++j;
  return j < n ? j : 0;  // 0 only for NaN, whose rows never win
}

// Bit k set when v[k] < cut, for 16 floats: the pruning scan tests 16 rows
// at once and visits only the set bits (nearly all rows lose, and a branch
// per row mispredicts on the few that win).
uint32_t Below16(const float* v, float cut) {
  const f32x4 c = Splat4(cut);
  uint32_t bits = 0;
  for (int k = 0; k < 4; ++k) {
    const i32x4 below = Load4(v + 4 * k) < c;  // lanes all ones or zero
    bits |= static_cast<uint32_t>((below[0] & 1) | (below[1] & 2) | (below[2] & 4) | (below[3] & 8)) << (4 * k);
  }
  return bits;
}

// |a - b|^2 over dim floats, in the difference form (no cancellation), or
// some value above `limit` as soon as the sum passes it: rotated rows carry
// most of their spread in the first coordinates, so a row that loses shows it
// early.
float SquaredDistanceBelow(const float* a, const float* b, int dim, float limit) {
  f32x4 acc0 = Splat4(0.0f), acc1 = Splat4(0.0f);
  int d = 0;
  for (; d + 8 <= dim; d += 8) {
    const f32x4 x = Load4(a + d) - Load4(b + d), y = Load4(a + d + 4) - Load4(b + d + 4);
    acc0 += x * x;
    acc1 += y * y;
    if ((d & 31) == 24) {  // every 32 coordinates
      const f32x4 acc = acc0 + acc1;
      if ((acc[0] + acc[1]) + (acc[2] + acc[3]) > limit) return std::numeric_limits<float>::infinity();
    }
  }
  const f32x4 acc = acc0 + acc1;
  float sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (; d < dim; ++d) sum += (a[d] - b[d]) * (a[d] - b[d]);
  return sum;
}

}  // namespace

struct XnnpackSearch::Operators {
  std::vector<xnn_operator_t> chunks;  // chunk c: bank rows [c * kChunkRows, ...)
  std::vector<float> products;         // kQueryBlock x kChunkRows (pruned: x the whole bank)
  // Pruned search: queries into the basis, then their bounds to every row.
  xnn_operator_t rotate = nullptr, bounds = nullptr;
  std::vector<float> rotated;  // kQueryBlock x dim
  ~Operators() {
    for (xnn_operator_t op : chunks) xnn_delete_operator(op);
    if (rotate) xnn_delete_operator(rotate);
    if (bounds) xnn_delete_operator(bounds);
  }
};

XnnpackSearch::XnnpackSearch(size_t count, int dim, ParallelFor parallel)
    : count_(count), dim_(dim), parallel_(std::move(parallel)) {}

XnnpackSearch::~XnnpackSearch() = default;

StatusOr<std::unique_ptr<const NearestNeighborSearch>> XnnpackSearch::Create(const float* rows, size_t count, int dim,
                                                                            ParallelFor parallel, Method method) {
  if (dim <= 0 || dim % 4 != 0) {  // as the portable index (its fallback) needs
    return InvalidInput("nearest-neighbour search: feature size must be a positive multiple of 4, got " +
                        std::to_string(dim));
  }
  const xnn_status init = xnn_initialize(nullptr);
  if (init != xnn_status_success) {
    return Internal("XNNPACK initialization failed (status " + std::to_string(static_cast<int>(init)) + ")");
  }
  std::unique_ptr<XnnpackSearch> s(new XnnpackSearch(count, dim, std::move(parallel)));
  s->weights_.resize(count * dim);
  s->bias_.resize(count);
  for (size_t r = 0; r < count; ++r) {
    const float* row = rows + r * dim;
    for (int d = 0; d < dim; ++d) s->weights_[r * dim + d] = -2.0f * row[d];
    s->bias_[r] = SquaredNorm(row, dim);
  }
  s->pruned_ = dim >= kBoundDims && count > 0 &&
               (method == Method::kPruned || (method == Method::kAuto && count >= kMinPrunedRows));
  if (s->pruned_) RETURN_IF_ERROR(s->PreparePruning(rows));
  if (count > 0) {
    // One set now, so a setup XNNPACK refuses fails at load, not mid-detect.
    ASSIGN_OR_RETURN(std::unique_ptr<Operators> first, s->Build());
    s->idle_.push_back(std::move(first));
  }
  return std::unique_ptr<const NearestNeighborSearch>(std::move(s));
}

namespace {

// A fully-connected operator: `inputs` -> `outputs` channels, kernel row o
// the weights of output o.
Status CreateFullyConnected(size_t inputs, size_t outputs, size_t input_stride, size_t output_stride,
                            const float* kernel, const float* bias, xnn_operator_t* op) {
  const xnn_status status = xnn_create_fully_connected_nc_f32(
      inputs, outputs, input_stride, output_stride, kernel, bias, -std::numeric_limits<float>::infinity(),
      std::numeric_limits<float>::infinity(), 0, op);
  if (status != xnn_status_success) {
    return Internal("XNNPACK fully-connected operator for the nearest-neighbour search failed (status " +
                    std::to_string(static_cast<int>(status)) + ")");
  }
  return Status::Ok();
}

}  // namespace

Status XnnpackSearch::PreparePruning(const float* rows) {
  const PrincipalAxes pca = ComputePrincipalAxes(rows, count_, dim_);
  const size_t dim = dim_;
  basis_.resize(dim * dim);
  basis_bias_.resize(dim);
  for (size_t k = 0; k < dim; ++k) {
    double shift = 0;
    for (size_t d = 0; d < dim; ++d) {
      basis_[k * dim + d] = static_cast<float>(pca.axes[k * dim + d]);
      shift += pca.axes[k * dim + d] * pca.mean[d];
    }
    basis_bias_[k] = static_cast<float>(-shift);
  }
  // The bank rotated by the same operator as the queries, so a query that is
  // a bank row lands on it exactly.
  rotated_.resize(count_ * dim);
  xnn_operator_t rotate = nullptr;
  RETURN_IF_ERROR(CreateFullyConnected(dim, dim, dim, dim, basis_.data(), basis_bias_.data(), &rotate));
  const bool ran = xnn_setup_fully_connected_nc_f32(rotate, count_, rows, rotated_.data(), nullptr) ==
                       xnn_status_success &&
                   xnn_run_operator(rotate, nullptr) == xnn_status_success;
  xnn_delete_operator(rotate);
  if (!ran) return Internal("XNNPACK failed rotating the nearest-neighbour bank");
  // The bounds: |P(q - b)|^2 = |Pq|^2 + (|Pb|^2 - 2 Pq.Pb), the bracket a
  // fully-connected layer as in the brute-force search.
  bound_weights_.resize(count_ * kBoundDims);
  bound_bias_.resize(count_);
  for (size_t r = 0; r < count_; ++r) {
    const float* row = &rotated_[r * dim];
    for (int d = 0; d < kBoundDims; ++d) bound_weights_[r * kBoundDims + d] = -2.0f * row[d];
    bound_bias_[r] = SquaredNorm(row, kBoundDims);
    max_bound_bias_ = std::max(max_bound_bias_, bound_bias_[r]);
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<XnnpackSearch::Operators>> XnnpackSearch::Build() const {
  auto ops = std::make_unique<Operators>();
  if (pruned_) {
    RETURN_IF_ERROR(
        CreateFullyConnected(dim_, dim_, dim_, dim_, basis_.data(), basis_bias_.data(), &ops->rotate));
    // Reads the first kBoundDims coordinates of each rotated query.
    RETURN_IF_ERROR(CreateFullyConnected(kBoundDims, count_, dim_, count_, bound_weights_.data(),
                                         bound_bias_.data(), &ops->bounds));
    ops->rotated.resize(kQueryBlock * dim_);
    ops->products.resize(kQueryBlock * count_);
    return ops;
  }
  for (size_t r0 = 0; r0 < count_; r0 += kChunkRows) {
    const size_t rows = std::min(kChunkRows, count_ - r0);
    xnn_operator_t op = nullptr;
    const xnn_status status = xnn_create_fully_connected_nc_f32(
        dim_, rows, /*input_stride=*/dim_, /*output_stride=*/kChunkRows, &weights_[r0 * dim_], &bias_[r0],
        -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity(), 0, &op);
    if (status != xnn_status_success) {
      return Internal("XNNPACK fully-connected operator for the nearest-neighbour search failed (status " +
                      std::to_string(static_cast<int>(status)) + ")");
    }
    ops->chunks.push_back(op);
  }
  ops->products.resize(kQueryBlock * kChunkRows);
  return ops;
}

std::unique_ptr<XnnpackSearch::Operators> XnnpackSearch::Take() const {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (!idle_.empty()) {
      std::unique_ptr<Operators> ops = std::move(idle_.back());
      idle_.pop_back();
      return ops;
    }
    lock.unlock();
    StatusOr<std::unique_ptr<Operators>> built = Build();  // outside the lock: packing takes a while
    lock.lock();
    if (built.ok()) return std::move(built).value();
    // Out of memory for another set: wait for one in use (one always exists).
    returned_.wait(lock, [this] { return !idle_.empty(); });
  }
}

void XnnpackSearch::Give(std::unique_ptr<Operators> ops) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(std::move(ops));
  }
  returned_.notify_one();
}

std::vector<float> XnnpackSearch::Fallback(const float* queries, size_t count) const {
  std::call_once(fallback_once_, [this] {
    std::fprintf(stderr, "anomalens: XNNPACK failed in the nearest-neighbour search; using the portable search\n");
    std::vector<float> rows(weights_.size());
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = -0.5f * weights_[i];  // exact: undoes the -2
    fallback_ = std::make_unique<NearestNeighborIndex>(rows.data(), count_, dim_);
  });
  return fallback_->MinDistances(queries, count);
}

bool XnnpackSearch::Search(Operators& ops, const float* queries, size_t q0, size_t q1, float* result) const {
  float best[kQueryBlock];
  for (; q0 < q1; q0 += kQueryBlock) {
    const size_t queries_here = std::min(kQueryBlock, q1 - q0);
    std::fill(best, best + kQueryBlock, std::numeric_limits<float>::infinity());
    for (size_t c = 0; c < ops.chunks.size(); ++c) {
      const size_t rows = std::min(kChunkRows, count_ - c * kChunkRows);
      // No XNNPACK thread pool: this runs on one of ours (or the caller).
      if (xnn_setup_fully_connected_nc_f32(ops.chunks[c], queries_here, queries + q0 * dim_, ops.products.data(),
                                           nullptr) != xnn_status_success ||
          xnn_run_operator(ops.chunks[c], nullptr) != xnn_status_success) {
        return false;
      }
      for (size_t i = 0; i < queries_here; ++i) best[i] = std::min(best[i], MinOf(&ops.products[i * kChunkRows], rows));
    }
    for (size_t i = 0; i < queries_here; ++i) {
      const float squared = SquaredNorm(queries + (q0 + i) * dim_, dim_) + best[i];
      result[q0 + i] = squared > 0.0f ? std::sqrt(squared) : 0.0f;  // rounding can dip below 0
    }
  }
  return true;
}

bool XnnpackSearch::SearchPruned(Operators& ops, const float* queries, size_t q0, size_t q1, float* result) const {
  for (; q0 < q1; q0 += kQueryBlock) {
    const size_t queries_here = std::min(kQueryBlock, q1 - q0);
    size_t nearest = 0;  // the last query's nearest row
    if (xnn_setup_fully_connected_nc_f32(ops.rotate, queries_here, queries + q0 * dim_, ops.rotated.data(),
                                         nullptr) != xnn_status_success ||
        xnn_run_operator(ops.rotate, nullptr) != xnn_status_success ||
        xnn_setup_fully_connected_nc_f32(ops.bounds, queries_here, ops.rotated.data(), ops.products.data(),
                                         nullptr) != xnn_status_success ||
        xnn_run_operator(ops.bounds, nullptr) != xnn_status_success) {
      return false;
    }
    for (size_t i = 0; i < queries_here; ++i) {
      const float* q = &ops.rotated[i * dim_];
      const float* bound = &ops.products[i * count_];  // |P(q - b)|^2 - |Pq|^2 for each row b
      const float q_norm = SquaredNorm(q, kBoundDims);
      // Rounding of the bounds' GEMM is a few float ulps of |Pq|^2 + |Pb|^2;
      // a row is skipped only when its bound loses by more than this.
      const float slack = 1e-5f * (q_norm + max_bound_bias_);
      // A first row to beat: the previous query's nearest (queries are patches
      // in raster order, neighbours look alike), else the smallest bound.
      // Any row keeps the search exact; a near one prunes more.
      const size_t first = i > 0 ? nearest : ArgMin(bound, count_);
      float best = SquaredDistanceBelow(q, &rotated_[first * dim_], dim_, std::numeric_limits<float>::infinity());
      nearest = first;
      float cut = best - q_norm + slack;
      const auto visit = [&](size_t j) {
        if (!(bound[j] < cut)) return;  // cut may have dropped since the bits were taken
        const float d = SquaredDistanceBelow(q, &rotated_[j * dim_], dim_, best);
        if (d < best) {
          best = d;
          nearest = j;
          cut = best - q_norm + slack;
        }
      };
      size_t j0 = 0;
      for (; j0 + 16 <= count_; j0 += 16) {
        for (uint32_t bits = Below16(bound + j0, cut); bits != 0; bits &= bits - 1) visit(j0 + __builtin_ctz(bits));
      }
      for (; j0 < count_; ++j0) visit(j0);
      result[q0 + i] = std::sqrt(best);
    }
  }
  return true;
}

std::vector<float> XnnpackSearch::MinDistances(const float* queries, size_t count) const {
  std::vector<float> result(count, 0.0f);
  if (count_ == 0 || count == 0) return result;
  // Each distance depends only on its query, so the split does not change it.
  std::atomic<bool> failed{false};
  const size_t blocks = (count + kQueryBlock - 1) / kQueryBlock;
  parallel_(blocks, [&](size_t b0, size_t b1) {
    std::unique_ptr<Operators> ops = Take();
    const size_t q0 = b0 * kQueryBlock, q1 = std::min(count, b1 * kQueryBlock);
    if (!(pruned_ ? SearchPruned(*ops, queries, q0, q1, result.data()) : Search(*ops, queries, q0, q1, result.data())))
      failed = true;
    Give(std::move(ops));
  });
  return failed ? Fallback(queries, count) : result;
}

BuildSearch XnnpackSearchBuilder(ParallelFor parallel) {
  // For comparisons (bench/, agreement checks): ANOMALENS_SEARCH=brute-force
  // (the plain path everywhere) or pruned (every bank, however small).
  const char* chosen = std::getenv("ANOMALENS_SEARCH");
  XnnpackSearch::Method method = XnnpackSearch::Method::kAuto;
  if (chosen && std::strcmp(chosen, "brute-force") == 0) method = XnnpackSearch::Method::kBruteForce;
  if (chosen && std::strcmp(chosen, "pruned") == 0) method = XnnpackSearch::Method::kPruned;
  return [parallel, method](const float* rows, size_t count, int dim) {
    return XnnpackSearch::Create(rows, count, dim, parallel, method);
  };
}

}  // namespace anomalens
