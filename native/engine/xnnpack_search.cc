#include "native/engine/xnnpack_search.h"

#include <xnnpack.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/base/simd.h"

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

}  // namespace

struct XnnpackSearch::Operators {
  std::vector<xnn_operator_t> chunks;  // chunk c: bank rows [c * kChunkRows, ...)
  std::vector<float> products;         // kQueryBlock x kChunkRows
  ~Operators() {
    for (xnn_operator_t op : chunks) xnn_delete_operator(op);
  }
};

XnnpackSearch::XnnpackSearch(size_t count, int dim, ParallelFor parallel)
    : count_(count), dim_(dim), parallel_(std::move(parallel)) {}

XnnpackSearch::~XnnpackSearch() = default;

StatusOr<std::unique_ptr<const NearestNeighborSearch>> XnnpackSearch::Create(const float* rows, size_t count, int dim,
                                                                            ParallelFor parallel) {
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
  if (count > 0) {
    // One set now, so a setup XNNPACK refuses fails at load, not mid-detect.
    ASSIGN_OR_RETURN(std::unique_ptr<Operators> first, s->Build());
    s->idle_.push_back(std::move(first));
  }
  return std::unique_ptr<const NearestNeighborSearch>(std::move(s));
}

StatusOr<std::unique_ptr<XnnpackSearch::Operators>> XnnpackSearch::Build() const {
  auto ops = std::make_unique<Operators>();
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

std::vector<float> XnnpackSearch::MinDistances(const float* queries, size_t count) const {
  std::vector<float> result(count, 0.0f);
  if (count_ == 0 || count == 0) return result;
  // Each distance depends only on its query, so the split does not change it.
  std::atomic<bool> failed{false};
  const size_t blocks = (count + kQueryBlock - 1) / kQueryBlock;
  parallel_(blocks, [&](size_t b0, size_t b1) {
    std::unique_ptr<Operators> ops = Take();
    if (!Search(*ops, queries, b0 * kQueryBlock, std::min(count, b1 * kQueryBlock), result.data())) failed = true;
    Give(std::move(ops));
  });
  return failed ? Fallback(queries, count) : result;
}

BuildSearch XnnpackSearchBuilder(ParallelFor parallel) {
  return [parallel](const float* rows, size_t count, int dim) {
    return XnnpackSearch::Create(rows, count, dim, parallel);
  };
}

}  // namespace anomalens
