#include "core/dark_spot_features.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/gaussian_blur.h"
#include "core/image_resize.h"

namespace anomalens {
namespace {

// Marks cells no pixel has reached yet.
constexpr float kUnset = -1e30f;

std::vector<float> Grey(const RgbImage& image) {
  std::vector<float> grey(static_cast<size_t>(image.width) * image.height);
  const uint8_t* p = image.pixels.data();
  for (size_t k = 0; k < grey.size(); ++k) grey[k] = 0.299f * p[3 * k] + 0.587f * p[3 * k + 1] + 0.114f * p[3 * k + 2];
  return grey;
}

}  // namespace

double DarkSpotScale(double working_scale) { return std::min(1.0, kDarkSpotMaxOversample * working_scale); }

Size DarkSpotAnalysisSize(Size original, double working_scale) {
  const double s = DarkSpotScale(working_scale);
  if (s >= 1.0) return original;
  return {std::max(1, static_cast<int>(std::lround(original.width * s))),
          std::max(1, static_cast<int>(std::lround(original.height * s)))};
}

PatchGrid DarkSpotFeatures(const RgbImage& image, const WorkingGeometry& geometry, int stride) {
  PatchGrid grid;
  grid.width = geometry.padded.width / stride;
  grid.height = geometry.padded.height / stride;
  grid.dim = kDarkSpotFeatures;
  grid.data.assign(grid.cells() * kDarkSpotFeatures, kUnset);
  const Size size = DarkSpotAnalysisSize({image.width, image.height}, geometry.scale);
  std::vector<float> grey = size.width == image.width && size.height == image.height
                                ? Grey(image)
                                : Grey(ResizeImage(image, size.width, size.height));
  const int W = size.width, H = size.height;
  // Analysis pixels a working pixel, per axis.
  const double sx = static_cast<double>(W) / geometry.content.width;
  const double sy = static_cast<double>(H) / geometry.content.height;
  // Each analysis pixel's cell, once.
  std::vector<int> cell_x(W), cell_y(H);
  for (int x = 0; x < W; ++x) cell_x[x] = std::min(static_cast<int>(x / sx) / stride, grid.width - 1);
  for (int y = 0; y < H; ++y) cell_y[y] = std::min(static_cast<int>(y / sy) / stride, grid.height - 1);
  std::vector<float> b;
  // One row's responses, then pooled: the row loop has no scattered stores,
  // so the compiler can vectorize it.
  std::vector<float> eigenvalue(W), laplacian(W);
  for (int s = 0; s < kDarkSpotScales; ++s) {
    const float sigma = kDarkSpotSigmas[s];
    b = grey;
    GaussianBlur(b, W, H, sigma);
    const float s2 = sigma * sigma;
    // Central differences need both neighbours: the outermost pixels take no part.
    for (int y = 1; y < H - 1; ++y) {
      const float* up = &b[static_cast<size_t>(y - 1) * W];
      const float* row = &b[static_cast<size_t>(y) * W];
      const float* down = &b[static_cast<size_t>(y + 1) * W];
      for (int x = 1; x < W - 1; ++x) {
        const float c = row[x];
        const float xx = row[x + 1] + row[x - 1] - 2 * c;
        const float yy = down[x] + up[x] - 2 * c;
        const float xy = 0.25f * (down[x + 1] - down[x - 1] - up[x + 1] + up[x - 1]);
        eigenvalue[x] = s2 * (0.5f * ((xx + yy) - std::sqrt((xx - yy) * (xx - yy) + 4 * xy * xy)));
        laplacian[x] = s2 * (xx + yy);
      }
      // Each run of pixels in one cell (cell_x rises with x): its maxima.
      float* cells = &grid.data[static_cast<size_t>(cell_y[y]) * grid.width * kDarkSpotFeatures + 2 * s];
      for (int x = 1; x < W - 1;) {
        const int cx = cell_x[x];
        float e = eigenvalue[x], l = laplacian[x];
        for (++x; x < W - 1 && cell_x[x] == cx; ++x) e = std::max(e, eigenvalue[x]), l = std::max(l, laplacian[x]);
        float* d = cells + static_cast<size_t>(cx) * kDarkSpotFeatures;
        d[0] = std::max(d[0], e);
        d[1] = std::max(d[1], l);
      }
    }
  }
  // Cells no interior pixel reached (the padding, past the content) take the
  // nearest reached cell's values: the last row and column of the content.
  const int last_x = W >= 3 ? cell_x[W - 2] : 0, last_y = H >= 3 ? cell_y[H - 2] : 0;
  for (int cy = 0; cy < grid.height; ++cy) {
    for (int cx = 0; cx < grid.width; ++cx) {
      float* d = &grid.data[(static_cast<size_t>(cy) * grid.width + cx) * kDarkSpotFeatures];
      if (d[0] != kUnset) continue;
      const float* from = &grid.data[(static_cast<size_t>(std::min(cy, last_y)) * grid.width + std::min(cx, last_x)) *
                                     kDarkSpotFeatures];
      if (from[0] != kUnset) {
        std::memcpy(d, from, sizeof(float) * kDarkSpotFeatures);
      } else {
        std::fill(d, d + kDarkSpotFeatures, 0.0f);  // an image too small for any response
      }
    }
  }
  return grid;
}

}  // namespace anomalens
