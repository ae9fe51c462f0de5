#include "core/features/feature_extractor.h"

#include <algorithm>
#include <array>
#include <optional>

#include "core/features/tiling.h"
#include "core/image/image_resize.h"

namespace anomalens {
namespace {

// The stride of the patch grid: one cell per 8 working pixels.
constexpr int kCellPixels = 8;

// Weighted sums of tile grids into one grid of the padded image, then
// divided by the summed weights.
class GridBlender {
 public:
  GridBlender(const WorkingGeometry& geometry, int cell_pixels, int dim) : cell_pixels_(cell_pixels) {
    grid_.width = geometry.padded.width / cell_pixels;
    grid_.height = geometry.padded.height / cell_pixels;
    grid_.dim = dim;
    grid_.data.assign(grid_.cells() * dim, 0.0f);
    weight_sum_.assign(grid_.cells(), 0.0f);
  }

  void Add(const PatchGrid& tile, const TileAxis& xs, int tx, const TileAxis& ys, int ty) {
    const int cx0 = xs.start[tx] / cell_pixels_, cy0 = ys.start[ty] / cell_pixels_;
    for (int y = 0; y < tile.height; ++y) {
      const float wy = TileBlendWeight(ys, ty, cy0 + y, cell_pixels_);
      for (int x = 0; x < tile.width; ++x) {
        const float w = wy * TileBlendWeight(xs, tx, cx0 + x, cell_pixels_);
        if (w <= 0.0f) continue;
        const size_t cell = static_cast<size_t>(cy0 + y) * grid_.width + (cx0 + x);
        const float* src = tile.cell(static_cast<size_t>(y) * tile.width + x);
        float* dst = &grid_.data[cell * grid_.dim];
        for (int d = 0; d < grid_.dim; ++d) dst[d] += w * src[d];
        weight_sum_[cell] += w;
      }
    }
  }

  PatchGrid Finish() {
    for (size_t cell = 0; cell < grid_.cells(); ++cell) {
      const float inv = 1.0f / weight_sum_[cell];  // every cell lies inside some tile with weight > 0
      float* f = &grid_.data[cell * grid_.dim];
      for (int d = 0; d < grid_.dim; ++d) f[d] *= inv;
    }
    return std::move(grid_);
  }

 private:
  int cell_pixels_;
  PatchGrid grid_;
  std::vector<float> weight_sum_;
};

}  // namespace

Tensor BackboneInputRegion(const RgbImage& resized, int x0, int y0, int width, int height) {
  // MobileNetV2's input scaling, v / 127.5 - 1, looked up: the table holds
  // the same floats the division gives, without a division a sample.
  static const auto kScaled = [] {
    std::array<float, 256> table{};
    for (int v = 0; v < 256; ++v) table[v] = static_cast<float>(v) / 127.5f - 1.0f;
    return table;
  }();
  Tensor input = Tensor::Uninitialized(height, width, 3);  // every sample written below
  float* dst = input.data.data();
  for (int y = 0; y < height; ++y) {
    const int sy = std::min(y0 + y, resized.height - 1);
    for (int x = 0; x < width; ++x) {
      const uint8_t* p = resized.at(std::min(x0 + x, resized.width - 1), sy);
      *dst++ = kScaled[p[0]];
      *dst++ = kScaled[p[1]];
      *dst++ = kScaled[p[2]];
    }
  }
  return input;
}

StatusOr<PatchGrid> ExtractFeatures(const Backbone& backbone, const RgbImage& image,
                                    const WorkingGeometry& geometry, const float layer_scales[2],
                                    const TilingConfig& tiling, PatchGrid* stride4) {
  // The pixels are the original image, the working image itself (larger
  // than the original for an upsampled model) or, from a platform decoder
  // that scales while it decodes, a smaller version of the original still at
  // least as large as the working size; each is resized to `content`.
  const bool original = image.width == geometry.original.width && image.height == geometry.original.height;
  const bool working = image.width == geometry.content.width && image.height == geometry.content.height;
  const bool between = image.width <= geometry.original.width && image.height <= geometry.original.height &&
                       image.width >= geometry.content.width && image.height >= geometry.content.height;
  if (!original && !working && !between) {
    return Internal("feature extraction geometry does not match the image");
  }
  RgbImage resized_storage;
  const bool same_size = image.width == geometry.content.width && image.height == geometry.content.height;
  if (!same_size) resized_storage = ResizeImage(image, geometry.content.width, geometry.content.height);
  const RgbImage& resized = same_size ? image : resized_storage;

  const bool fine = stride4 != nullptr;
  const int multiple = MobileNetV2::kInputMultiple;
  const TileAxis xs = PlanTileAxis(geometry.padded.width, tiling.tile, tiling.overlap, multiple);
  const TileAxis ys = PlanTileAxis(geometry.padded.height, tiling.tile, tiling.overlap, multiple);
  if (xs.start.size() == 1 && ys.start.size() == 1) {
    ASSIGN_OR_RETURN(MobileNetV2::Taps taps,
                     backbone.Run(BackboneInputRegion(resized, 0, 0, geometry.padded.width, geometry.padded.height),
                                  fine));
    if (fine) *stride4 = ExtractStride4Features(taps.stride4);
    return ExtractPatchFeatures(taps, layer_scales);
  }

  // Blend the tiles' grids: weighted sums, then divide by the summed weights.
  GridBlender blend(geometry, kCellPixels, kPatchFeatureDim);
  std::optional<GridBlender> blend4;
  if (fine) blend4.emplace(geometry, kCellPixels / 2, kStride4Features);
  for (size_t ty = 0; ty < ys.start.size(); ++ty) {
    for (size_t tx = 0; tx < xs.start.size(); ++tx) {
      const int x0 = xs.start[tx], y0 = ys.start[ty];
      ASSIGN_OR_RETURN(MobileNetV2::Taps taps,
                       backbone.Run(BackboneInputRegion(resized, x0, y0, xs.length[tx], ys.length[ty]), fine));
      blend.Add(ExtractPatchFeatures(taps, layer_scales), xs, static_cast<int>(tx), ys, static_cast<int>(ty));
      if (fine) blend4->Add(ExtractStride4Features(taps.stride4), xs, static_cast<int>(tx), ys, static_cast<int>(ty));
    }
  }
  if (fine) *stride4 = blend4->Finish();
  return blend.Finish();
}

}  // namespace anomalens
