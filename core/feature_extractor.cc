#include "core/feature_extractor.h"

#include <algorithm>

#include "core/image_resize.h"
#include "core/tiling.h"

namespace anomalens {
namespace {

// The stride of the patch grid: one cell per 8 working pixels.
constexpr int kCellPixels = 8;

}  // namespace

Tensor BackboneInputRegion(const RgbImage& resized, int x0, int y0, int width, int height) {
  Tensor input(height, width, 3);
  float* dst = input.data.data();
  for (int y = 0; y < height; ++y) {
    const int sy = std::min(y0 + y, resized.height - 1);
    for (int x = 0; x < width; ++x) {
      const uint8_t* p = resized.at(std::min(x0 + x, resized.width - 1), sy);
      *dst++ = p[0] / 127.5f - 1.0f;
      *dst++ = p[1] / 127.5f - 1.0f;
      *dst++ = p[2] / 127.5f - 1.0f;
    }
  }
  return input;
}

StatusOr<PatchGrid> ExtractFeatures(const MobileNetV2& backbone, const RgbImage& image,
                                    const WorkingGeometry& geometry, const float layer_scales[2],
                                    const TilingConfig& tiling) {
  if (image.width != geometry.original.width || image.height != geometry.original.height) {
    return Internal("feature extraction geometry does not match the image");
  }
  RgbImage resized_storage;
  const bool same_size = geometry.content == geometry.original;
  if (!same_size) resized_storage = ResizeImage(image, geometry.content.width, geometry.content.height);
  const RgbImage& resized = same_size ? image : resized_storage;

  const int multiple = MobileNetV2::kInputMultiple;
  const TileAxis xs = PlanTileAxis(geometry.padded.width, tiling.tile, tiling.overlap, multiple);
  const TileAxis ys = PlanTileAxis(geometry.padded.height, tiling.tile, tiling.overlap, multiple);
  if (xs.start.size() == 1 && ys.start.size() == 1) {
    ASSIGN_OR_RETURN(MobileNetV2::Taps taps,
                     backbone.Run(BackboneInputRegion(resized, 0, 0, geometry.padded.width, geometry.padded.height)));
    return ExtractPatchFeatures(taps, layer_scales);
  }

  // Blend the tiles' grids: weighted sums, then divide by the summed weights.
  PatchGrid grid;
  grid.width = geometry.padded.width / kCellPixels;
  grid.height = geometry.padded.height / kCellPixels;
  grid.dim = kPatchFeatureDim;
  grid.data.assign(grid.cells() * grid.dim, 0.0f);
  std::vector<float> weight_sum(grid.cells(), 0.0f);
  for (size_t ty = 0; ty < ys.start.size(); ++ty) {
    for (size_t tx = 0; tx < xs.start.size(); ++tx) {
      const int x0 = xs.start[tx], y0 = ys.start[ty];
      ASSIGN_OR_RETURN(MobileNetV2::Taps taps,
                       backbone.Run(BackboneInputRegion(resized, x0, y0, xs.length[tx], ys.length[ty])));
      const PatchGrid tile = ExtractPatchFeatures(taps, layer_scales);
      const int cx0 = x0 / kCellPixels, cy0 = y0 / kCellPixels;
      for (int y = 0; y < tile.height; ++y) {
        const float wy = TileBlendWeight(ys, static_cast<int>(ty), cy0 + y, kCellPixels);
        for (int x = 0; x < tile.width; ++x) {
          const float w = wy * TileBlendWeight(xs, static_cast<int>(tx), cx0 + x, kCellPixels);
          if (w <= 0.0f) continue;
          const size_t cell = static_cast<size_t>(cy0 + y) * grid.width + (cx0 + x);
          const float* src = tile.cell(static_cast<size_t>(y) * tile.width + x);
          float* dst = &grid.data[cell * grid.dim];
          for (int d = 0; d < grid.dim; ++d) dst[d] += w * src[d];
          weight_sum[cell] += w;
        }
      }
    }
  }
  for (size_t cell = 0; cell < grid.cells(); ++cell) {
    const float inv = 1.0f / weight_sum[cell];  // every cell lies inside some tile with weight > 0
    float* f = &grid.data[cell * grid.dim];
    for (int d = 0; d < grid.dim; ++d) f[d] *= inv;
  }
  return grid;
}

}  // namespace anomalens
