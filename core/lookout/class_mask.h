// ClassMask: a label mask read through its manifest line's colour map, one
// class index a pixel. It is what segmentation training learns from and what
// per-class evaluation compares with.
//
//   ASSIGN_OR_RETURN(ClassMask mask, DecodeClassMask(png_bytes, {image.width, image.height},
//                                                    entry.color_map, classes));
//   mask.labels[y * mask.width + x]  // 0 background, k = classes[k - 1]
#ifndef ANOMALENS_CORE_LOOKOUT_CLASS_MASK_H_
#define ANOMALENS_CORE_LOOKOUT_CLASS_MASK_H_

#include <cstdint>
#include <vector>

#include "core/base/byte_span.h"
#include "core/base/status.h"
#include "core/features/working_geometry.h"
#include "core/image/image.h"
#include "core/lookout/anomaly_classes.h"
#include "core/lookout/manifest.h"

namespace anomalens {

struct ClassMask {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> labels;  // width * height; 0 background, k: classes[k - 1]

  bool any_defect() const;
};

// How far, in any one channel, a mask pixel may be from its class colour.
// Masks that went through resampling or lossy tools drift a few levels.
constexpr int kMaskColorTolerance = 24;

// Reads `mask` through `color_map` (its manifest line's internal-color-map)
// into indices of `classes` (the project's, CollectAnomalyClasses).
// - A pixel with alpha < 128 is background: Lookout's masks are transparent
//   outside the labels, and their anti-aliased edges are partly transparent.
// - An opaque pixel takes the colour-map class whose colour is nearest, if
//   within kMaskColorTolerance in every channel; a map entry named
//   "BACKGROUND" marks background.
// - Otherwise pure black and pure white are background (MVTec-style masks,
//   and Lookout's own AnomalyMask).
// - Any other colour is an error naming it, how many pixels have it, the
//   first one's position and the colours the map declares.
StatusOr<ClassMask> ReadClassMask(const RgbaImage& mask, const std::vector<MaskColor>& color_map,
                                  const std::vector<AnomalyClass>& classes);

// Decodes a mask (PNG or JPEG, Lookout's image limits) and reads it as
// above. A mask whose size differs from its image's is an error.
StatusOr<ClassMask> DecodeClassMask(ByteSpan bytes, Size image_size, const std::vector<MaskColor>& color_map,
                                    const std::vector<AnomalyClass>& classes);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_LOOKOUT_CLASS_MASK_H_
