// From decoded pixels to patch features: resize to the model's working size,
// scale to [-1, 1] (x / 127.5 - 1, as MobileNetV2 was trained), run the
// backbone, build the patch grid.
#ifndef ANOMALENS_CORE_FEATURE_EXTRACTOR_H_
#define ANOMALENS_CORE_FEATURE_EXTRACTOR_H_

#include "core/image.h"
#include "core/mobilenet_v2.h"
#include "core/patch_features.h"
#include "core/status.h"
#include "core/working_size.h"

namespace anomalens {

// Returns the backbone input for `image` resized to `working`.
Tensor ToBackboneInput(const RgbImage& image, Size working);

// Returns the patch grid of `image` at `working` size.
StatusOr<PatchGrid> ExtractFeatures(const MobileNetV2& backbone, const RgbImage& image, Size working,
                                    const float layer_scales[2]);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_FEATURE_EXTRACTOR_H_
