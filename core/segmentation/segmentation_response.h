// The segmentation part of a DetectAnomalies answer, from a Segmentation:
// Lookout's Anomalies list and its AnomalyMask PNG.
#ifndef ANOMALENS_CORE_SEGMENTATION_SEGMENTATION_RESPONSE_H_
#define ANOMALENS_CORE_SEGMENTATION_SEGMENTATION_RESPONSE_H_

#include <cstdint>
#include <vector>

#include "core/base/parallel.h"
#include "core/base/status.h"
#include "core/lookout/anomaly_classes.h"
#include "core/lookout/detect_result.h"
#include "core/segmentation/segmentation.h"

namespace anomalens {

// Lookout's limit on AnomalyMask.
constexpr size_t kMaxAnomalyMaskBytes = 5242880;

// "background" first (area: what the types leave), then each type with
// pixels, in the model's class order. Areas are fractions of the image.
std::vector<Anomaly> AnomalyList(const Segmentation& segmentation, const std::vector<AnomalyClass>& classes);

// RGB pixels of the mask: #FFFFFF background, each type in its colour.
std::vector<uint8_t> RenderAnomalyMask(const Segmentation& segmentation, const std::vector<AnomalyClass>& classes);

// The mask as a palette PNG (colour type 3) of the image's size (deterministic bytes on every
// target); an error if it would exceed kMaxAnomalyMaskBytes. `parallel`: as EncodeIndexedPng's.
StatusOr<std::vector<uint8_t>> EncodeAnomalyMask(const Segmentation& segmentation,
                                                 const std::vector<AnomalyClass>& classes,
                                                 const ParallelFor& parallel = {});

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SEGMENTATION_SEGMENTATION_RESPONSE_H_
