#include "core/features/dark_spot_features.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/image/gaussian_blur.h"
#include "core/image/image_resize.h"

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

// A grey plane.
struct Plane {
  std::vector<float> pixels;
  int width = 0, height = 0;
};

// Scales from 4 px up are analysed on a halved image (a pyramid level) at
// 2 to 4 of its pixels, so each blur has at most 33 taps: the level whose
// pixels make the scale 2 to 4 (0 below 4 px).
int PyramidLevel(float sigma) {
  int level = 0;
  for (float s = sigma; s >= 4.0f; s *= 0.5f) ++level;
  return level;
}

// The next pyramid level: each pixel the mean of a 2x2 block (the last row
// or column repeated when the size is odd).
Plane Halve(const Plane& p) {
  Plane h;
  h.width = (p.width + 1) / 2;
  h.height = (p.height + 1) / 2;
  h.pixels.resize(static_cast<size_t>(h.width) * h.height);
  for (int y = 0; y < h.height; ++y) {
    const float* r0 = &p.pixels[static_cast<size_t>(2 * y) * p.width];
    const float* r1 = &p.pixels[static_cast<size_t>(std::min(2 * y + 1, p.height - 1)) * p.width];
    for (int x = 0; x < h.width; ++x) {
      const int x1 = std::min(2 * x + 1, p.width - 1);
      h.pixels[static_cast<size_t>(y) * h.width + x] = 0.25f * ((r0[2 * x] + r0[x1]) + (r1[2 * x] + r1[x1]));
    }
  }
  return h;
}

// The two responses of scale `sigma` (analysis pixels) on pyramid level
// `level`, every pixel (neighbours past the edge repeat the edge), each
// cell taking the largest over the level pixels its analysis span touches.
// Scale-normalized responses do not change with the pixel size, so they
// match the full-resolution ones but for the blur's discretization.
void PoolLevel(const Plane& p, int level, float sigma, const std::vector<int>& first_x, const std::vector<int>& last_x,
               const std::vector<int>& first_y, const std::vector<int>& last_y, int offset, PatchGrid* grid) {
  const int W = p.width, H = p.height;
  const float s = sigma / static_cast<float>(1 << level);
  std::vector<float> b = p.pixels;
  GaussianBlur(b, W, H, s);
  const float s2 = s * s;
  std::vector<float> eigenvalue(b.size()), laplacian(b.size());
  for (int y = 0; y < H; ++y) {
    const float* up = &b[static_cast<size_t>(std::max(y - 1, 0)) * W];
    const float* row = &b[static_cast<size_t>(y) * W];
    const float* down = &b[static_cast<size_t>(std::min(y + 1, H - 1)) * W];
    for (int x = 0; x < W; ++x) {
      const int l = std::max(x - 1, 0), r = std::min(x + 1, W - 1);
      const float c = row[x];
      const float xx = row[r] + row[l] - 2 * c;
      const float yy = down[x] + up[x] - 2 * c;
      const float xy = 0.25f * (down[r] - down[l] - up[r] + up[l]);
      eigenvalue[static_cast<size_t>(y) * W + x] = s2 * (0.5f * ((xx + yy) - std::sqrt((xx - yy) * (xx - yy) + 4 * xy * xy)));
      laplacian[static_cast<size_t>(y) * W + x] = s2 * (xx + yy);
    }
  }
  for (int cy = 0; cy < grid->height; ++cy) {
    if (first_y[cy] > last_y[cy]) continue;
    const int y0 = first_y[cy] >> level, y1 = std::min(last_y[cy] >> level, H - 1);
    for (int cx = 0; cx < grid->width; ++cx) {
      if (first_x[cx] > last_x[cx]) continue;
      const int x0 = first_x[cx] >> level, x1 = std::min(last_x[cx] >> level, W - 1);
      float e = eigenvalue[static_cast<size_t>(y0) * W + x0], lap = laplacian[static_cast<size_t>(y0) * W + x0];
      for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) {
          e = std::max(e, eigenvalue[static_cast<size_t>(y) * W + x]);
          lap = std::max(lap, laplacian[static_cast<size_t>(y) * W + x]);
        }
      float* d = &grid->data[(static_cast<size_t>(cy) * grid->width + cx) * grid->dim + offset];
      d[0] = e;
      d[1] = lap;
    }
  }
}

}  // namespace

