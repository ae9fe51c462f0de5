#include "core/image/png_encode.h"

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "core/base/crc32.h"
#include "core/image/zlib_compress.h"

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

void AppendUint32(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 24));
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

// A PNG chunk: length, type, data, and the CRC of type and data.
void AppendChunk(std::vector<uint8_t>& out, const char type[4], const std::vector<uint8_t>& data) {
  AppendUint32(out, static_cast<uint32_t>(data.size()));
  const size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  AppendUint32(out, Crc32(out.data() + start, out.size() - start));
}

}  // namespace

std::vector<uint8_t> EncodeIndexedPng(const uint8_t* indices, int width, int height,
                                      const std::vector<uint32_t>& palette, const ParallelFor& parallel) {
  std::vector<uint8_t> png;
  if (indices == nullptr || width < 1 || height < 1 || palette.empty() || palette.size() > 256) return png;
  const int depth = palette.size() <= 2 ? 1 : palette.size() <= 4 ? 2 : palette.size() <= 16 ? 4 : 8;
  const int per_byte = 8 / depth;
  const size_t row_bytes = (static_cast<size_t>(width) + per_byte - 1) / per_byte;
  // stb's deflate takes an int length.
  if (static_cast<double>(row_bytes + 1) * height > INT_MAX) return png;

  // Rows of packed indices, leftmost pixel in the high bits, each after its
  // filter-type byte 0 (None).
  // A byte at a time: its pixels shifted in from the left (a row's last
  // byte padded with zero bits), no division a pixel.
  // Rows are independent: threads take whole rows, each written as alone.
  const size_t size = palette.size();
  std::vector<uint8_t> rows((row_bytes + 1) * static_cast<size_t>(height));
  std::vector<uint8_t> row_invalid(static_cast<size_t>(height));
  parallel(static_cast<size_t>(height), [&](size_t y0, size_t y1) {
    for (size_t y = y0; y < y1; ++y) {
      const uint8_t* in = indices + y * width;
      uint8_t* out = &rows[(row_bytes + 1) * y];
      *out++ = 0;  // filter None
      uint8_t largest = 0;  // a branch-free scan the compiler vectorizes
      for (int x = 0; x < width; ++x) largest = std::max(largest, in[x]);
      if (largest >= size) {
        row_invalid[y] = 1;
        continue;
      }
      size_t b = 0, x = 0;
      if (depth == 1) {
        // Eight 0/1 indices to a byte at once: byte k of v lands on bit 7 - k
        // of the product's top byte (no two partial products share a bit, so
        // nothing carries), the byte the loop below makes.
        for (; x + 8 <= static_cast<size_t>(width); x += 8, ++b) {
          uint64_t v = 0;
          for (int k = 0; k < 8; ++k) v |= static_cast<uint64_t>(in[x + k]) << (8 * k);
          out[b] = static_cast<uint8_t>((v * 0x8040201008040201ull) >> 56);
        }
      }
      for (; b < row_bytes; ++b) {
        const size_t end = std::min(x + per_byte, static_cast<size_t>(width));
        unsigned byte = 0;
        int filled = 0;
        for (; x < end; ++x, ++filled) byte = (byte << depth) | in[x];
        out[b] = static_cast<uint8_t>(byte << (depth * (per_byte - filled)));
      }
    }
  });
  for (uint8_t invalid : row_invalid)
    if (invalid) return png;
  // Level 8, EncodePng's: stb's deflate (StbZlibCompress makes its bytes), so
  // the same bytes everywhere.
  const std::vector<uint8_t> zlib = StbZlibCompress(rows.data(), rows.size(), 8);

  static constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  png.assign(kSignature, kSignature + 8);
  std::vector<uint8_t> header;
  AppendUint32(header, static_cast<uint32_t>(width));
  AppendUint32(header, static_cast<uint32_t>(height));
  header.insert(header.end(), {static_cast<uint8_t>(depth), 3, 0, 0, 0});  // indexed; deflate; adaptive; no interlace
  AppendChunk(png, "IHDR", header);
  std::vector<uint8_t> plte;
  for (uint32_t color : palette) {
    plte.insert(plte.end(), {static_cast<uint8_t>(color >> 16), static_cast<uint8_t>(color >> 8),
                             static_cast<uint8_t>(color)});
  }
  AppendChunk(png, "PLTE", plte);
  AppendChunk(png, "IDAT", zlib);
  AppendChunk(png, "IEND", {});
  return png;
}

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
