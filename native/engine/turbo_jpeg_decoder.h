// TurboJpegDecoder: the native default engine's JPEG decoder, libjpeg-turbo
// (Debian's libturbojpeg0-dev) behind the core's JpegDecoder hook
// (core/image/image_decode.h). It decodes at the smallest of libjpeg-turbo's
// DCT scales (1/8, 1/4, 1/2, or full size) that still gives the caller the
// pixels it asked for, so a cookie analysed at 0.39 of its sides decodes at
// 1/2 and does about a quarter of the IDCT and colour work, and its SIMD
// paths run besides. The portable engine and wasm keep stb_image: this is
// held to tolerances of it (tests/turbo_jpeg_agreement_test.cc), not bytes.
#ifndef ANOMALENS_NATIVE_ENGINE_TURBO_JPEG_DECODER_H_
#define ANOMALENS_NATIVE_ENGINE_TURBO_JPEG_DECODER_H_

#include "core/base/byte_span.h"
#include "core/base/status.h"
#include "core/image/image.h"
#include "core/image/image_decode.h"

namespace anomalens {

// Decodes `jpeg` (already checked by the core: signature, limits, and a
// header of `width` x `height`) to RGB8 of at least min_width x min_height.
// A corrupt or truncated file (libjpeg-turbo's warnings included) is
// kInvalidInput "corrupt or truncated JPEG: ...", as stb's are; a CMYK file
// is kUnsupported, which hands it back to stb.
StatusOr<RgbImage> DecodeJpegAtLeast(ByteSpan jpeg, int width, int height, int min_width, int min_height);

// The hook for Detector::Create.
JpegDecoder TurboJpegDecoder();

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_TURBO_JPEG_DECODER_H_
