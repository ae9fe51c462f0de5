#include "core/segmentation/overlay.h"

#include <cmath>

namespace anomalens {

RgbImage BlendOverlay(const RgbImage& image, const Segmentation& segmentation,
                      const std::vector<AnomalyClass>& classes, double opacity) {
  RgbImage out = image;
  if (segmentation.width != image.width || segmentation.height != image.height) return out;
  for (size_t i = 0; i < segmentation.labels.size(); ++i) {
    const uint8_t k = segmentation.labels[i];
    if (k == 0 || k > classes.size()) continue;
    const uint32_t color = classes[k - 1].color;
    for (int c = 0; c < 3; ++c) {
      const double tint = (color >> (16 - 8 * c)) & 0xFF;
      out.pixels[i * 3 + c] =
          static_cast<uint8_t>(std::lround((1 - opacity) * image.pixels[i * 3 + c] + opacity * tint));
    }
  }
  return out;
}

}  // namespace anomalens
