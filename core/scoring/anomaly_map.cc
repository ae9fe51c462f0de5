#include "core/scoring/anomaly_map.h"

#include <algorithm>
#include <limits>

#include "core/base/simd.h"
#include "core/image/gaussian_blur.h"
#include "core/image/image_resize.h"

namespace anomalens {

float AnomalyMap::ContentMax() const {
  // Sixteen lanes in four independent maxima, so a row is not one chain of
  // dependent compares (std::max_element's, element by element, was ~0.7% of
  // a segmentation detect). The map's values are finite, so the largest is
  // the same whichever order they are compared in.
  const float lowest = -std::numeric_limits<float>::infinity();
  f32x4 m0 = Splat4(lowest), m1 = m0, m2 = m0, m3 = m0;
  float best = lowest;
  const size_t w = static_cast<size_t>(geometry.padded.width);
  const size_t cw = static_cast<size_t>(geometry.content.width);
  for (int y = 0; y < geometry.content.height; ++y) {
    const float* row = &values[static_cast<size_t>(y) * w];
    size_t x = 0;
    for (; x + 16 <= cw; x += 16) {
      m0 = Max4(Load4(row + x), m0), m1 = Max4(Load4(row + x + 4), m1);
      m2 = Max4(Load4(row + x + 8), m2), m3 = Max4(Load4(row + x + 12), m3);
    }
    for (; x < cw; ++x) best = std::max(best, row[x]);
  }
  const f32x4 m = Max4(Max4(m0, m1), Max4(m2, m3));
  for (int lane = 0; lane < 4; ++lane) best = std::max(best, m[lane]);
  return best;
}

std::vector<float> AnomalyMap::ToOriginal(const ParallelFor& parallel) const {
  const Size c = geometry.content, o = geometry.original, p = geometry.padded;
  if (!(c == o) && c.width == p.width) {
    // The content's rows are the padded map's first ones: resized from
    // there, without a copy (or its zero fill) first.
    std::vector<float> original(static_cast<size_t>(o.width) * o.height);
    ResizePlane(values.data(), c.width, c.height, original.data(), o.width, o.height, parallel);
    return original;
  }
  std::vector<float> content(static_cast<size_t>(c.width) * c.height);
  parallel(c.height, [&](size_t y0, size_t y1) {
    for (size_t y = y0; y < y1; ++y) std::copy_n(&values[y * p.width], c.width, &content[y * c.width]);
  });
  if (c == o) return content;
  std::vector<float> original(static_cast<size_t>(o.width) * o.height);
  ResizePlane(content.data(), c.width, c.height, original.data(), o.width, o.height, parallel);
  return original;
}

AnomalyMap BuildAnomalyMap(const std::vector<float>& patch_scores, int grid_width, int grid_height,
                           const WorkingGeometry& geometry, float smoothing_sigma, const ParallelFor& parallel) {
  AnomalyMap map;
  map.geometry = geometry;
  const Size p = geometry.padded;
  map.values.resize(static_cast<size_t>(p.width) * p.height);
  ResizePlane(patch_scores.data(), grid_width, grid_height, map.values.data(), p.width, p.height, parallel);
  GaussianBlur(map.values, p.width, p.height, smoothing_sigma, parallel);
  return map;
}

}  // namespace anomalens
