#include "native/engine/turbo_jpeg_decoder.h"

#include <turbojpeg.h>

#include <memory>
#include <string>

namespace anomalens {
namespace {

struct TjDestroy {
  void operator()(void* handle) const { tjDestroy(handle); }
};

Status Corrupt(void* handle) {
  return InvalidInput(std::string("corrupt or truncated JPEG: ") + tjGetErrorStr2(handle));
}

}  // namespace

StatusOr<RgbImage> DecodeJpegAtLeast(ByteSpan jpeg, int width, int height, int min_width, int min_height) {
  // A handle is cheap next to a decode (a few KB of state) and one per call
  // keeps concurrent server requests apart.
  std::unique_ptr<void, TjDestroy> handle(tjInitDecompress());
  if (handle == nullptr) return Internal(std::string("libjpeg-turbo: ") + tjGetErrorStr2(nullptr));
  const unsigned long size = static_cast<unsigned long>(jpeg.size);  // the core capped it at its 8 MB limit
  int header_width = 0, header_height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(handle.get(), jpeg.data, size, &header_width, &header_height, &subsampling, &colorspace) !=
      0) {
    return Corrupt(handle.get());
  }
  // stb read the size the core checked against Lookout's limits; a file whose
  // headers disagree is not one to trust with memory.
  if (header_width != width || header_height != height) {
    return InvalidInput("corrupt JPEG: its frame headers disagree on its size (" + std::to_string(width) + "x" +
                        std::to_string(height) + " and " + std::to_string(header_width) + "x" +
                        std::to_string(header_height) + " px)");
  }
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) return Unsupported("CMYK JPEG");

  // The smallest scale, of those with numerator 1, whose output still covers
  // the request; libjpeg-turbo rounds scaled sides up (TJSCALED).
  tjscalingfactor chosen = {1, 1};
  for (int denom : {8, 4, 2}) {
    const tjscalingfactor f = {1, denom};
    if (TJSCALED(width, f) >= min_width && TJSCALED(height, f) >= min_height) {
      chosen = f;
      break;
    }
  }
  RgbImage image;
  image.width = TJSCALED(width, chosen);
  image.height = TJSCALED(height, chosen);
  image.pixels.resize(static_cast<size_t>(image.width) * image.height * 3);
  // STOPONWARNING: a truncated or damaged file is an error, as it is for
  // stb, not grey filler. LIMITSCANS: a progressive file of more than 500
  // scans (a CPU bomb) is refused.
  const int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
  if (tjDecompress2(handle.get(), jpeg.data, size, image.pixels.data(), image.width, 0, image.height, TJPF_RGB,
                    flags) != 0) {
    return Corrupt(handle.get());
  }
  return image;
}

JpegDecoder TurboJpegDecoder() { return JpegDecoder{&DecodeJpegAtLeast}; }

}  // namespace anomalens
