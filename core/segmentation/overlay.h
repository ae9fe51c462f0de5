// BlendOverlay: the input image with its defect pixels tinted in their type's
// colour, for people who would rather look than read (detect --overlay).
#ifndef ANOMALENS_CORE_SEGMENTATION_OVERLAY_H_
#define ANOMALENS_CORE_SEGMENTATION_OVERLAY_H_

#include <vector>

#include "core/image/image.h"
#include "core/lookout/anomaly_classes.h"
#include "core/segmentation/segmentation.h"

namespace anomalens {

// Each defect pixel becomes (1 - opacity) x image + opacity x its class
// colour; background pixels are unchanged. `segmentation` must be the
// image's size (otherwise the image comes back unchanged).
RgbImage BlendOverlay(const RgbImage& image, const Segmentation& segmentation,
                      const std::vector<AnomalyClass>& classes, double opacity = 0.55);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SEGMENTATION_OVERLAY_H_
