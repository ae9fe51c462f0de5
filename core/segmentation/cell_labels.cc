#include "core/segmentation/cell_labels.h"

#include <algorithm>
#include <cmath>

namespace anomalens {

int OriginalPixel(int w, double scale, int original_size) {
  const int x = static_cast<int>(std::floor((w + 0.5) / scale));
  return std::min(std::max(x, 0), original_size - 1);
}

std::vector<uint8_t> CellClassLabels(const ClassMask& mask, const WorkingGeometry& geometry, int grid_width,
                                     int grid_height) {
  std::vector<uint8_t> labels(static_cast<size_t>(grid_width) * grid_height, 0);
  std::vector<size_t> counts(256);
  for (int cy = 0; cy < grid_height; ++cy) {
    for (int cx = 0; cx < grid_width; ++cx) {
      // The cell's original-pixel rectangle, clipped to the image.
      const int x0 = static_cast<int>(std::floor(cx * kCellSize / geometry.scale));
      const int y0 = static_cast<int>(std::floor(cy * kCellSize / geometry.scale));
      const int x1 = std::min(mask.width, static_cast<int>(std::ceil((cx + 1) * kCellSize / geometry.scale)));
      const int y1 = std::min(mask.height, static_cast<int>(std::ceil((cy + 1) * kCellSize / geometry.scale)));
      if (x0 >= x1 || y0 >= y1) continue;
      std::fill(counts.begin(), counts.end(), 0);
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) ++counts[mask.labels[static_cast<size_t>(y) * mask.width + x]];
      const size_t area = static_cast<size_t>(x1 - x0) * (y1 - y0);
      if (counts[0] == area) continue;
      const auto top = std::max_element(counts.begin() + 1, counts.end());
      const bool clear = *top >= kMinCellCoverage * area;
      labels[static_cast<size_t>(cy) * grid_width + cx] =
          clear ? static_cast<uint8_t>(top - counts.begin()) : kMixedCell;
    }
  }
  return labels;
}

std::vector<uint8_t> WorkingDefectMask(const ClassMask& mask, const WorkingGeometry& geometry) {
  const Size padded = geometry.padded, content = geometry.content;
  std::vector<uint8_t> out(static_cast<size_t>(padded.width) * padded.height, 0);
  std::vector<int> column(content.width);
  for (int x = 0; x < content.width; ++x) column[x] = OriginalPixel(x, geometry.scale, mask.width);
  for (int y = 0; y < content.height; ++y) {
    const uint8_t* row = &mask.labels[static_cast<size_t>(OriginalPixel(y, geometry.scale, mask.height)) * mask.width];
    for (int x = 0; x < content.width; ++x) out[static_cast<size_t>(y) * padded.width + x] = row[column[x]] != 0;
  }
  return out;
}

}  // namespace anomalens