double DarkSpotScale(double working_scale) { return std::min(1.0, kDarkSpotMaxOversample * working_scale); }

Size DarkSpotAnalysisSize(Size original, double working_scale) {
  const double s = DarkSpotScale(working_scale);
  if (s >= 1.0) return original;
  return {std::max(1, static_cast<int>(std::lround(original.width * s))),
          std::max(1, static_cast<int>(std::lround(original.height * s)))};
}

PatchGrid DarkSpotFeatures(const RgbImage& image, const WorkingGeometry& geometry, int stride,
                           const std::vector<float>& sigmas) {
  const int features = kDarkSpotFeaturesPerScale * static_cast<int>(sigmas.size());
  PatchGrid grid;
  grid.width = geometry.padded.width / stride;
  grid.height = geometry.padded.height / stride;
  grid.dim = features;
  grid.data.assign(grid.cells() * features, kUnset);
  // From the file's size, not the pixels': a platform decoder may have
  // decoded them at a fraction of it (still at least this size).
  const Size size = DarkSpotAnalysisSize(geometry.original, geometry.scale);
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
  // Each cell's span of interior analysis pixels (first, last; first > last: none).
  std::vector<int> span_x0(grid.width, W), span_x1(grid.width, -1), span_y0(grid.height, H), span_y1(grid.height, -1);
  for (int x = 1; x < W - 1; ++x) span_x0[cell_x[x]] = std::min(span_x0[cell_x[x]], x), span_x1[cell_x[x]] = x;
  for (int y = 1; y < H - 1; ++y) span_y0[cell_y[y]] = std::min(span_y0[cell_y[y]], y), span_y1[cell_y[y]] = y;
  // Halvings of the grey image for the large scales; levels[0] is the image.
  std::vector<Plane> levels;
  levels.push_back({std::move(grey), W, H});
  for (size_t s = 0; s < sigmas.size(); ++s) {
    const float sigma = sigmas[s];
    const int octave = PyramidLevel(sigma);
    if (octave > 0) {
      while (static_cast<int>(levels.size()) <= octave) levels.push_back(Halve(levels.back()));
      PoolLevel(levels[octave], octave, sigma, span_x0, span_x1, span_y0, span_y1, kDarkSpotFeaturesPerScale * s, &grid);
      continue;
    }
    const std::vector<float>& grey0 = levels[0].pixels;
    b = grey0;
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
      float* cells = &grid.data[static_cast<size_t>(cell_y[y]) * grid.width * features + kDarkSpotFeaturesPerScale * s];
      for (int x = 1; x < W - 1;) {
        const int cx = cell_x[x];
        float e = eigenvalue[x], l = laplacian[x];
        for (++x; x < W - 1 && cell_x[x] == cx; ++x) e = std::max(e, eigenvalue[x]), l = std::max(l, laplacian[x]);
        float* d = cells + static_cast<size_t>(cx) * features;
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
      float* d = &grid.data[(static_cast<size_t>(cy) * grid.width + cx) * features];
      if (d[0] != kUnset) continue;
      const float* from = &grid.data[(static_cast<size_t>(std::min(cy, last_y)) * grid.width + std::min(cx, last_x)) *
                                     features];
      if (from[0] != kUnset) {
        std::memcpy(d, from, sizeof(float) * features);
      } else {
        std::fill(d, d + features, 0.0f);  // an image too small for any response
      }
    }
  }
  return grid;
}

}  // namespace anomalens
