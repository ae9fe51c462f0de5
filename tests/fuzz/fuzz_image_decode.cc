// Image decode with content-type checking: the bytes of a camera frame or an
// upload, under each content type a request may claim. The first byte picks
// the type; the rest is the file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/image/image_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const char* const kTypes[] = {"image/png", "image/jpeg", "", "image/gif", "IMAGE/PNG"};
  const std::string content_type = kTypes[data[0] % 5];
  const anomalens::ByteSpan bytes(data + 1, size - 1);
  auto rgb = anomalens::DecodeImage(bytes, content_type);
  if (rgb.ok() && rgb->pixels.size() != static_cast<size_t>(rgb->width) * rgb->height * 3) __builtin_trap();
  if (data[0] & 0x80) {
    auto rgba = anomalens::DecodeImageRgba(bytes, content_type);
    if (rgba.ok() != rgb.ok()) __builtin_trap();  // the two decoders accept the same files
  }
  return 0;
}
