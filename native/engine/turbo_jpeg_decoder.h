// TurboJpegDecoder: the native default engine's JPEG decoder, behind the
// core's JpegDecoder hook (core/image/image_decode.h). The entropy decoding,
// the larger part of a photo's decode, is BaselineScanDecoder's
// (baseline_scan_decoder.h) for the common case, a baseline Huffman file of
// one interleaved scan, with libjpeg-turbo's coefficients; libjpeg-turbo
// (Debian's libjpeg62-turbo-dev) does it for every other file (progressive,
// a scan per component) and every file BaselineScanDecoder gives up on
// (anything libjpeg-turbo would warn about among them). The rest (dequantization, the
// inverse DCT, chroma upsampling, YCbCr to RGB) is stb_image's own arithmetic,
// in its SIMD form where the CPU has one, which stb keeps bit-identical to
// the scalar code the core and wasm run. So the pixels are the portable
// engine's, byte for byte.
//
// Why not libjpeg-turbo's own IDCT and colour conversion, or its DCT-domain
// scaling (1/2, 1/4, 1/8): they differ from stb by a level in ~0.1% of
// samples at full size, and at a DCT scale the image is a different low-pass
// than stb + ResizeImage; the segmentation masks' guided-filter refinement
// turns even the full-size difference into mask IoU 0.90 - 0.98 against the
// portable engine, past the 0.99 the native default holds
// (tests/turbo_jpeg_agreement_test.cc prints both; docs/speed.md).
#ifndef ANOMALENS_NATIVE_ENGINE_TURBO_JPEG_DECODER_H_
#define ANOMALENS_NATIVE_ENGINE_TURBO_JPEG_DECODER_H_

#include "core/base/byte_span.h"
#include "core/base/parallel.h"
#include "core/base/status.h"
#include "core/image/image.h"
#include "core/image/image_decode.h"
#include "core/image/image_resize.h"

namespace anomalens {

// Decodes `jpeg` (already checked by the core: signature, limits, and a
// header of `width` x `height`) to RGB8 at full size, the pixels stb_image
// gives. (min_width and min_height, the JpegDecoder hook's request, are met
// by the full size.) kUnsupported, which hands the file to stb (so that the
// portable engine's answer, pixels or error, is the answer), for a file
// outside what this reproduces of stb (CMYK, RGB-coded, arithmetic coding,
// other sampling factors) and for one libjpeg-turbo finds damaged (its
// warnings included) or whose frame header disagrees with the core's size.
//
// With `parallel` (two threads or more), a file of one interleaved
// sequential scan (baseline and most photos) is reconstructed while it is
// read: one thread does the entropy decoding, another reconstructs the iMCU
// rows (8 or 16 pixel rows) already read. Where BaselineScanDecoder reads
// the scan and its entropy data outweigh the reconstruction, the
// reconstructing thread first decodes the scan's last part (its halves,
// speculatively), so both threads share the entropy decoding. The pixels
// are the same either way; a progressive file is reconstructed after its
// last scan.
//
// `rows`, when set, is fed every pixel row as it is reconstructed (on the
// reconstructing thread), so the resize to the working size runs on rows
// still in cache and, at 2 threads, beside the entropy decoding. It is
// complete only when the decode succeeds. With `rows` and `pixels_too`
// false, the image returned has its size and no pixels (the resize's are
// the ones asked for).
StatusOr<RgbImage> DecodeJpegAtLeast(ByteSpan jpeg, int width, int height, int min_width, int min_height,
                                     const ParallelFor& parallel = {}, RowByRowResize* rows = nullptr,
                                     bool pixels_too = true);

// The hook for Detector::Create, on `parallel`'s threads.
JpegDecoder TurboJpegDecoder(ParallelFor parallel = {});

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_TURBO_JPEG_DECODER_H_
