// JpegLikeRoundTrip: what a baseline JPEG encoder and decoder do to an
// image's pixels, without the entropy coding: RGB to YCbCr (JFIF), chroma
// averaged over 2x2 pixels (4:2:0), each plane cut into 8x8 blocks, their
// DCT coefficients quantized with the IJG (libjpeg) standard tables at
// `quality`, then back: dequantized, inverse DCT, chroma upsampled by
// libjpeg's "fancy" triangle filter, YCbCr to RGB.
//
// Why: normal images reach detection as JPEGs far more often than they are
// trained as such (a camera's or a browser's default), and a model whose
// features read the blocks' edges, ringing or chroma smear as defects flags
// every one (issue 16: the position-free dark-spot channel flagged 16 of 16
// re-encoded normal test images of a scene trained on PNGs). The trainer's
// self-check (trainer.h) scores normals so perturbed, which must stay normal.
// The core has no JPEG encoder; this is the part of one that changes pixels.
//
// Deterministic on every target: double arithmetic in a fixed order, the
// DCT's cosines as literals (no libm), rounding by floor(x + 0.5).
#ifndef ANOMALENS_CORE_IMAGE_JPEG_LIKE_ROUND_TRIP_H_
#define ANOMALENS_CORE_IMAGE_JPEG_LIKE_ROUND_TRIP_H_

#include "core/image/image.h"

namespace anomalens {

// `quality` 1 to 100 as libjpeg's (clamped); 100 quantizes every coefficient
// by 1, so only rounding and the chroma subsampling change the pixels.
RgbImage JpegLikeRoundTrip(const RgbImage& image, int quality);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_IMAGE_JPEG_LIKE_ROUND_TRIP_H_
