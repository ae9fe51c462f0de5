// EncodePng: pixels in, PNG bytes out, in memory. Used for Lookout's
// AnomalyMask and for test fixtures; the output is byte-identical across
// native and wasm builds for the same pixels.
#ifndef ANOMALENS_CORE_IMAGE_PNG_ENCODE_H_
#define ANOMALENS_CORE_IMAGE_PNG_ENCODE_H_

#include <cstdint>
#include <vector>

#include "core/base/parallel.h"

namespace anomalens {

// Encodes `width` x `height` pixels, row-major and tightly packed, with
// `channels` 8-bit samples a pixel: 1 (grey), 3 (RGB) or 4 (RGBA). Returns an
// empty vector for arguments it cannot encode (null pixels, a side < 1,
// other channel counts, a row too long for the encoder).
std::vector<uint8_t> EncodePng(const uint8_t* pixels, int width, int height, int channels);

// Encodes `width` x `height` palette indices (one byte a pixel, row-major) as
// an indexed PNG (colour type 3) whose palette is `palette`, 0xRRGGBB each,
// index i being palette[i]. Bit depth is the smallest of 1, 2, 4, 8 that
// holds every index, and every row is stored unfiltered (the PNG spec's
// advice for palette images), then deflated as EncodePng does: for an image
// of a few colours such as the AnomalyMask this is a fraction of the RGB
// file's bytes and time. Returns an empty vector for arguments it cannot
// encode (null indices, a side < 1, an empty palette or one over 256
// entries, an index past the palette). `parallel`: the rows' packing on the
// platform's threads; the same bytes.
std::vector<uint8_t> EncodeIndexedPng(const uint8_t* indices, int width, int height,
                                      const std::vector<uint32_t>& palette, const ParallelFor& parallel = {});

}  // namespace anomalens

#endif  // ANOMALENS_CORE_IMAGE_PNG_ENCODE_H_
