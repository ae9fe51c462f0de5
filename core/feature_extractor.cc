#include "core/feature_extractor.h"

#include "core/image_resize.h"

namespace anomalens {

Tensor ToBackboneInput(const RgbImage& image, Size working) {
  const RgbImage resized = (image.width == working.width && image.height == working.height)
                               ? image
                               : ResizeImage(image, working.width, working.height);
  Tensor input(working.height, working.width, 3);
  for (size_t i = 0; i < resized.pixels.size(); ++i) input.data[i] = resized.pixels[i] / 127.5f - 1.0f;
  return input;
}

StatusOr<PatchGrid> ExtractFeatures(const MobileNetV2& backbone, const RgbImage& image, Size working,
                                    const float layer_scales[2]) {
  ASSIGN_OR_RETURN(MobileNetV2::Taps taps, backbone.Run(ToBackboneInput(image, working)));
  return ExtractPatchFeatures(taps, layer_scales);
}

}  // namespace anomalens
