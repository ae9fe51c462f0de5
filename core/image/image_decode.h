// DecodeImage: PNG or JPEG bytes in, RGB8 out, with the input checks of
// Lookout for Vision's DetectAnomalies so that callers get the same
// rejections (and messages that name the limit) whichever host they use.
// DecodeImageRgba: the same with alpha kept, for label masks.
//
//   StatusOr<RgbImage> image = DecodeImage(request_body, "image/png");
//   StatusOr<RgbaImage> mask = DecodeImageRgba(mask_png, "image/png");
//
// What the decoder does with pixels, so that results are reproducible:
//   - Grey and grey+alpha become R=G=B.
//   - DecodeImage drops alpha, not compositing over any background: a
//     transparent pixel keeps its stored colour. (PIL's convert("RGB") does
//     the same.) DecodeImageRgba keeps alpha, unpremultiplied.
//   - 16-bit PNG samples keep their high byte (v >> 8), as libpng's
//     png_set_strip_16, PIL and browsers do; 8-bit values widened to 16 bits
//     (v * 257) come back exactly.
//   - Palette PNGs are expanded; gamma, ICC profiles and EXIF orientation are
//     ignored.
#ifndef ANOMALENS_CORE_IMAGE_IMAGE_DECODE_H_
#define ANOMALENS_CORE_IMAGE_IMAGE_DECODE_H_

#include <cstddef>
#include <functional>
#include <string_view>

#include "core/base/byte_span.h"
#include "core/base/status.h"
#include "core/image/image.h"
#include "core/image/image_resize.h"

namespace anomalens {

// Lookout for Vision's DetectAnomalies limits.
struct ImageLimits {
  int min_side = 64;
  int max_side = 4096;
  size_t max_bytes = 8u << 20;  // 8 MB
};

// The first check DecodeImage makes: `size` bytes of an encoded image
// against the limit (and not empty). Callers that must copy the bytes
// before decoding (the wasm bindings) make it before the copy.
Status CheckEncodedImageSize(size_t size, const ImageLimits& limits = {});

// Decodes a PNG or JPEG into RGB8. `content_type` is "image/png",
// "image/jpeg", or "" to accept either by sniffing the signature; any other
// value is kUnsupported. Checks run cheapest first, and the side limits are
// checked from the header before any pixel memory is allocated. Every
// rejection is kInvalidInput except an unknown content type.
StatusOr<RgbImage> DecodeImage(ByteSpan bytes, std::string_view content_type, const ImageLimits& limits = {});

// DecodeImage with the alpha channel kept: RGBA8, with every check and
// rejection of DecodeImage. Alpha is 255 where the file has none (RGB, grey,
// JPEG); a PNG tRNS chunk (palette alpha or a colour key) becomes alpha.
// Colour is never premultiplied, so a transparent pixel keeps its colour.
StatusOr<RgbaImage> DecodeImageRgba(ByteSpan bytes, std::string_view content_type, const ImageLimits& limits = {});

// A platform's JPEG decoder that may shrink while it decodes (native:
// libjpeg-turbo, which scales in the DCT domain by 1/2, 1/4 or 1/8 and so
// does a fraction of the work). The core stays on stb_image, the portable
// decoder that wasm and `--backend portable` share byte for byte; a platform
// hands this in where it is held to tolerances instead.
//
// DecodeImageAtLeast calls it only after every check of DecodeImage has
// passed (size, content type, signature, Huffman tables, and the header's
// `width` x `height` within the limits), so every rejection before the pixels
// stays the same. It returns RGB8 pixels of at least `min_width` x
// `min_height` and at most `width` x `height`, or an error (kInvalidInput for
// a corrupt file, naming it). kUnsupported means "not this one" (say, a CMYK
// JPEG): stb decodes it instead.
//
// `rows`, when not null, asks for the image resized as well: a decoder that
// returns the full `width` x `height` may feed it each pixel row, top to
// bottom, as it makes it (so that the resize runs while the rows are in
// cache, or beside the decoding), and the core takes the resize from it when
// it is complete; otherwise the core resizes afterwards. Either way the
// resized bytes are ResizeImage's. With `rows` and `pixels_too` false, the
// caller needs only the resize: a decoder that completes it may return the
// size with no pixels.
struct JpegDecoder {
  std::function<StatusOr<RgbImage>(ByteSpan jpeg, int width, int height, int min_width, int min_height,
                                   RowByRowResize* rows, bool pixels_too)>
      decode;
};

// An image as the file holds it, `width` x `height`, and its pixels, which a
// JpegDecoder may have decoded at a fraction of that size.
struct DecodedImage {
  RgbImage pixels;
  int width = 0;
  int height = 0;
  // The pixels resized to the size the caller asked for, when the JpegDecoder
  // made it while decoding (ResizeImage's bytes); else empty.
  RgbImage resized;
};

// For DecodeImageAtLeast: the size to resize an image of the file's
// `width` x `height` to (0 x 0: none), and whether the caller needs the
// decoded pixels as well as the resize (when not, a decoder that makes the
// resize may leave `pixels` without its pixels: its width and height only).
struct ResizeRequest {
  int width = 0;
  int height = 0;
  bool pixels_too = true;
};
using ResizeTarget = std::function<ResizeRequest(int width, int height)>;

// DecodeImage, for a caller that will shrink the image to `fraction` of each
// side (at most 1): a JPEG goes to `jpeg` (when set) with the smallest size
// that still has that many pixels, ceil(side * fraction); everything else,
// and every JPEG without a hook, decodes at full size through stb exactly as
// DecodeImage does.
// With `resize_to`, a JpegDecoder that decodes at full size may also make
// `resized` as it decodes (see JpegDecoder).
StatusOr<DecodedImage> DecodeImageAtLeast(ByteSpan bytes, std::string_view content_type, double fraction,
                                          const JpegDecoder& jpeg, const ImageLimits& limits = {},
                                          const ResizeTarget& resize_to = {});

}  // namespace anomalens

#endif  // ANOMALENS_CORE_IMAGE_IMAGE_DECODE_H_
