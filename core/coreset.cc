#include "core/coreset.h"

#include <limits>

#include "core/simd.h"

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

}  // namespace anomalens
