// Dark-spot features: hand-made detectors of small dark spots (pits, holes,
// inclusions) computed on the image's own pixels, finer than the backbone
// sees, and max-pooled over each cell of a per-position model's grid.
//
// At each scale sigma (kDarkSpotSigmas, analysis pixels) the grey image is
// smoothed with a Gaussian and two scale-normalized second-derivative
// responses are taken at every pixel:
//   - sigma^2 x the smaller eigenvalue of the Hessian: large only where the
//     intensity has a minimum along both axes (a dark spot), small on an edge
//     or a groove, which curve along one axis only;
//   - sigma^2 x the Laplacian: any dark blob or dark line.
// Each cell keeps the largest response of the pixels it covers, so a pit of a
// few pixels survives the pooling; cells past the image (padding) repeat the
// nearest cell inside.
//
// Resolution. The features are computed on the original pixels, shrunk when
// they are more than kDarkSpotMaxOversample times the working resolution
// (ball-screw photos: 1130x460 at working scale 0.487, so native, 2.05x). A
// stride-4 per-position model's grid holds at most kMaxPositionCells cells
// (a 512x512 working image), so the analysed image holds at most 9 x 512 x
// 512 = 2.4 Mpx whatever the input size: two float planes of 9.4 MiB, plus
// the resized copy when the input is larger (docs/limits.md).
//
// docs/model.md ("Dark-spot channel") gives the measurements.
#ifndef ANOMALENS_CORE_FEATURES_DARK_SPOT_FEATURES_H_
#define ANOMALENS_CORE_FEATURES_DARK_SPOT_FEATURES_H_

#include <vector>

#include "core/features/patch_features.h"
#include "core/features/working_geometry.h"
#include "core/image/image.h"

namespace anomalens {

// The scales, in analysis pixels, of models from model file version 5: an
// octave apart from 1 to 32 px. The small ones see the pits; the large ones
// tell a spot from the grease smear or groove it sits in (pitting study
// round 5, dev split, with the per-position bank: 1.5 and 3 px 0.943, 1 to
// 8 px 0.955, 1 to 16 px 0.961, 1 to 32 px 0.966, 1 to 64 px 0.965).
constexpr float kDarkSpotSigmas[] = {1.0f, 2.0f, 4.0f, 8.0f, 16.0f, 32.0f};
// Version-4 models' scales (read from old files, and still scored by them).
constexpr float kDarkSpotSigmasV4[] = {1.5f, 3.0f};
// Two responses a scale: the Hessian's smaller eigenvalue, the Laplacian.
constexpr int kDarkSpotFeaturesPerScale = 2;
constexpr int kMaxDarkSpotScales = 8;
// The analysed image has at most this many pixels per working pixel a side.
constexpr double kDarkSpotMaxOversample = 3.0;

// Analysis pixels per original pixel for a model of working scale `scale`:
// min(1, kDarkSpotMaxOversample x scale).
double DarkSpotScale(double working_scale);

// The size of the image the features are computed on.
Size DarkSpotAnalysisSize(Size original, double working_scale);

// The features of `image` (of geometry.original's size) on the grid of
// `stride`-pixel cells over geometry.padded at the scales `sigmas` (at most
// kMaxDarkSpotScales): kDarkSpotFeaturesPerScale a scale and cell, scale by
// scale, unscaled (raw responses, grey levels 0 to 255). Deterministic on
// every target (float arithmetic in a fixed order, no contraction).
PatchGrid DarkSpotFeatures(const RgbImage& image, const WorkingGeometry& geometry, int stride,
                           const std::vector<float>& sigmas);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_FEATURES_DARK_SPOT_FEATURES_H_
