// Feature grids built from the cached backbone taps: one vector a cell of
// the stride-8 (or stride-4, stride-2) grid, per image, each layer scaled to
// unit spread over the train patches so that distances weigh layers alike.
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_FEATURES_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_FEATURES_H_

#include <cstddef>
#include <vector>

#include "core/base/tensor.h"
#include "tools/research/pitting_study/tap_cache.h"

namespace anomalens::pitting_study {

struct Features {
  int w = 0, h = 0, dim = 0;
  std::vector<std::vector<float>> f;  // per image, cells x dim
  size_t cells() const { return static_cast<size_t>(w) * h; }
};

// Each cell's k x k neighbourhood average (clamped at the edges); k <= 1: `in`.
Tensor BoxAverage(const Tensor& in, int k);

// Fine (k x k average) + optional coarse (k x k average, upsampled), each
// layer scaled to unit spread over the train patches, coarse times cw.
// tap 8: fine = stride 8 (32), coarse = stride 16 (96); tap 4: fine =
// stride 4 (24), coarse = stride 8 (32) upsampled to the stride-4 grid.
Features BuildFeatures(const Data& data, int k, float cw, int tap = 8);

// The cells within +-r of cell (y, x), clamped to the grid.
std::vector<size_t> Neighbourhood(const Features& F, int y, int x, int r);

// Raw features box-averaged over k x k cells.
Features BuildRawAveraged(const Features& raw, int k);

// Concatenation of two feature sets on the same grid.
Features Concat(const Features& a, const Features& b);

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_FEATURES_H_
