// EncodePng: pixels in, PNG bytes out, in memory. Used for Lookout's
// AnomalyMask and for test fixtures; the output is byte-identical across
// native and wasm builds for the same pixels.
#ifndef ANOMALENS_CORE_IMAGE_PNG_ENCODE_H_
#define ANOMALENS_CORE_IMAGE_PNG_ENCODE_H_

#include <cstdint>
#include <vector>

namespace anomalens {

// Encodes `width` x `height` pixels, row-major and tightly packed, with
// `channels` 8-bit samples a pixel: 1 (grey), 3 (RGB) or 4 (RGBA). Returns an
// empty vector for arguments it cannot encode (null pixels, a side < 1,
// other channel counts, a row too long for the encoder).
std::vector<uint8_t> EncodePng(const uint8_t* pixels, int width, int height, int channels);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_IMAGE_PNG_ENCODE_H_
