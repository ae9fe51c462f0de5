#include "core/image/png_encode.h"

#include <climits>

// The one definition of stb_image_write in the project (tests link it for
// stbi_write_jpg_to_func too). No stdio: the core does no file I/O.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
// Third-party code: its one -Wextra warning (partial aggregate
// initialisers) is not ours to fix. GCC and Clang both read this pragma.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include "stb_image_write.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace anomalens {
namespace {

void AppendToVector(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  const auto* bytes = static_cast<const uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

}  // namespace

std::vector<uint8_t> EncodePng(const uint8_t* pixels, int width, int height, int channels) {
  std::vector<uint8_t> png;
  if (pixels == nullptr || width < 1 || height < 1) return png;
  if (channels != 1 && channels != 3 && channels != 4) return png;
  // stb computes row and image sizes in int.
  if (width > INT_MAX / channels || height > INT_MAX / (width * channels + 1)) return png;
  // stb's output depends only on the pixels and on three globals: the zlib
  // level (8), the filter choice (-1: per-row heuristic, integer arithmetic)
  // and the vertical flip (off). Nothing in the project changes them, so
  // the bytes are the same on every platform.
  if (!stbi_write_png_to_func(AppendToVector, &png, width, height, channels, pixels, width * channels)) {
    png.clear();
  }
  return png;
}

}  // namespace anomalens
