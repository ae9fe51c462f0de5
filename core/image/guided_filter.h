// Guided filter (He, Sun and Tang, "Guided Image Filtering", TPAMI 2013):
// smooths a float plane the way a guide image's edges allow. In each window
// the output is a linear function of the guide, a I + b, fitted to the input
// by least squares (a = cov(I, p) / (var(I) + epsilon)); each pixel averages
// the fits of the windows that hold it. Where the guide is flat the input is
// box-smoothed; where the guide has an edge the output steps with it. The
// segmentation map uses it so a region's outline lands on the defect's edge
// in the photo instead of on a Gaussian's tail.
//
// Box means run on prefix sums (O(1) a pixel whatever the radius), in double
// and in a fixed order, so every target computes the same floats: each row's
// running sum from its left end, then each column's from the top.
#ifndef ANOMALENS_CORE_IMAGE_GUIDED_FILTER_H_
#define ANOMALENS_CORE_IMAGE_GUIDED_FILTER_H_

#include <vector>

#include "core/base/parallel.h"

namespace anomalens {

// `guide` and `input` are width x height planes, row-major. Windows are
// (2 radius + 1) squared, clipped at the borders (a border pixel's mean is
// over the window's pixels inside the plane). `epsilon` > 0, in the guide's
// units squared: guide edges whose contrast is well below sqrt(epsilon) are
// smoothed over. Returns `input` unchanged when radius < 1 or the sizes
// disagree. One pass streams down the rows on the calling thread, keeping
// only the last 2 radius + 2 rows of column sums, so its doubles stay in
// cache; `parallel` is not used (a split by rows or columns would need the
// running sums from the plane's edge, and its steps were too short to pay
// across cores: docs/speed.md, issue 20's CPU section).
std::vector<float> GuidedFilter(const std::vector<float>& guide, const std::vector<float>& input, int width,
                                int height, int radius, double epsilon, const ParallelFor& parallel = {});

}  // namespace anomalens

#endif  // ANOMALENS_CORE_IMAGE_GUIDED_FILTER_H_
