// BinaryDefectMask: a decoded label mask reduced to one bit a pixel, the form
// pixel-level evaluation (PixelMetricsAccumulator) consumes.
//
//   ASSIGN_OR_RETURN(RgbaImage mask, DecodeImageRgba(mask_png, "image/png"));
//   std::vector<uint8_t> defect = BinaryDefectMask(mask);  // 1 = defect
#ifndef ANOMALENS_CORE_IMAGE_LABEL_MASK_H_
#define ANOMALENS_CORE_IMAGE_LABEL_MASK_H_

#include <cstdint>
#include <vector>

#include "core/image/image.h"

namespace anomalens {

// Returns width * height bytes, row-major, 1 where the pixel is labelled as a
// defect and 0 elsewhere. A pixel is labelled when its alpha is >= 128 and its
// colour is not black (some channel > 0). Both mask conventions in use reduce
// correctly: MVTec AD's opaque grey masks (0 good, 255 defect) and Lookout for
// Vision's palette masks, whose background is fully transparent and whose
// anti-aliased edges are partly transparent (alpha >= 128 keeps the edge
// pixels the drawn outline covers at least half of). Any class colour counts;
// telling classes apart is the caller's job.
std::vector<uint8_t> BinaryDefectMask(const RgbaImage& mask);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_IMAGE_LABEL_MASK_H_
