#include "core/nearest_neighbor.h"

#include <cmath>
#include <limits>

#include "core/simd.h"

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

// Block sizes: 4 queries against 2 panels (8 bank rows) keep 8 accumulators
// in registers on SSE and SIMD128.
constexpr int kQueryBlock = 4;

}  // namespace

NearestNeighborIndex::NearestNeighborIndex(const float* rows, size_t count, int dim)
    : count_(count), dim_(dim), panels_((count + 3) / 4) {
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

std::vector<float> NearestNeighborIndex::MinDistances(const float* queries, size_t count) const {
  std::vector<float> result(count, 0.0f);
  if (count_ == 0) return result;
  const int dim = dim_;
  std::vector<float> query_norms(count);
  for (size_t q = 0; q < count; ++q) query_norms[q] = SquaredNorm(queries + q * dim, dim);

  const float inf = std::numeric_limits<float>::infinity();
  for (size_t q0 = 0; q0 < count; q0 += kQueryBlock) {
    const int nq = static_cast<int>(std::min<size_t>(kQueryBlock, count - q0));
    f32x4 best[kQueryBlock];
    for (int i = 0; i < kQueryBlock; ++i) best[i] = Splat4(inf);
    // For rows beyond the last query, reuse the last one; their results are dropped.
    const float* qrow[kQueryBlock];
    for (int i = 0; i < kQueryBlock; ++i) qrow[i] = queries + (q0 + std::min(i, nq - 1)) * dim;

    size_t p = 0;
    for (; p + 2 <= panels_; p += 2) {
      const float* a = &packed_[p * dim * 4];
      const float* b = &packed_[(p + 1) * dim * 4];
      f32x4 dot_a[kQueryBlock], dot_b[kQueryBlock];
      for (int i = 0; i < kQueryBlock; ++i) dot_a[i] = dot_b[i] = Splat4(0.0f);
      for (int d = 0; d < dim; ++d) {
        const f32x4 va = Load4(a + d * 4), vb = Load4(b + d * 4);
        for (int i = 0; i < kQueryBlock; ++i) {
          const f32x4 s = Splat4(qrow[i][d]);
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
    for (; p < panels_; ++p) {
      const float* a = &packed_[p * dim * 4];
      f32x4 dot_a[kQueryBlock];
      for (int i = 0; i < kQueryBlock; ++i) dot_a[i] = Splat4(0.0f);
      for (int d = 0; d < dim; ++d) {
        const f32x4 va = Load4(a + d * 4);
        for (int i = 0; i < kQueryBlock; ++i) dot_a[i] += Splat4(qrow[i][d]) * va;
      }
      const f32x4 na = Load4(&norms_[p * 4]);
      for (int i = 0; i < kQueryBlock; ++i) best[i] = Min4(best[i], na - Splat4(2.0f) * dot_a[i]);
    }
    for (int i = 0; i < nq; ++i) {
      const float m = std::min(std::min(best[i][0], best[i][1]), std::min(best[i][2], best[i][3]));
      const float squared = query_norms[q0 + i] + m;
      result[q0 + i] = squared > 0.0f ? std::sqrt(squared) : 0.0f;  // rounding can dip below 0
    }
  }
  return result;
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
