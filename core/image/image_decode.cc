#include "core/image/image_decode.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>  // SIZE_MAX
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace anomalens {
namespace {

// stb_image allocates through StbMalloc/StbRealloc so that one decode can be
// capped. A PNG's zlib stream may inflate far past what the header's
// dimensions need (8 MB of deflate can expand to gigabytes), and stb grows
// its output buffer to fit; with the cap that growth fails instead of
// exhausting memory. thread_local because a host may decode on several
// threads at once (the core itself starts none). Outside DecodeImage there is
// no cap, so other direct callers of stb_image (tests) behave as usual.
thread_local size_t g_stb_allocation_cap = SIZE_MAX;
thread_local bool g_stb_allocation_refused = false;

// Zeroed, because stb 2.27 reads decoder state it never wrote: a JPEG scan
// may name a Huffman table no DHT segment defined, and stb then indexes with
// whatever the heap held. Fresh pages are zero anyway, so calloc costs little.
void* StbMalloc(size_t size) {
  if (size > g_stb_allocation_cap) {
    g_stb_allocation_refused = true;
    return nullptr;
  }
  return std::calloc(1, size);
}

void* StbRealloc(void* pointer, size_t size) {
  if (size > g_stb_allocation_cap) {
    g_stb_allocation_refused = true;
    return nullptr;  // stb still owns `pointer` and frees it on its error path.
  }
  return std::realloc(pointer, size);
}

// stb 2.27 copies zero bytes to a null buffer when a PNG's first IDAT chunk
// is empty (found by tests/fuzz). memcpy's pointers must not be null even
// for zero bytes, and compilers may drop later null checks on that
// assumption, so stb's copies go through this guard.
void* StbMemcpy(void* to, const void* from, size_t size) { return size == 0 ? to : std::memcpy(to, from, size); }

}  // namespace
}  // namespace anomalens

