#include "core/features/colour_spot_features.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "core/features/dark_spot_features.h"
#include "core/image/gaussian_blur.h"
#include "core/image/image_resize.h"

namespace anomalens {

PatchGrid ColourSpotFeatures(const RgbImage& image, const WorkingGeometry& geometry, int stride, float sigma) {
  PatchGrid grid;
  grid.width = geometry.padded.width / stride;
  grid.height = geometry.padded.height / stride;
  grid.dim = kColourSpotFeatures;
  const float lowest = std::numeric_limits<float>::lowest(), highest = std::numeric_limits<float>::max();
  grid.data.resize(grid.cells() * kColourSpotFeatures);
  for (size_t c = 0; c < grid.cells(); ++c) {
    float* d = &grid.data[c * kColourSpotFeatures];
    d[0] = lowest, d[1] = highest, d[2] = lowest, d[3] = highest;
  }
  // The dark-spot features' analysis image: from the file's size, as there.
  const Size size = DarkSpotAnalysisSize(geometry.original, geometry.scale);
  const RgbImage resized = size.width == image.width && size.height == image.height
                               ? RgbImage{}
                               : ResizeImage(image, size.width, size.height);
  const RgbImage& analysed = resized.pixels.empty() ? image : resized;
  const int W = size.width, H = size.height;
  std::vector<float> rg(static_cast<size_t>(W) * H), yb(rg.size());
  const uint8_t* p = analysed.pixels.data();
  for (size_t k = 0; k < rg.size(); ++k) {
    const float r = p[3 * k], g = p[3 * k + 1], b = p[3 * k + 2];
    rg[k] = r - g;
    yb[k] = 0.5f * (r + g) - b;
  }
  GaussianBlur(rg, W, H, sigma);
  GaussianBlur(yb, W, H, sigma);
  const double sx = static_cast<double>(W) / geometry.content.width;
  const double sy = static_cast<double>(H) / geometry.content.height;
  std::vector<int> cell_x(W);
  for (int x = 0; x < W; ++x) cell_x[x] = std::min(static_cast<int>(x / sx) / stride, grid.width - 1);
  int last_x = 0, last_y = 0;
  for (int y = 0; y < H; ++y) {
    const int cy = std::min(static_cast<int>(y / sy) / stride, grid.height - 1);
    last_y = std::max(last_y, cy);
    for (int x = 0; x < W; ++x) {
      const size_t k = static_cast<size_t>(y) * W + x;
      float* d = &grid.data[(static_cast<size_t>(cy) * grid.width + cell_x[x]) * kColourSpotFeatures];
      d[0] = std::max(d[0], rg[k]);
      d[1] = std::min(d[1], rg[k]);
      d[2] = std::max(d[2], yb[k]);
      d[3] = std::min(d[3], yb[k]);
    }
  }
  if (W > 0) last_x = cell_x[W - 1];
  // Cells no pixel reached (the padding) take the nearest reached cell's values.
  for (int cy = 0; cy < grid.height; ++cy)
    for (int cx = 0; cx < grid.width; ++cx) {
      float* d = &grid.data[(static_cast<size_t>(cy) * grid.width + cx) * kColourSpotFeatures];
      if (d[0] != lowest) continue;
      const float* from =
          &grid.data[(static_cast<size_t>(std::min(cy, last_y)) * grid.width + std::min(cx, last_x)) * kColourSpotFeatures];
      if (from[0] != lowest) {
        std::memcpy(d, from, sizeof(float) * kColourSpotFeatures);
      } else {
        std::fill(d, d + kColourSpotFeatures, 0.0f);
      }
    }
  return grid;
}

}  // namespace anomalens
