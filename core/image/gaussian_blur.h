// Separable Gaussian smoothing of one float plane, as PatchCore smooths its
// anomaly map (sigma 4 at 224 px) so one noisy patch does not set the score.
#ifndef ANOMALENS_CORE_IMAGE_GAUSSIAN_BLUR_H_
#define ANOMALENS_CORE_IMAGE_GAUSSIAN_BLUR_H_

#include <vector>

#include "core/base/parallel.h"

namespace anomalens {

// Returns the normalized 1-D kernel, radius ceil(4 sigma), weights from
// PortableExp so every target computes the same bits.
std::vector<float> GaussianKernel(float sigma);

// Blurs `plane` (width x height, row-major) in place; borders are reflected.
// Each pass's rows run on `parallel`, each computed as alone: the same bytes.
void GaussianBlur(std::vector<float>& plane, int width, int height, float sigma, const ParallelFor& parallel = {});

}  // namespace anomalens

#endif  // ANOMALENS_CORE_IMAGE_GAUSSIAN_BLUR_H_
