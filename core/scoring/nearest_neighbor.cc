#include "core/scoring/nearest_neighbor.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "core/base/simd.h"

namespace anomalens {
namespace {

float SquaredNorm(const float* v, int dim) {
  f32x4 acc = Splat4(0.0f);
  for (int d = 0; d < dim; d += 4) {
    const f32x4 x = Load4(v + d);
    acc += x * x;
  }
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

}  // namespace

NearestNeighborIndex::NearestNeighborIndex(const float* rows, size_t count, int dim, ParallelFor parallel)
    : count_(count), dim_(dim), panels_((count + 3) / 4), parallel_(std::move(parallel)) {
  packed_.resize(panels_ * dim * 4);
  norms_.resize(panels_ * 4);
  for (size_t p = 0; p < panels_; ++p) {
    for (int lane = 0; lane < 4; ++lane) {
      size_t r = p * 4 + lane;
      if (r >= count) r = count - 1;  // pad with the last row: same distance, no false minimum
      const float* row = rows + r * dim;
      for (int d = 0; d < dim; ++d) packed_[(p * dim + d) * 4 + lane] = row[d];
      norms_[p * 4 + lane] = SquaredNorm(row, dim);
    }
  }
}

void NearestNeighborIndex::MinOverPanels(const f32x4* splat, size_t p0, size_t p1, f32x4 best[kQueryBlock]) const {
  const int dim = dim_;
  size_t p = p0;
  for (; p + 2 <= p1; p += 2) {
    const float* a = &packed_[p * dim * 4];
    const float* b = &packed_[(p + 1) * dim * 4];
    f32x4 dot_a[kQueryBlock], dot_b[kQueryBlock];
    for (int i = 0; i < kQueryBlock; ++i) dot_a[i] = dot_b[i] = Splat4(0.0f);
    for (int d = 0; d < dim; ++d) {
      const f32x4 va = Load4(a + d * 4), vb = Load4(b + d * 4);
      for (int i = 0; i < kQueryBlock; ++i) {
        const f32x4 s = splat[d * kQueryBlock + i];
        dot_a[i] += s * va;
        dot_b[i] += s * vb;
      }
    }
    const f32x4 na = Load4(&norms_[p * 4]), nb = Load4(&norms_[(p + 1) * 4]);
    for (int i = 0; i < kQueryBlock; ++i) {
      best[i] = Min4(best[i], na - Splat4(2.0f) * dot_a[i]);
      best[i] = Min4(best[i], nb - Splat4(2.0f) * dot_b[i]);
    }
  }
  for (; p < p1; ++p) {
    const float* a = &packed_[p * dim * 4];
    f32x4 dot_a[kQueryBlock];
    for (int i = 0; i < kQueryBlock; ++i) dot_a[i] = Splat4(0.0f);
    for (int d = 0; d < dim; ++d) {
      const f32x4 va = Load4(a + d * 4);
      for (int i = 0; i < kQueryBlock; ++i) dot_a[i] += splat[d * kQueryBlock + i] * va;
    }
    const f32x4 na = Load4(&norms_[p * 4]);
    for (int i = 0; i < kQueryBlock; ++i) best[i] = Min4(best[i], na - Splat4(2.0f) * dot_a[i]);
  }
}

std::vector<float> NearestNeighborIndex::MinDistances(const float* queries, size_t count,
                                                      const ParallelFor& parallel) const {
  std::vector<float> result(count, 0.0f);
  if (count_ == 0 || count == 0) return result;
  const int dim = dim_;
  const size_t blocks = (count + kQueryBlock - 1) / kQueryBlock;
  // Threads take ranges of query blocks. Within a range the bank is walked a
  // chunk of panels at a time, every block of the range against one chunk
  // while it is in cache. Each distance is the same sum in the same order
  // however the work is split, and the minimum is exact, so the result does
  // not depend on the thread count or the chunking.
  parallel(blocks, [&](size_t b0, size_t b1) {
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<f32x4> best((b1 - b0) * kQueryBlock, Splat4(inf));
    // A block's queries with each value splatted across a vector: the inner
    // loop then loads them instead of broadcasting (a shuffle on SSE).
    std::vector<f32x4> splat(static_cast<size_t>(dim) * kQueryBlock);
    for (size_t c0 = 0; c0 < panels_; c0 += kPanelChunk) {
      const size_t c1 = std::min(panels_, c0 + kPanelChunk);
      for (size_t b = b0; b < b1; ++b) {
        const size_t q0 = b * kQueryBlock;
        const size_t last = std::min(count, q0 + kQueryBlock) - 1;
        for (int i = 0; i < kQueryBlock; ++i) {
          // Rows past the last query repeat it; their results are dropped.
          const float* row = queries + std::min(q0 + i, last) * dim;
          for (int d = 0; d < dim; ++d) splat[d * kQueryBlock + i] = Splat4(row[d]);
        }
        MinOverPanels(splat.data(), c0, c1, &best[(b - b0) * kQueryBlock]);
      }
    }
    for (size_t b = b0; b < b1; ++b) {
      for (int i = 0; i < kQueryBlock; ++i) {
        const size_t q = b * kQueryBlock + i;
        if (q >= count) break;
        const f32x4 m4 = best[(b - b0) * kQueryBlock + i];
        const float m = std::min(std::min(m4[0], m4[1]), std::min(m4[2], m4[3]));
        const float squared = SquaredNorm(queries + q * dim, dim) + m;
        result[q] = squared > 0.0f ? std::sqrt(squared) : 0.0f;  // rounding can dip below 0
      }
    }
  });
  return result;
}

StatusOr<std::unique_ptr<const NearestNeighborSearch>> BuildNearestNeighborSearch(const BuildSearch& build,
                                                                                  const float* rows, size_t count,
                                                                                  int dim, const ParallelFor& parallel) {
  if (build) return build(rows, count, dim);
  return std::unique_ptr<const NearestNeighborSearch>(new NearestNeighborIndex(rows, count, dim, parallel));
}

std::vector<float> BruteForceMinDistances(const float* bank, size_t bank_count, const float* queries,
                                          size_t query_count, int dim) {
  std::vector<float> result(query_count, 0.0f);
  for (size_t q = 0; q < query_count; ++q) {
    double best = std::numeric_limits<double>::infinity();
    for (size_t b = 0; b < bank_count; ++b) {
      double sum = 0;
      for (int d = 0; d < dim; ++d) {
        const double diff = double(queries[q * dim + d]) - double(bank[b * dim + d]);
        sum += diff * diff;
      }
      best = std::min(best, sum);
    }
    result[q] = bank_count ? static_cast<float>(std::sqrt(best)) : 0.0f;
  }
  return result;
}

}  // namespace anomalens
