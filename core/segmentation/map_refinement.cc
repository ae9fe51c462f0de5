#include "core/segmentation/map_refinement.h"

#include <algorithm>

#include "core/image/guided_filter.h"
#include "core/image/image_resize.h"

namespace anomalens {

std::vector<float> WorkingGuide(const RgbImage& image, const WorkingGeometry& geometry, const ParallelFor& parallel) {
  const Size c = geometry.content, p = geometry.padded;
  RgbImage resized_storage;
  const bool same_size = image.width == c.width && image.height == c.height;
  if (!same_size) resized_storage = ResizeImage(image, c.width, c.height, parallel);
  const RgbImage& resized = same_size ? image : resized_storage;
  std::vector<float> guide(static_cast<size_t>(p.width) * p.height);
  if (resized.width != c.width || resized.height != c.height || c.width < 1 || c.height < 1) return guide;
  parallel(p.height, [&](size_t y0, size_t y1) {  // rows are independent
    for (int y = static_cast<int>(y0); y < static_cast<int>(y1); ++y) {
      const int sy = std::min(y, c.height - 1);
      for (int x = 0; x < p.width; ++x) {
        const uint8_t* px = resized.at(std::min(x, c.width - 1), sy);
        guide[static_cast<size_t>(y) * p.width + x] = (0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2]) / 255.0f;
      }
    }
  });
  return guide;
}

void RefineMap(const MapRefinement& refinement, const std::vector<float>& guide, AnomalyMap* map,
               const ParallelFor& parallel) {
  if (!refinement.enabled()) return;
  const Size p = map->geometry.padded;
  map->values = GuidedFilter(guide, map->values, p.width, p.height, refinement.radius, refinement.epsilon, parallel);
}

}  // namespace anomalens
