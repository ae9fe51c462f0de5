// Colour-spot features: the extremes of two opponent-colour planes over each
// cell of a stride-4 grid, for defects that differ from the normal parts in
// colour rather than in shape or grey level (a grain of a foreign mineral, a
// rust or paint stain). The backbone's taps see colour, but on a busy
// texture their distances to the bank are dominated by the texture's own
// variety (the "mixed-sizes" scene: image ROCAUC 0.39); per-cell chroma
// extremes are not.
//
// On the dark-spot features' analysis image (dark_spot_features.h), each
// pixel's opponent colours red-green (R - G) and yellow-blue ((R + G) / 2 -
// B) are smoothed with a Gaussian of kColourSpotSigma analysis pixels; each
// cell keeps the largest and the smallest of each plane over its pixels:
// kColourSpotFeatures features a cell, in grey levels. Cells past the image
// (padding) repeat the nearest cell inside.
#ifndef ANOMALENS_CORE_FEATURES_COLOUR_SPOT_FEATURES_H_
#define ANOMALENS_CORE_FEATURES_COLOUR_SPOT_FEATURES_H_

#include "core/features/patch_features.h"
#include "core/features/working_geometry.h"
#include "core/image/image.h"

namespace anomalens {

constexpr int kColourSpotFeatures = 4;
constexpr float kColourSpotSigma = 1.5f;

// The features of `image` (of geometry.original's size) on the grid of
// `stride`-pixel cells over geometry.padded. Deterministic on every target.
PatchGrid ColourSpotFeatures(const RgbImage& image, const WorkingGeometry& geometry, int stride,
                             float sigma = kColourSpotSigma);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_FEATURES_COLOUR_SPOT_FEATURES_H_
