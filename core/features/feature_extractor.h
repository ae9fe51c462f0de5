// From decoded pixels to patch features: resize by the geometry's scale,
// pad, scale values to [-1, 1] (x / 127.5 - 1, as MobileNetV2 was trained),
// run the backbone tile by tile, and blend the tiles' patch grids.
#ifndef ANOMALENS_CORE_FEATURES_FEATURE_EXTRACTOR_H_
#define ANOMALENS_CORE_FEATURES_FEATURE_EXTRACTOR_H_

#include "core/backbone/mobilenet_v2.h"
#include "core/base/status.h"
#include "core/features/patch_features.h"
#include "core/features/tiling.h"
#include "core/features/working_geometry.h"
#include "core/image/image.h"

namespace anomalens {

// Returns the backbone input for the region [x0, x0 + width) x [y0, y0 + height)
// of the padded working image, where `resized` is the image at content size
// and pixels past its right and bottom edges repeat the edge.
Tensor BackboneInputRegion(const RgbImage& resized, int x0, int y0, int width, int height);

// Returns the patch grid of `image` on the padded working grid (padded / 8
// cells). `image` is the original or a smaller decode of it, no smaller than
// geometry.content. With `stride4` (per-position models only), also fills it with the
// stride-4 grid (padded / 4 cells, ExtractStride4Features), tiled and blended
// the same way.
StatusOr<PatchGrid> ExtractFeatures(const Backbone& backbone, const RgbImage& image,
                                    const WorkingGeometry& geometry, const float layer_scales[2],
                                    const TilingConfig& tiling, PatchGrid* stride4 = nullptr);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_FEATURES_FEATURE_EXTRACTOR_H_
