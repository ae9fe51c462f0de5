// Round 3's hand-made features on the original pixels (not the backbone's),
// pooled onto the stride-4 grid of the cached taps: raw colour statistics
// and dark-blob responses (the ancestor of core/features/dark_spot_features).
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_PIXEL_FEATURES_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_PIXEL_FEATURES_H_

#include <string>
#include <vector>

#include "tools/research/pitting_study/features.h"
#include "tools/research/pitting_study/tap_cache.h"

namespace anomalens::pitting_study {

// Raw colour statistics of the original pixels under each stride-4 cell
// (about 8x8 native pixels at 224 px): mean R, G, B; the cell's darkest
// gray value; its gray spread; and how much darker its darkest pixel is than
// the 3x3-cell surroundings' mean (pits are small dark spots).
constexpr int kRawDims = 6;
Features RawFeatures(const std::string& dir, const Data& data);

// Dark-blob responses on the original pixels, max-pooled over each
// stride-4 cell: for sigma 1.5 and 3 native pixels, the scale-normalized
// smaller Hessian eigenvalue of the smoothed gray image (large only where
// the intensity has a minimum in both directions: a dark spot, not an edge
// or a groove) and the scale-normalized Laplacian (any dark blob or line).
// Each dimension scaled to unit spread over the train cells. BLOB_EXTRA=lmax
// (round 5) adds the larger eigenvalue, a third feature a scale.
Features BlobFeatures(const std::string& dir, const Data& data, const std::vector<float>& sigmas = {1.5f, 3.0f});

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_PIXEL_FEATURES_H_
