// PatchGrid: one feature vector per cell of the stride-8 grid, the unit that
// the memory bank stores and scores (or, for per-position models, of the
// stride-4 grid: ExtractStride4Features).
#ifndef ANOMALENS_CORE_FEATURES_PATCH_FEATURES_H_
#define ANOMALENS_CORE_FEATURES_PATCH_FEATURES_H_

#include <vector>

#include "core/backbone/mobilenet_v2.h"
#include "core/base/default_init_allocator.h"

namespace anomalens {

struct PatchGrid {
  int width = 0;   // cells across (working width / 8, or / 4)
  int height = 0;  // cells down
  int dim = 0;     // features a cell
  // Row-major cells, `dim` floats each. UninitializedVector: a resize does
  // not zero-fill (every builder writes each cell whole, or assigns a value).
  UninitializedVector<float> data;

  size_t cells() const { return static_cast<size_t>(width) * height; }
  const float* cell(size_t i) const { return &data[i * dim]; }
};

// Feature layout: the stride-8 tap's channels first, then the stride-16 tap's.
constexpr int kStride8Features = MobileNetV2::kStride8Channels;
constexpr int kPatchFeatureDim = MobileNetV2::kStride8Channels + MobileNetV2::kStride16Channels;

// Builds PatchCore's locally aware patch features: each tap averaged over its
// 3x3 neighbourhood (borders average only the cells inside), the stride-16
// tap bilinearly upsampled to the stride-8 grid, then both concatenated and
// multiplied by their layer's scale (layer_scales[0] for stride 8, [1] for 16)
// so that neither layer dominates the distance.
PatchGrid ExtractPatchFeatures(const MobileNetV2::Taps& taps, const float layer_scales[2]);

// The stride-4 patch grid of per-position models: the stride-4 tap
// (kStride4Features channels) averaged over its 3x3 neighbourhood as above,
// unscaled (a Gaussian's Mahalanobis distance does not depend on the scale).
constexpr int kStride4Features = MobileNetV2::kStride4Channels;
PatchGrid ExtractStride4Features(const Tensor& stride4);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_FEATURES_PATCH_FEATURES_H_
