// YCbCrToRgbaWide: stb_image's SSE2 colour conversion (stbi__YCbCr_to_RGB_simd
// at 4 bytes a pixel, the native decoder's) 32 pixels at a time in AVX-512BW
// instead of 8. stb's instructions all work within a 128-bit lane (16-bit
// multiplies, adds and shifts, saturating packs, interleaves), and a
// lane's 8 pixels are computed apart from the others', so each lane of the
// wider vectors computes exactly what stb computes for its 8 pixels: the
// same bytes. Only the loads (each lane's 8 pixels' bytes widened to
// 16-bit words, as stb's unpacks make them) and the final stores (lanes
// back in pixel order) differ.
#ifndef ANOMALENS_NATIVE_ENGINE_YCBCR_WIDE_H_
#define ANOMALENS_NATIVE_ENGINE_YCBCR_WIDE_H_

#include <cstdint>

namespace anomalens {

// Whether this CPU runs YCbCrToRgbaWide (x86-64 with AVX-512F and BW).
bool HasYCbCrWide();

// Converts the first count / 32 * 32 pixels (Y, Cb, Cr planes' bytes) to
// RGBA at `out` (alpha 255), as stb's SSE2 conversion does, and returns how
// many it converted; the caller converts the rest. Only where HasYCbCrWide().
int YCbCrToRgbaWide(uint8_t* out, const uint8_t* y, const uint8_t* cb, const uint8_t* cr, int count);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_YCBCR_WIDE_H_
