#include "core/scoring/coreset.h"

#include <cmath>
#include <limits>

#include "core/base/simd.h"

namespace anomalens {
namespace {

float SquaredDistance(const float* a, const float* b, int dim) {
  f32x4 acc = Splat4(0.0f);
  for (int d = 0; d < dim; d += 4) {
    const f32x4 diff = Load4(a + d) - Load4(b + d);
    acc += diff * diff;
  }
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

}  // namespace

std::vector<size_t> GreedyCoreset(const float* rows, size_t count, int dim, size_t target, size_t first) {
  std::vector<size_t> picked;
  if (count == 0) return picked;
  if (target >= count) {
    for (size_t i = 0; i < count; ++i) picked.push_back(i);
    return picked;
  }
  picked.reserve(target);
  // nearest[i]: squared distance from row i to its closest picked row.
  std::vector<float> nearest(count, std::numeric_limits<float>::infinity());
  size_t next = first < count ? first : 0;
  while (picked.size() < target) {
    picked.push_back(next);
    const float* center = rows + next * dim;
    float farthest = -1.0f;
    size_t farthest_index = 0;
    for (size_t i = 0; i < count; ++i) {
      const float d = SquaredDistance(rows + i * dim, center, dim);
      if (d < nearest[i]) nearest[i] = d;
      if (nearest[i] > farthest) {
        farthest = nearest[i];
        farthest_index = i;
      }
    }
    next = farthest_index;
  }
  return picked;
}

std::vector<float> RandomProjection(const float* rows, size_t count, int dim, int out_dim, uint64_t seed) {
  // SplitMix64 signs: +-1 / sqrt(out_dim), an Achlioptas projection.
  std::vector<float> matrix(static_cast<size_t>(dim) * out_dim);
  uint64_t state = seed;
  const float magnitude = 1.0f / std::sqrt(static_cast<float>(out_dim));
  for (float& m : matrix) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    m = ((z ^ (z >> 31)) >> 63) ? magnitude : -magnitude;
  }
  std::vector<float> out(count * out_dim, 0.0f);
  for (size_t r = 0; r < count; ++r) {
    const float* in = rows + r * dim;
    float* o = &out[r * out_dim];
    for (int d = 0; d < dim; ++d) {
      const float v = in[d];
      const float* m = &matrix[static_cast<size_t>(d) * out_dim];
      for (int k = 0; k < out_dim; ++k) o[k] += v * m[k];
    }
  }
  return out;
}

std::vector<CoresetPick> TwoStageCoreset(const std::vector<CoresetSource>& sources, int dim, size_t target,
                                         int candidate_factor) {
  constexpr int kProjectedDim = 32;
  constexpr uint64_t kProjectionSeed = 0x616e6f6d616c656eull;  // "anomalen"
  size_t total = 0;
  for (const CoresetSource& s : sources) total += s.count;
  std::vector<CoresetPick> picks;
  if (total == 0) return picks;
  // Stage 1: each source keeps its share of the candidates (all of them when
  // the candidates would be most of the bank anyway).
  const double share = std::min(1.0, static_cast<double>(candidate_factor) * target / total);
  std::vector<CoresetPick> candidates;
  std::vector<float> projected;
  for (size_t s = 0; s < sources.size(); ++s) {
    const std::vector<float> p = RandomProjection(sources[s].rows, sources[s].count, dim, kProjectedDim, kProjectionSeed);
    const size_t keep = static_cast<size_t>(std::ceil(share * sources[s].count));
    const std::vector<size_t> rows = GreedyCoreset(p.data(), sources[s].count, kProjectedDim, keep);
    for (size_t r : rows) {
      candidates.push_back({s, r});
      projected.insert(projected.end(), &p[r * kProjectedDim], &p[r * kProjectedDim] + kProjectedDim);
    }
  }
  // Stage 2: the coreset of the candidates.
  const std::vector<size_t> chosen = GreedyCoreset(projected.data(), candidates.size(), kProjectedDim, target);
  for (size_t c : chosen) picks.push_back(candidates[c]);
  return picks;
}

}  // namespace anomalens