// The one definition of stb_image in the project. Only PNG and JPEG are
// compiled in (less attack surface, smaller wasm); no stdio, since the core
// does no file I/O; no linear/HDR conversion, which would pull in pow().
// No SIMD: stb's SSE2 JPEG path would be x86-only (wasm and ARM run the
// scalar one) and needs <emmintrin.h>; the scalar path decodes every
// platform through the same code, at about 15% more time on large JPEGs.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_NO_LINEAR
#define STBI_NO_SIMD
#define STBI_MALLOC(size) ::anomalens::StbMalloc(size)
#define STBI_REALLOC(pointer, size) ::anomalens::StbRealloc(pointer, size)
#define STBI_FREE(pointer) std::free(pointer)
// Third-party code: its one -Wextra warning (partial aggregate
// initialisers) is not ours to fix. GCC and Clang both read this pragma.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
// <cstring> is already included above, so the macro reaches stb's calls only.
#define memcpy(to, from, size) ::anomalens::StbMemcpy(to, from, size)
// stb 2.27 can consume more JPEG bits than it has loaded when a marker cuts a
// corrupt scan short (2.28 checks; Debian 12 has 2.27), and its next refill
// then shifts by 32 or more (found by tests/fuzz). x86 and wasm take the
// count modulo 32, so the bits are garbage but every table index stays
// masked, and the block is refused as corrupt. Not fixable from outside stb:
// UBSan's shift-exponent check is off for stb's functions alone.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("shift-exponent"))), apply_to = function)
#endif
#include "stb_image.h"
#if defined(__clang__)
#pragma clang attribute pop
#endif
#undef memcpy
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace anomalens {
namespace {

enum class ImageFormat { kAny, kPng, kJpeg, kUnknown };

const char* FormatName(ImageFormat format) { return format == ImageFormat::kPng ? "PNG" : "JPEG"; }

const char* ContentTypeName(ImageFormat format) { return format == ImageFormat::kPng ? "image/png" : "image/jpeg"; }

// Identifies the format from its signature, so that a mislabelled upload is
// reported as such rather than as a corrupt image.
ImageFormat SniffFormat(ByteSpan bytes) {
  static constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  static constexpr uint8_t kJpegSignature[3] = {0xFF, 0xD8, 0xFF};
  if (bytes.size >= sizeof(kPngSignature) && std::memcmp(bytes.data, kPngSignature, sizeof(kPngSignature)) == 0) {
    return ImageFormat::kPng;
  }
  if (bytes.size >= sizeof(kJpegSignature) && std::memcmp(bytes.data, kJpegSignature, sizeof(kJpegSignature)) == 0) {
    return ImageFormat::kJpeg;
  }
  return ImageFormat::kUnknown;
}

// Reads a byte as stb does: past the end, stb's reader returns zeros.
uint8_t ByteAt(ByteSpan bytes, size_t offset) { return offset < bytes.size ? bytes.data[offset] : 0; }

// True when every Huffman table in the JPEG's DHT segments defines at most
// 256 codes. stb 2.27 (Debian's libstb-dev) writes one entry per code into
// 256- and 257-entry arrays without checking the sum (fixed upstream in
// 2.28), so a crafted DHT of up to 4080 codes overwrites the decoder's
// state. The walk mirrors how stb finds segments, erring towards checking
// more: it skips stray bytes between segments, follows segment lengths, and
// skips entropy-coded data up to the first marker that is not a stuffed zero
// or a restart marker.
bool JpegHuffmanTablesFit(ByteSpan bytes) {
  size_t pos = 2;  // after SOI
  while (pos < bytes.size) {
    if (bytes.data[pos] != 0xFF) {  // stray byte: stb skips it too
      ++pos;
      continue;
    }
    while (pos < bytes.size && bytes.data[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= bytes.size) break;
    const uint8_t marker = bytes.data[pos++];
    if (marker == 0xD9) break;  // EOI: stb reads no further
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      continue;  // markers without a length
    }
    const size_t length = (size_t{ByteAt(bytes, pos)} << 8) | ByteAt(bytes, pos + 1);
    if (length < 2) break;  // stb rejects every segment this short
    if (marker == 0xC4) {
      // Tables as stb parses them: class/id byte, 16 counts, then the
      // symbols, until the segment length is used up.
      size_t table = pos + 2;
      int64_t remaining = static_cast<int64_t>(length) - 2;
      while (remaining > 0 && table < bytes.size) {
        int codes = 0;
        for (size_t i = 1; i <= 16; ++i) codes += ByteAt(bytes, table + i);
        if (codes > 256) return false;
        table += 17 + static_cast<size_t>(codes);
        remaining -= 17 + codes;
      }
    }
    pos += length;
    if (marker == 0xDA) {  // SOS: entropy-coded data follows
      while (pos < bytes.size) {
        // To the next 0xFF (memchr's wide compares: the scan is most of
        // the file, and this loop was a byte a step).
        const void* ff = std::memchr(bytes.data + pos, 0xFF, bytes.size - pos);
        if (ff == nullptr) {
          pos = bytes.size;
          break;
        }
        pos = static_cast<size_t>(static_cast<const uint8_t*>(ff) - bytes.data);
        size_t next = pos + 1;
        while (next < bytes.size && bytes.data[next] == 0xFF) ++next;
        if (next >= bytes.size) break;
        const uint8_t byte = bytes.data[next];
        if (byte == 0x00 || (byte >= 0xD0 && byte <= 0xD7)) {
          pos = next + 1;  // stuffed 0xFF or restart marker: still in the scan
        } else {
          break;  // a marker: the outer loop reads it from here
        }
      }
    }
  }
  return true;
}

// "8388608 bytes (8 MB)": the exact number for machines, the round one for
// people.
std::string DescribeByteCount(uint64_t bytes) {
  std::string text = std::to_string(bytes) + " bytes";
  constexpr uint64_t kMiB = uint64_t{1} << 20;
  constexpr uint64_t kKiB = uint64_t{1} << 10;
  if (bytes >= kMiB && bytes % kMiB == 0) {
    text += " (" + std::to_string(bytes / kMiB) + " MB)";
  } else if (bytes >= kKiB && bytes % kKiB == 0) {
    text += " (" + std::to_string(bytes / kKiB) + " KB)";
  }
  return text;
}

// The largest single buffer a legitimate decode of a width x height image
// asks stb for is the 16-bit RGBA samples plus PNG's filter byte per row;
// JPEG's per-component planes, padded to whole MCUs, are smaller except for
// tiny images, which kSlack covers along with the fixed decoder state. The
// compressed IDAT data stb gathers grows by doubling up to twice the input.
size_t DecodeAllocationCap(size_t input_size, int width, int height) {
  constexpr uint64_t kSlack = uint64_t{1} << 20;
  const uint64_t pixels =
      static_cast<uint64_t>(width) * static_cast<uint64_t>(height) * 8 + static_cast<uint64_t>(height);
  const uint64_t compressed = 2 * static_cast<uint64_t>(input_size);
  const uint64_t cap = (pixels > compressed ? pixels : compressed) + kSlack;
  return cap > SIZE_MAX ? SIZE_MAX : static_cast<size_t>(cap);
}

// Sets the stb allocation cap for the lifetime of one stb call.
class StbAllocationScope {
 public:
  explicit StbAllocationScope(size_t cap) : previous_cap_(g_stb_allocation_cap) {
    g_stb_allocation_cap = cap;
    g_stb_allocation_refused = false;
  }
  ~StbAllocationScope() { g_stb_allocation_cap = previous_cap_; }
  StbAllocationScope(const StbAllocationScope&) = delete;
  StbAllocationScope& operator=(const StbAllocationScope&) = delete;

 private:
  size_t previous_cap_;
};

Status CorruptImage(ImageFormat format) {
  const char* reason = stbi_failure_reason();
  return InvalidInput(std::string("corrupt or truncated ") + FormatName(format) + ": " +
                      (reason != nullptr ? reason : "unknown error"));
}

struct StbFree {
  void operator()(stbi_uc* pixels) const { stbi_image_free(pixels); }
};

// Pixels with `channels` 8-bit samples each, as stb returned them.
struct DecodedPixels {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
};

// Every check of DecodeImage, then the decode itself with stb converting to
// `channels` samples a pixel (3: alpha dropped, grey widened; 4: alpha kept,
// 255 where the file has none). Both public decoders are this one function,
// so an RGBA caller gets exactly the same rejections as an RGB one.
// With `jpeg` set (3 channels only), a JPEG that passed every check goes to
// it with the smallest size the caller needs, `min_fraction` of each side.
StatusOr<DecodedPixels> DecodeToChannels(ByteSpan bytes, std::string_view content_type, const ImageLimits& limits,
                                         int channels, const JpegDecoder* jpeg = nullptr, double min_fraction = 1,
                                         int* original_width = nullptr, int* original_height = nullptr,
                                         const ResizeTarget* resize_to = nullptr, RgbImage* resized = nullptr) {
  // Size first: it costs nothing and bounds everything after it.
  RETURN_IF_ERROR(CheckEncodedImageSize(bytes.size, limits));
  // stb takes an int length; only a caller who raised max_bytes past 2 GB
  // can get here.
  if (bytes.size > static_cast<size_t>(INT_MAX)) {
    return InvalidInput("image is " + std::to_string(bytes.size) + " bytes; the decoder's limit is " +
                        DescribeByteCount(INT_MAX));
  }

  ImageFormat declared;
  if (content_type == "image/png") {
    declared = ImageFormat::kPng;
  } else if (content_type == "image/jpeg") {
    declared = ImageFormat::kJpeg;
  } else if (content_type.empty()) {
    declared = ImageFormat::kAny;
  } else {
    return Unsupported("unsupported content type '" + std::string(content_type) + "'; use image/png or image/jpeg");
  }

  const ImageFormat actual = SniffFormat(bytes);
  if (actual == ImageFormat::kUnknown) {
    if (declared == ImageFormat::kAny) {
      return InvalidInput(
          "the bytes are neither a PNG nor a JPEG image (unrecognized signature); "
          "supported types are image/png and image/jpeg");
    }
    return InvalidInput(std::string("content type is ") + ContentTypeName(declared) + " but the bytes are not a " +
                        FormatName(declared) + " image (no " + FormatName(declared) + " signature)");
  }
  if (declared != ImageFormat::kAny && declared != actual) {
    return InvalidInput(std::string("content type is ") + ContentTypeName(declared) + " but the bytes are a " +
                        FormatName(actual) + " image");
  }

  if (actual == ImageFormat::kJpeg && !JpegHuffmanTablesFit(bytes)) {
    return InvalidInput("corrupt JPEG: a Huffman table (DHT segment) defines more than 256 codes");
  }

  const int length = static_cast<int>(bytes.size);
  // Dimensions from the header only, so an image that is too large is
  // rejected before its pixels are allocated.
  int width = 0;
  int height = 0;
  int channels_in_file = 0;
  {
    StbAllocationScope scope(DecodeAllocationCap(bytes.size, 0, 0));
    if (!stbi_info_from_memory(bytes.data, length, &width, &height, &channels_in_file)) {
      return CorruptImage(actual);
    }
  }
  if (width < limits.min_side || height < limits.min_side || width > limits.max_side || height > limits.max_side) {
    return InvalidInput("image is " + std::to_string(width) + "x" + std::to_string(height) + " px; each side must be " +
                        std::to_string(limits.min_side) + " to " + std::to_string(limits.max_side) + " px");
  }

  if (original_width != nullptr) *original_width = width;
  if (original_height != nullptr) *original_height = height;

  if (actual == ImageFormat::kJpeg && jpeg != nullptr && jpeg->decode && channels == 3) {
    const double f = min_fraction > 1 ? 1 : min_fraction;
    const int min_width = std::max(1, static_cast<int>(std::ceil(width * f)));
    const int min_height = std::max(1, static_cast<int>(std::ceil(height * f)));
    ResizeRequest request;
    if (resize_to != nullptr && *resize_to && resized != nullptr) request = (*resize_to)(width, height);
    std::unique_ptr<RowByRowResize> rows;
    if (request.width > 0 && request.height > 0) {
      rows.reset(new RowByRowResize(width, height, request.width, request.height));
    }
    const bool pixels_too = !rows || request.pixels_too;
    StatusOr<RgbImage> image = jpeg->decode(bytes, width, height, min_width, min_height, rows.get(), pixels_too);
    if (image.ok()) {
      // Without pixels only when they were not needed and the resize is made.
      const bool sized_only = !pixels_too && image->pixels.empty() && rows->complete() && image->width == width &&
                              image->height == height;
      if (image->width < min_width || image->height < min_height || image->width > width || image->height > height ||
          (!sized_only && image->pixels.size() != static_cast<size_t>(image->width) * image->height * 3)) {
        return Internal("JPEG decoder returned " + std::to_string(image->width) + "x" +
                        std::to_string(image->height) + " px for a " + std::to_string(width) + "x" +
                        std::to_string(height) + " px image asked for at least " + std::to_string(min_width) + "x" +
                        std::to_string(min_height));
      }
      DecodedPixels decoded;
      decoded.width = image->width;
      decoded.height = image->height;
      decoded.pixels = std::move(image->pixels);
      // Rows fed at full size make the resize of these pixels.
      if (rows && rows->complete() && decoded.width == width && decoded.height == height) *resized = rows->Take();
      return decoded;
    }
    if (image.status().code() != StatusCode::kUnsupported) return image.status();
    // kUnsupported: stb below decodes it.
  }

  int decoded_width = 0;
  int decoded_height = 0;
  std::unique_ptr<stbi_uc, StbFree> pixels;
  bool allocation_refused = false;
  {
    StbAllocationScope scope(DecodeAllocationCap(bytes.size, width, height));
    // Asking for 3 channels makes stb drop alpha and widen grey; asking for 4
    // widens grey and adds opaque alpha where the file has none (a tRNS
    // chunk counts as alpha). Either way 16-bit samples keep their high byte.
    pixels.reset(
        stbi_load_from_memory(bytes.data, length, &decoded_width, &decoded_height, &channels_in_file, channels));
    allocation_refused = g_stb_allocation_refused;
  }
  if (pixels == nullptr) {
    if (allocation_refused) {
      return InvalidInput(std::string("corrupt ") + FormatName(actual) + ": decoding it needs more memory than a " +
                          std::to_string(width) + "x" + std::to_string(height) + " image can (a decompression bomb?)");
    }
    return CorruptImage(actual);
  }
  if (decoded_width != width || decoded_height != height) {
    return Internal("decoder reported " + std::to_string(decoded_width) + "x" + std::to_string(decoded_height) +
                    " px after a header of " + std::to_string(width) + "x" + std::to_string(height) + " px");
  }

  DecodedPixels decoded;
  decoded.width = width;
  decoded.height = height;
  const size_t size = static_cast<size_t>(width) * static_cast<size_t>(height) * static_cast<size_t>(channels);
  decoded.pixels.assign(pixels.get(), pixels.get() + size);
  return decoded;
}

}  // namespace

Status CheckEncodedImageSize(size_t size, const ImageLimits& limits) {
  if (size == 0) return InvalidInput("image is empty (0 bytes)");
  if (size > limits.max_bytes) {
    return InvalidInput("image is " + std::to_string(size) + " bytes; the limit is " +
                        DescribeByteCount(limits.max_bytes));
  }
  return Status::Ok();
}

StatusOr<RgbImage> DecodeImage(ByteSpan bytes, std::string_view content_type, const ImageLimits& limits) {
  ASSIGN_OR_RETURN(DecodedPixels decoded, DecodeToChannels(bytes, content_type, limits, 3));
  RgbImage image;
  image.width = decoded.width;
  image.height = decoded.height;
  image.pixels = std::move(decoded.pixels);
  return image;
}

StatusOr<DecodedImage> DecodeImageAtLeast(ByteSpan bytes, std::string_view content_type, double fraction,
                                          const JpegDecoder& jpeg, const ImageLimits& limits,
                                          const ResizeTarget& resize_to) {
  DecodedImage image;
  ASSIGN_OR_RETURN(DecodedPixels decoded, DecodeToChannels(bytes, content_type, limits, 3, &jpeg, fraction,
                                                           &image.width, &image.height, &resize_to, &image.resized));
  image.pixels.width = decoded.width;
  image.pixels.height = decoded.height;
  image.pixels.pixels = std::move(decoded.pixels);
  return image;
}

StatusOr<RgbaImage> DecodeImageRgba(ByteSpan bytes, std::string_view content_type, const ImageLimits& limits) {
  ASSIGN_OR_RETURN(DecodedPixels decoded, DecodeToChannels(bytes, content_type, limits, 4));
  RgbaImage image;
  image.width = decoded.width;
  image.height = decoded.height;
  image.pixels = std::move(decoded.pixels);
  return image;
}

}  // namespace anomalens
