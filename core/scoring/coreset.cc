#include "core/scoring/coreset.h"

#include <algorithm>
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

std::vector<size_t> GreedyCoreset(const float* rows, size_t count, int dim, size_t target, size_t first,
                                  const ParallelFor& parallel) {
  std::vector<size_t> picked;
  if (count == 0) return picked;
  if (target >= count) {
    for (size_t i = 0; i < count; ++i) picked.push_back(i);
    return picked;
  }
  picked.reserve(target);
  // nearest[i]: squared distance from row i to its closest picked row.
  std::vector<float> nearest(count, std::numeric_limits<float>::infinity());
  // Blocks of rows, each a step's unit of parallel work: large enough that a
  // step's dispatch costs little against its distances.
  constexpr size_t kBlockRows = 2048;
  const size_t blocks = (count + kBlockRows - 1) / kBlockRows;
  struct Farthest {
    float distance;
    size_t index;
  };
  std::vector<Farthest> block_farthest(blocks);
  size_t next = first < count ? first : 0;
  while (picked.size() < target) {
    picked.push_back(next);
    const float* center = rows + next * dim;
    parallel(blocks, [&](size_t begin, size_t end) {
      for (size_t b = begin; b < end; ++b) {
        Farthest f{-1.0f, 0};
        for (size_t i = b * kBlockRows; i < std::min(count, (b + 1) * kBlockRows); ++i) {
          const float d = SquaredDistance(rows + i * dim, center, dim);
          if (d < nearest[i]) nearest[i] = d;
          if (nearest[i] > f.distance) f = {nearest[i], i};
        }
        block_farthest[b] = f;
      }
    });
    // In block order, strictly farther only: the lowest index wins ties, as
    // one pass over all rows would pick.
    Farthest farthest = block_farthest[0];
    for (size_t b = 1; b < blocks; ++b)
      if (block_farthest[b].distance > farthest.distance) farthest = block_farthest[b];
    next = farthest.index;
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
                                         int candidate_factor, const ParallelFor& parallel) {
  constexpr int kProjectedDim = 32;
  constexpr uint64_t kProjectionSeed = 0x616e6f6d616c656eull;  // "anomalen"
  size_t total = 0;
  for (const CoresetSource& s : sources) total += s.count;
  std::vector<CoresetPick> picks;
  if (total == 0) return picks;
  // Stage 1: each source keeps its share of the candidates (all of them when
  // the candidates would be most of the bank anyway).
  const double share = std::min(1.0, static_cast<double>(candidate_factor) * target / total);
  std::vector<std::vector<float>> source_projected(sources.size());
  std::vector<std::vector<size_t>> source_rows(sources.size());
  parallel(sources.size(), [&](size_t begin, size_t end) {
    for (size_t s = begin; s < end; ++s) {
      const std::vector<float> p =
          RandomProjection(sources[s].rows, sources[s].count, dim, kProjectedDim, kProjectionSeed);
      const size_t keep = static_cast<size_t>(std::ceil(share * sources[s].count));
      source_rows[s] = GreedyCoreset(p.data(), sources[s].count, kProjectedDim, keep);
      // Only the candidates' projections are kept for stage 2.
      for (size_t r : source_rows[s])
        source_projected[s].insert(source_projected[s].end(), &p[r * kProjectedDim], &p[(r + 1) * kProjectedDim]);
    }
  });
  std::vector<CoresetPick> candidates;
  std::vector<float> projected;
  for (size_t s = 0; s < sources.size(); ++s) {
    for (size_t r : source_rows[s]) candidates.push_back({s, r});
    projected.insert(projected.end(), source_projected[s].begin(), source_projected[s].end());
    source_projected[s] = std::vector<float>();
  }
  // Stage 2: the coreset of the candidates.
  const std::vector<size_t> chosen =
      GreedyCoreset(projected.data(), candidates.size(), kProjectedDim, target, 0, parallel);
  for (size_t c : chosen) picks.push_back(candidates[c]);
  return picks;
}

}  // namespace anomalens
