// DecodeImage: Lookout's input checks (each rejection's code and message),
// every pixel layout PNG and JPEG offer, and robustness on damaged input.
#include "core/image/image_decode.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/base/crc32.h"
#include "core/image/png_encode.h"
#include "stb_image_write.h"

namespace anomalens {
namespace {

using Bytes = std::vector<uint8_t>;

// --- A hand-written PNG builder, for layouts EncodePng does not produce
// (16-bit, grey+alpha, palette) and for headers that lie about their data.

void AppendBe32(Bytes& out, uint32_t value) {
  out.push_back(static_cast<uint8_t>(value >> 24));
  out.push_back(static_cast<uint8_t>(value >> 16));
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}

void AppendChunk(Bytes& png, const char* type, const Bytes& data) {
  AppendBe32(png, static_cast<uint32_t>(data.size()));
  const size_t start = png.size();
  png.insert(png.end(), type, type + 4);
  png.insert(png.end(), data.begin(), data.end());
  AppendBe32(png, Crc32(&png[start], png.size() - start));
}

uint32_t Adler32(const Bytes& data) {
  uint32_t a = 1;
  uint32_t b = 0;
  for (uint8_t byte : data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

// A zlib stream of deflate "stored" (uncompressed) blocks.
Bytes ZlibStored(const Bytes& raw) {
  Bytes out = {0x78, 0x01};
  size_t offset = 0;
  do {
    const size_t length = std::min<size_t>(raw.size() - offset, 65535);
    const bool final = offset + length == raw.size();
    out.push_back(final ? 1 : 0);
    out.push_back(static_cast<uint8_t>(length));
    out.push_back(static_cast<uint8_t>(length >> 8));
    out.push_back(static_cast<uint8_t>(~length));
    out.push_back(static_cast<uint8_t>(~length >> 8));
    out.insert(out.end(), raw.begin() + offset, raw.begin() + offset + length);
    offset += length;
  } while (offset < raw.size());
  AppendBe32(out, Adler32(raw));
  return out;
}

// A zlib stream that inflates to `size` zero bytes from a few bytes a
// kilobyte: one literal, then length-258 distance-1 copies, fixed Huffman.
Bytes ZlibZeros(size_t size) {
  Bytes out = {0x78, 0x01};
  uint32_t bit_buffer = 0;
  int bit_count = 0;
  auto put_bits = [&](uint32_t value, int count) {  // deflate packs LSB first
    bit_buffer |= value << bit_count;
    bit_count += count;
    while (bit_count >= 8) {
      out.push_back(static_cast<uint8_t>(bit_buffer));
      bit_buffer >>= 8;
      bit_count -= 8;
    }
  };
  auto put_code = [&](uint32_t code, int length) {  // Huffman codes go MSB first
    for (int i = length - 1; i >= 0; --i) put_bits((code >> i) & 1, 1);
  };
  put_bits(1, 1);     // BFINAL
  put_bits(1, 2);     // BTYPE = fixed Huffman
  put_code(0x30, 8);  // literal 0
  for (size_t written = 1; written + 258 <= size; written += 258) {
    put_code(0xC5, 8);  // length symbol 285: 258 bytes
    put_code(0, 5);     // distance code 0: distance 1
  }
  put_code(0, 7);  // end of block
  if (bit_count > 0) put_bits(0, 8 - bit_count);
  AppendBe32(out, 1);  // adler32 is never reached by the decoder
  return out;
}

// color_type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. A non-empty
// `transparency` becomes a tRNS chunk (palette alphas, or a colour key).
Bytes BuildPng(uint32_t width, uint32_t height, uint8_t bit_depth, uint8_t color_type, const Bytes& zlib_data,
               const Bytes& palette = {}, const Bytes& transparency = {}) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes header;
  AppendBe32(header, width);
  AppendBe32(header, height);
  header.insert(header.end(), {bit_depth, color_type, 0, 0, 0});
  AppendChunk(png, "IHDR", header);
  if (!palette.empty()) AppendChunk(png, "PLTE", palette);
  if (!transparency.empty()) AppendChunk(png, "tRNS", transparency);
  AppendChunk(png, "IDAT", zlib_data);
  AppendChunk(png, "IEND", {});
  return png;
}

// Rows of packed samples, each prefixed with filter type 0 (none).
Bytes Unfiltered(const Bytes& samples, size_t row_bytes) {
  Bytes raw;
  for (size_t offset = 0; offset < samples.size(); offset += row_bytes) {
    raw.push_back(0);
    raw.insert(raw.end(), samples.begin() + offset, samples.begin() + offset + row_bytes);
  }
  return raw;
}

// A PNG whose header claims width x height but whose data is a few bytes.
Bytes PngHeaderOnly(uint32_t width, uint32_t height) { return BuildPng(width, height, 8, 2, ZlibStored({0, 1, 2, 3})); }

void AppendToVector(void* context, void* data, int size) {
  auto* out = static_cast<Bytes*>(context);
  out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
}

Bytes EncodeJpeg(const Bytes& pixels, int width, int height, int channels, int quality) {
  Bytes jpeg;
  EXPECT_TRUE(stbi_write_jpg_to_func(AppendToVector, &jpeg, width, height, channels, pixels.data(), quality));
  return jpeg;
}

// A deterministic, not too compressible RGB test pattern.
Bytes Pattern(int width, int height) {
  Bytes pixels(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &pixels[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(x * 4);
      p[1] = static_cast<uint8_t>(y * 4);
      p[2] = static_cast<uint8_t>((x * 7 + y * 13) ^ (x * y));
    }
  }
  return pixels;
}

Bytes PatternPng(int width, int height) { return EncodePng(Pattern(width, height).data(), width, height, 3); }

Bytes PatternJpeg(int width, int height) { return EncodeJpeg(Pattern(width, height), width, height, 3, 90); }

template <typename T>
void ExpectRejected(const StatusOr<T>& result, StatusCode code, const std::string& message_part) {
  ASSERT_FALSE(result.ok()) << "expected a rejection containing: " << message_part;
  EXPECT_EQ(result.status().code(), code) << result.status().ToString();
  EXPECT_NE(result.status().message().find(message_part), std::string::npos)
      << "message was: " << result.status().message();
}

void ExpectPixel(const RgbImage& image, int x, int y, int r, int g, int b, int tolerance = 0) {
  const uint8_t* p = image.at(x, y);
  EXPECT_NEAR(p[0], r, tolerance) << "R at " << x << "," << y;
  EXPECT_NEAR(p[1], g, tolerance) << "G at " << x << "," << y;
  EXPECT_NEAR(p[2], b, tolerance) << "B at " << x << "," << y;
}

// --- Rejections, in the order DecodeImage checks them.

TEST(ImageDecode, Decode_rejects_empty) {
  ExpectRejected(DecodeImage(ByteSpan(), ""), StatusCode::kInvalidInput, "image is empty (0 bytes)");
  ExpectRejected(DecodeImage(Bytes(), "image/png"), StatusCode::kInvalidInput, "image is empty (0 bytes)");
}

TEST(ImageDecode, Decode_rejects_oversized_bytes) {
  Bytes bytes = PatternPng(64, 64);
  bytes.resize(9000001);  // a valid signature, so only the size can reject it
  ExpectRejected(DecodeImage(bytes, "image/png"), StatusCode::kInvalidInput,
                 "image is 9000001 bytes; the limit is 8388608 bytes (8 MB)");
}

TEST(ImageDecode, Decode_accepts_exactly_max_bytes) {
  Bytes bytes = PatternPng(64, 64);
  ImageLimits limits;
  limits.max_bytes = bytes.size();
  EXPECT_TRUE(DecodeImage(bytes, "image/png", limits).ok());
  limits.max_bytes = bytes.size() - 1;
  ExpectRejected(DecodeImage(bytes, "image/png", limits), StatusCode::kInvalidInput,
                 "; the limit is " + std::to_string(bytes.size() - 1) + " bytes");
}

TEST(ImageDecode, Decode_size_limit_message_rounds_only_whole_units) {
  ImageLimits limits;
  limits.max_bytes = 2048;
  ExpectRejected(DecodeImage(Bytes(3000, 0), "", limits), StatusCode::kInvalidInput,
                 "image is 3000 bytes; the limit is 2048 bytes (2 KB)");
  limits.max_bytes = 1000;
  const auto result = DecodeImage(Bytes(3000, 0), "", limits);
  ExpectRejected(result, StatusCode::kInvalidInput, "image is 3000 bytes; the limit is 1000 bytes");
  EXPECT_EQ(result.status().message().find('('), std::string::npos);
}

TEST(ImageDecode, Decode_rejects_unknown_content_type) {
  const Bytes png = PatternPng(64, 64);
  ExpectRejected(DecodeImage(png, "image/gif"), StatusCode::kUnsupported,
                 "unsupported content type 'image/gif'; use image/png or image/jpeg");
  // Exact strings only, as Lookout: no aliases, no case folding, no parameters.
  for (const char* type :
       {"image/jpg", "image/PNG", "IMAGE/JPEG", "image/png; charset=x", "png", "application/octet-stream", " "}) {
    ExpectRejected(DecodeImage(png, type), StatusCode::kUnsupported,
                   std::string("unsupported content type '") + type + "'");
  }
}

TEST(ImageDecode, Decode_rejects_garbage) {
  const std::string garbage = "this is certainly not an image, just some text";
  ExpectRejected(DecodeImage(garbage, ""), StatusCode::kInvalidInput, "the bytes are neither a PNG nor a JPEG image");
  ExpectRejected(DecodeImage(garbage, "image/png"), StatusCode::kInvalidInput,
                 "content type is image/png but the bytes are not a PNG image");
  ExpectRejected(DecodeImage(garbage, "image/jpeg"), StatusCode::kInvalidInput,
                 "content type is image/jpeg but the bytes are not a JPEG image");
  // Shorter than either signature.
  ExpectRejected(DecodeImage(Bytes{0xFF, 0xD8}, ""), StatusCode::kInvalidInput, "neither a PNG nor a JPEG");
  ExpectRejected(DecodeImage(Bytes{0x89}, ""), StatusCode::kInvalidInput, "neither a PNG nor a JPEG");
}

TEST(ImageDecode, Decode_rejects_content_type_mismatch) {
  ExpectRejected(DecodeImage(PatternJpeg(64, 64), "image/png"), StatusCode::kInvalidInput,
                 "content type is image/png but the bytes are a JPEG image");
  ExpectRejected(DecodeImage(PatternPng(64, 64), "image/jpeg"), StatusCode::kInvalidInput,
                 "content type is image/jpeg but the bytes are a PNG image");
}

TEST(ImageDecode, Decode_rejects_too_small_side) {
  ExpectRejected(DecodeImage(PatternPng(32, 900), "image/png"), StatusCode::kInvalidInput,
                 "image is 32x900 px; each side must be 64 to 4096 px");
  ExpectRejected(DecodeImage(PatternJpeg(64, 63), "image/jpeg"), StatusCode::kInvalidInput,
                 "image is 64x63 px; each side must be 64 to 4096 px");
}

TEST(ImageDecode, Decode_rejects_too_large_side_before_decoding) {
  // The header claims 5000x5000 but the data is a few bytes: only a check
  // made from the header, before decoding, can report the size.
  const Bytes png = PngHeaderOnly(5000, 5000);
  ASSERT_LT(png.size(), 100u);
  ExpectRejected(DecodeImage(png, "image/png"), StatusCode::kInvalidInput,
                 "image is 5000x5000 px; each side must be 64 to 4096 px");
  ExpectRejected(DecodeImage(PngHeaderOnly(4097, 64), ""), StatusCode::kInvalidInput,
                 "image is 4097x64 px; each side must be 64 to 4096 px");
}

TEST(ImageDecode, Decode_rejects_too_large_jpeg_side_before_decoding) {
  // A real JPEG whose SOF0 frame header is rewritten to claim 5000x4100.
  Bytes jpeg = PatternJpeg(64, 64);
  size_t sof = 0;
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      sof = i;
      break;
    }
  }
  ASSERT_NE(sof, 0u) << "no SOF0 marker";
  jpeg[sof + 5] = 4100 >> 8;  // height
  jpeg[sof + 6] = 4100 & 0xFF;
  jpeg[sof + 7] = 5000 >> 8;  // width
  jpeg[sof + 8] = 5000 & 0xFF;
  ExpectRejected(DecodeImage(jpeg, "image/jpeg"), StatusCode::kInvalidInput,
                 "image is 5000x4100 px; each side must be 64 to 4096 px");
}

TEST(ImageDecode, Decode_rejects_truncated_png) {
  const Bytes png = PatternPng(64, 64);
  const Bytes truncated(png.begin(), png.begin() + png.size() / 2);  // mid-IDAT
  ExpectRejected(DecodeImage(truncated, "image/png"), StatusCode::kInvalidInput, "corrupt or truncated PNG: ");
  // Cut inside the header: the dimensions cannot even be read.
  const Bytes header_cut(png.begin(), png.begin() + 20);
  ExpectRejected(DecodeImage(header_cut, "image/png"), StatusCode::kInvalidInput, "corrupt or truncated PNG: ");
}

TEST(ImageDecode, Decode_rejects_truncated_jpeg) {
  const Bytes jpeg = PatternJpeg(64, 64);
  const Bytes truncated(jpeg.begin(), jpeg.begin() + jpeg.size() * 3 / 4);  // mid-scan
  ExpectRejected(DecodeImage(truncated, "image/jpeg"), StatusCode::kInvalidInput, "corrupt or truncated JPEG: ");
  const Bytes header_cut(jpeg.begin(), jpeg.begin() + 40);
  ExpectRejected(DecodeImage(header_cut, "image/jpeg"), StatusCode::kInvalidInput, "corrupt or truncated JPEG: ");
}

TEST(ImageDecode, Decode_rejects_decompression_bomb) {
  // 64x64 RGB needs 12352 bytes of scanlines; this IDAT inflates to 64 MB
  // from about 400 KB. The decoder must stop growing its buffer, not follow.
  const Bytes png = BuildPng(64, 64, 8, 2, ZlibZeros(64u << 20));
  ASSERT_LT(png.size(), 1u << 20);
  ExpectRejected(DecodeImage(png, "image/png"), StatusCode::kInvalidInput, "decompression bomb");
  // The cap applies only inside DecodeImage: the next ordinary decode works.
  EXPECT_TRUE(DecodeImage(PatternPng(64, 64), "image/png").ok());
}

// stb 2.27 writes one entry per declared code into 256-entry tables without
// checking the total; DecodeImage must refuse such a table before stb sees it.
TEST(ImageDecode, Decode_rejects_jpeg_huffman_table_overflow) {
  Bytes jpeg = PatternJpeg(64, 64);
  size_t dht = 0;
  for (size_t i = 2; i + 21 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC4) {
      dht = i;
      break;
    }
  }
  ASSERT_NE(dht, 0u) << "no DHT marker";
  for (size_t i = 0; i < 16; ++i) jpeg[dht + 5 + i] = 255;  // 4080 codes
  ExpectRejected(DecodeImage(jpeg, "image/jpeg"), StatusCode::kInvalidInput,
                 "corrupt JPEG: a Huffman table (DHT segment) defines more than 256 codes");
}

// The boundary: an extra DHT segment right after SOI defining DC table 0
// with 256 codes is accepted (the file's own DHT later replaces it); with
// 257 codes it is refused.
TEST(ImageDecode, Decode_accepts_jpeg_huffman_table_of_256_codes) {
  const Bytes jpeg = PatternJpeg(64, 64);
  for (int codes : {256, 257}) {
    Bytes segment = {0xFF, 0xC4};
    const int length = 2 + 17 + codes;
    segment.push_back(static_cast<uint8_t>(length >> 8));
    segment.push_back(static_cast<uint8_t>(length));
    segment.push_back(0x00);  // class 0 (DC), id 0
    for (int bits = 1; bits <= 16; ++bits) {
      segment.push_back(bits == 8 ? 255 : bits == 9 ? static_cast<uint8_t>(codes - 255) : 0);
    }
    for (int i = 0; i < codes; ++i) segment.push_back(static_cast<uint8_t>(i % 12));
    Bytes patched(jpeg.begin(), jpeg.begin() + 2);
    patched.insert(patched.end(), segment.begin(), segment.end());
    patched.insert(patched.end(), jpeg.begin() + 2, jpeg.end());
    const auto result = DecodeImage(patched, "image/jpeg");
    if (codes == 256) {
      EXPECT_TRUE(result.ok()) << result.status().ToString();
    } else {
      ExpectRejected(result, StatusCode::kInvalidInput, "defines more than 256 codes");
    }
  }
}

// --- Acceptance: every layout becomes RGB8.

TEST(ImageDecode, Decode_accepts_rgb_png_exactly) {
  const Bytes pixels = Pattern(70, 65);
  const Bytes png = EncodePng(pixels.data(), 70, 65, 3);
  for (const char* type : {"image/png", ""}) {
    const auto image = DecodeImage(png, type);
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    EXPECT_EQ(image->width, 70);
    EXPECT_EQ(image->height, 65);
    EXPECT_EQ(image->pixels, pixels);
  }
}

TEST(ImageDecode, Decode_accepts_sides_at_the_limits) {
  EXPECT_TRUE(DecodeImage(PatternPng(64, 64), "image/png").ok());
  const Bytes wide(4096 * 64 * 3, 7);
  const auto image = DecodeImage(EncodePng(wide.data(), 4096, 64, 3), "image/png");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->width, 4096);
  EXPECT_EQ(image->pixels, wide);
}

TEST(ImageDecode, Decode_honours_custom_limits) {
  ImageLimits limits;
  limits.min_side = 1;
  limits.max_side = 16;
  const Bytes small = Pattern(8, 5);
  const auto image = DecodeImage(EncodePng(small.data(), 8, 5, 3), "", limits);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->pixels, small);
  ExpectRejected(DecodeImage(PatternPng(17, 4), "", limits), StatusCode::kInvalidInput,
                 "image is 17x4 px; each side must be 1 to 16 px");
  // A 1x1 JPEG: MCU padding makes its buffers larger than its pixels.
  const auto tiny = DecodeImage(EncodeJpeg(Bytes{200, 100, 50}, 1, 1, 3, 95), "", limits);
  ASSERT_TRUE(tiny.ok()) << tiny.status().ToString();
  ExpectPixel(*tiny, 0, 0, 200, 100, 50, 6);
}

TEST(ImageDecode, Decode_accepts_grey_png) {
  Bytes grey(64 * 64);
  for (size_t i = 0; i < grey.size(); ++i) grey[i] = static_cast<uint8_t>(i * 3);
  const auto image = DecodeImage(EncodePng(grey.data(), 64, 64, 1), "image/png");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ASSERT_EQ(image->pixels.size(), grey.size() * 3);
  for (size_t i = 0; i < grey.size(); ++i) {
    ASSERT_EQ(image->pixels[i * 3 + 0], grey[i]) << i;
    ASSERT_EQ(image->pixels[i * 3 + 1], grey[i]) << i;
    ASSERT_EQ(image->pixels[i * 3 + 2], grey[i]) << i;
  }
}

TEST(ImageDecode, Decode_accepts_1_bit_grey_png) {
  // 64 px a row at 1 bit: 8 bytes, alternating 0xF0 0x0F.
  Bytes samples(8 * 64);
  for (size_t i = 0; i < samples.size(); ++i) samples[i] = i % 2 == 0 ? 0xF0 : 0x0F;
  const auto image = DecodeImage(BuildPng(64, 64, 1, 0, ZlibStored(Unfiltered(samples, 8))), "");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ExpectPixel(*image, 0, 0, 255, 255, 255);
  ExpectPixel(*image, 4, 0, 0, 0, 0);
  ExpectPixel(*image, 11, 9, 0, 0, 0);
  ExpectPixel(*image, 12, 9, 255, 255, 255);
}

TEST(ImageDecode, Decode_accepts_grey_alpha_png_dropping_alpha) {
  Bytes samples;  // grey, alpha
  for (int i = 0; i < 64 * 64; ++i) {
    samples.push_back(static_cast<uint8_t>(i));
    samples.push_back(static_cast<uint8_t>(i % 3 == 0 ? 0 : 128));
  }
  const auto image = DecodeImage(BuildPng(64, 64, 8, 4, ZlibStored(Unfiltered(samples, 128))), "image/png");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  for (int i = 0; i < 64 * 64; ++i) {
    const uint8_t v = static_cast<uint8_t>(i);  // not composited, whatever the alpha
    ASSERT_EQ(image->pixels[i * 3 + 0], v) << i;
    ASSERT_EQ(image->pixels[i * 3 + 1], v) << i;
    ASSERT_EQ(image->pixels[i * 3 + 2], v) << i;
  }
}

TEST(ImageDecode, Decode_accepts_rgba_png_dropping_alpha) {
  Bytes rgba(64 * 64 * 4);
  Bytes rgb;
  for (int i = 0; i < 64 * 64; ++i) {
    rgba[i * 4 + 0] = static_cast<uint8_t>(i);
    rgba[i * 4 + 1] = static_cast<uint8_t>(255 - i % 256);
    rgba[i * 4 + 2] = static_cast<uint8_t>(i * 7);
    rgba[i * 4 + 3] = static_cast<uint8_t>(i % 2 == 0 ? 0 : 77);  // fully transparent too
    rgb.insert(rgb.end(), {rgba[i * 4 + 0], rgba[i * 4 + 1], rgba[i * 4 + 2]});
  }
  const auto image = DecodeImage(EncodePng(rgba.data(), 64, 64, 4), "image/png");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->pixels, rgb);
}

TEST(ImageDecode, Decode_accepts_palette_png) {
  const Bytes palette = {255, 0, 0, 0, 255, 0, 10, 20, 30};
  Bytes indices(64 * 64);
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<uint8_t>(i % 3);
  const auto image = DecodeImage(BuildPng(64, 64, 8, 3, ZlibStored(Unfiltered(indices, 64)), palette), "");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ExpectPixel(*image, 0, 0, 255, 0, 0);
  ExpectPixel(*image, 1, 0, 0, 255, 0);
  ExpectPixel(*image, 2, 0, 10, 20, 30);
  ExpectPixel(*image, 0, 1, 0, 255, 0);  // index 64 % 3 == 1
}

// 16-bit samples keep their high byte: v * 257 maps back to v exactly, and
// the low byte never rounds up.
TEST(ImageDecode, Decode_accepts_16_bit_rgb_png) {
  const uint16_t kSamples[] = {0x0000, 0x00FF, 0x7F80, 0x8000, 0x80FF, 0xFEFF, 0xFFFF, 0x1234, 100 * 257, 200 * 257};
  const int kCount = sizeof(kSamples) / sizeof(kSamples[0]);
  Bytes samples;
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      for (int c = 0; c < 3; ++c) {
        const uint16_t v = kSamples[(x + y + c) % kCount];
        samples.push_back(static_cast<uint8_t>(v >> 8));
        samples.push_back(static_cast<uint8_t>(v & 0xFF));
      }
    }
  }
  const auto image = DecodeImage(BuildPng(64, 64, 16, 2, ZlibStored(Unfiltered(samples, 64 * 6))), "image/png");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      for (int c = 0; c < 3; ++c) {
        ASSERT_EQ(image->at(x, y)[c], kSamples[(x + y + c) % kCount] >> 8) << x << "," << y << " channel " << c;
      }
    }
  }
  EXPECT_EQ(image->at(8, 0)[0], 100);  // 100 * 257
  EXPECT_EQ(image->at(9, 0)[0], 200);  // 200 * 257
}

TEST(ImageDecode, Decode_accepts_16_bit_grey_and_rgba_png) {
  Bytes grey;
  Bytes rgba;
  for (int i = 0; i < 64 * 64; ++i) {
    const uint16_t v = static_cast<uint16_t>(i * 16 + 15);
    grey.insert(grey.end(), {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)});
    for (int c = 0; c < 4; ++c) {
      const uint16_t s = c == 3 ? 0 : static_cast<uint16_t>(v - c);
      rgba.insert(rgba.end(), {static_cast<uint8_t>(s >> 8), static_cast<uint8_t>(s)});
    }
  }
  const auto g = DecodeImage(BuildPng(64, 64, 16, 0, ZlibStored(Unfiltered(grey, 128))), "");
  const auto a = DecodeImage(BuildPng(64, 64, 16, 6, ZlibStored(Unfiltered(rgba, 512))), "");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  for (int i = 0; i < 64 * 64; ++i) {
    const int v = i * 16 + 15;
    for (int c = 0; c < 3; ++c) {
      ASSERT_EQ(g->pixels[i * 3 + c], v >> 8) << i;
      ASSERT_EQ(a->pixels[i * 3 + c], (v - c) >> 8) << i;
    }
  }
}

TEST(ImageDecode, Decode_accepts_jpeg) {
  // Four flat quadrants: JPEG is lossy, but flat areas come back close.
  const int kSide = 96;
  Bytes pixels(kSide * kSide * 3);
  const uint8_t kColours[4][3] = {{220, 30, 40}, {20, 200, 60}, {30, 50, 210}, {128, 128, 128}};
  for (int y = 0; y < kSide; ++y) {
    for (int x = 0; x < kSide; ++x) {
      const uint8_t* colour = kColours[(y >= kSide / 2) * 2 + (x >= kSide / 2)];
      for (int c = 0; c < 3; ++c) pixels[(y * kSide + x) * 3 + c] = colour[c];
    }
  }
  const Bytes jpeg = EncodeJpeg(pixels, kSide, kSide, 3, 95);
  for (const char* type : {"image/jpeg", ""}) {
    const auto image = DecodeImage(jpeg, type);
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    ASSERT_EQ(image->width, kSide);
    ASSERT_EQ(image->height, kSide);
    for (int q = 0; q < 4; ++q) {
      const int x = (q % 2) * kSide / 2 + kSide / 4;
      const int y = (q / 2) * kSide / 2 + kSide / 4;
      ExpectPixel(*image, x, y, kColours[q][0], kColours[q][1], kColours[q][2], 6);
    }
  }
}

TEST(ImageDecode, Decode_accepts_grey_jpeg) {
  Bytes grey(64 * 64);
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) grey[y * 64 + x] = x < 32 ? 40 : 200;
  }
  const auto image = DecodeImage(EncodeJpeg(grey, 64, 64, 1, 95), "image/jpeg");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ExpectPixel(*image, 10, 30, 40, 40, 40, 4);
  ExpectPixel(*image, 50, 30, 200, 200, 200, 4);
  const uint8_t* p = image->at(10, 30);
  EXPECT_TRUE(p[0] == p[1] && p[1] == p[2]);
}

// --- Robustness: damaged input yields a Status, never a crash (run this
// under ASan/UBSan too).

TEST(ImageDecode, Decode_survives_every_truncation_of_png) {
  const Bytes png = PatternPng(64, 64);
  for (size_t n = 0; n < png.size(); ++n) {
    const auto result = DecodeImage(ByteSpan(png.data(), n), "image/png");
    // Only the last chunk (IEND, 12 bytes) carries no pixels; stb does not
    // require it, so cutting into it may still decode.
    if (n < png.size() - 12) {
      ASSERT_FALSE(result.ok()) << "truncated to " << n << " of " << png.size();
      ASSERT_EQ(result.status().code(), StatusCode::kInvalidInput) << n;
    }
  }
}

TEST(ImageDecode, Decode_survives_every_truncation_of_jpeg) {
  const Bytes jpeg = PatternJpeg(64, 64);
  for (size_t n = 0; n < jpeg.size(); ++n) {
    const auto result = DecodeImage(ByteSpan(jpeg.data(), n), "image/jpeg");
    if (n < jpeg.size() - 2) {  // all but the EOI marker
      ASSERT_FALSE(result.ok()) << "truncated to " << n << " of " << jpeg.size();
      ASSERT_EQ(result.status().code(), StatusCode::kInvalidInput) << n;
    }
  }
}

TEST(ImageDecode, Decode_survives_corrupted_bytes) {
  std::mt19937 random(12345);
  const Bytes originals[] = {PatternPng(64, 64), PatternJpeg(64, 64)};
  for (const Bytes& original : originals) {
    for (int trial = 0; trial < 1500; ++trial) {
      Bytes bytes = original;
      const int flips = 1 + static_cast<int>(random() % 8);
      for (int i = 0; i < flips; ++i) {
        bytes[random() % bytes.size()] = static_cast<uint8_t>(random());
      }
      const auto result = DecodeImage(bytes, "");
      if (result.ok()) {
        ASSERT_EQ(result->pixels.size(), static_cast<size_t>(result->width) * result->height * 3);
      } else {
        ASSERT_NE(result.status().code(), StatusCode::kOk);
        ASSERT_FALSE(result.status().message().empty());
      }
    }
  }
}

// --- DecodeImageRgba: the same checks, alpha kept.

void ExpectRgba(const RgbaImage& image, int x, int y, int r, int g, int b, int a) {
  const uint8_t* p = image.at(x, y);
  EXPECT_EQ(p[0], r) << "R at " << x << "," << y;
  EXPECT_EQ(p[1], g) << "G at " << x << "," << y;
  EXPECT_EQ(p[2], b) << "B at " << x << "," << y;
  EXPECT_EQ(p[3], a) << "A at " << x << "," << y;
}

// Every rejection of DecodeImage, with the same code and message, since both
// are one implementation.
TEST(ImageDecode, DecodeRgba_rejects_exactly_as_decode_image) {
  Bytes oversized = PatternPng(64, 64);
  oversized.resize(9000001);
  Bytes huffman = PatternJpeg(64, 64);
  for (size_t i = 2; i + 21 < huffman.size(); ++i) {
    if (huffman[i] == 0xFF && huffman[i + 1] == 0xC4) {
      for (size_t j = 0; j < 16; ++j) huffman[i + 5 + j] = 255;
      break;
    }
  }
  const Bytes png = PatternPng(64, 64);
  struct Case {
    Bytes bytes;
    const char* type;
  };
  const Case cases[] = {
      {Bytes(), ""},
      {oversized, "image/png"},
      {png, "image/gif"},
      {Bytes{'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'}, ""},
      {PatternJpeg(64, 64), "image/png"},
      {PatternPng(32, 900), "image/png"},
      {PngHeaderOnly(5000, 5000), "image/png"},
      {Bytes(png.begin(), png.begin() + png.size() / 2), "image/png"},
      {BuildPng(64, 64, 8, 2, ZlibZeros(64u << 20)), "image/png"},
      {huffman, "image/jpeg"},
  };
  for (const Case& c : cases) {
    const auto rgb = DecodeImage(c.bytes, c.type);
    const auto rgba = DecodeImageRgba(c.bytes, c.type);
    ASSERT_FALSE(rgb.ok());
    ASSERT_FALSE(rgba.ok()) << "accepted what DecodeImage rejects: " << rgb.status().ToString();
    EXPECT_EQ(rgba.status().code(), rgb.status().code());
    EXPECT_EQ(rgba.status().message(), rgb.status().message());
  }
  EXPECT_TRUE(DecodeImageRgba(png, "image/png").ok());  // the allocation cap is lifted again
}

TEST(ImageDecode, DecodeRgba_keeps_rgba_png_exactly) {
  Bytes rgba(64 * 65 * 4);
  for (size_t i = 0; i < rgba.size(); ++i) rgba[i] = static_cast<uint8_t>(i * 7 + i / 4);
  const auto image = DecodeImageRgba(EncodePng(rgba.data(), 64, 65, 4), "image/png");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->width, 64);
  EXPECT_EQ(image->height, 65);
  EXPECT_EQ(image->pixels, rgba);  // transparent pixels keep their colour
}

TEST(ImageDecode, DecodeRgba_adds_opaque_alpha_to_rgb_and_grey) {
  const Bytes rgb = Pattern(64, 64);
  const auto from_rgb = DecodeImageRgba(EncodePng(rgb.data(), 64, 64, 3), "");
  ASSERT_TRUE(from_rgb.ok()) << from_rgb.status().ToString();
  for (int i = 0; i < 64 * 64; ++i) {
    ASSERT_EQ(from_rgb->pixels[i * 4 + 0], rgb[i * 3 + 0]) << i;
    ASSERT_EQ(from_rgb->pixels[i * 4 + 1], rgb[i * 3 + 1]) << i;
    ASSERT_EQ(from_rgb->pixels[i * 4 + 2], rgb[i * 3 + 2]) << i;
    ASSERT_EQ(from_rgb->pixels[i * 4 + 3], 255) << i;
  }
  Bytes grey(64 * 64);
  for (size_t i = 0; i < grey.size(); ++i) grey[i] = static_cast<uint8_t>(i * 5);
  const auto from_grey = DecodeImageRgba(EncodePng(grey.data(), 64, 64, 1), "image/png");
  ASSERT_TRUE(from_grey.ok()) << from_grey.status().ToString();
  for (size_t i = 0; i < grey.size(); ++i) {
    const uint8_t* p = &from_grey->pixels[i * 4];
    ASSERT_TRUE(p[0] == grey[i] && p[1] == grey[i] && p[2] == grey[i] && p[3] == 255) << i;
  }
}

TEST(ImageDecode, DecodeRgba_keeps_grey_alpha) {
  Bytes samples;  // grey, alpha
  for (int i = 0; i < 64 * 64; ++i) {
    samples.push_back(static_cast<uint8_t>(i));
    samples.push_back(static_cast<uint8_t>(i % 3 == 0 ? 0 : 128));
  }
  const auto image = DecodeImageRgba(BuildPng(64, 64, 8, 4, ZlibStored(Unfiltered(samples, 128))), "image/png");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  for (int i = 0; i < 64 * 64; ++i) {
    const uint8_t v = static_cast<uint8_t>(i);
    ExpectRgba(*image, i % 64, i / 64, v, v, v, i % 3 == 0 ? 0 : 128);
  }
}

// Lookout's masks: a palette whose tRNS chunk makes entry 0 transparent and
// entry 2 half transparent; entries past the tRNS list stay opaque.
TEST(ImageDecode, DecodeRgba_palette_png_with_transparency) {
  const Bytes palette = {0, 0, 0, 0x23, 0xA4, 0x36, 0x23, 0xA4, 0x36, 9, 8, 7};
  const Bytes transparency = {0, 255, 100};
  Bytes indices(64 * 64);
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<uint8_t>(i % 4);
  const Bytes png = BuildPng(64, 64, 8, 3, ZlibStored(Unfiltered(indices, 64)), palette, transparency);
  const auto image = DecodeImageRgba(png, "");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ExpectRgba(*image, 0, 0, 0, 0, 0, 0);
  ExpectRgba(*image, 1, 0, 0x23, 0xA4, 0x36, 255);
  ExpectRgba(*image, 2, 0, 0x23, 0xA4, 0x36, 100);
  ExpectRgba(*image, 3, 0, 9, 8, 7, 255);
  // DecodeImage drops the same alpha.
  const auto rgb = DecodeImage(png, "");
  ASSERT_TRUE(rgb.ok()) << rgb.status().ToString();
  ExpectPixel(*rgb, 2, 0, 0x23, 0xA4, 0x36);
}

TEST(ImageDecode, DecodeRgba_rgb_colour_key_becomes_alpha) {
  // An RGB PNG whose tRNS names one colour transparent.
  Bytes samples;
  for (int i = 0; i < 64 * 64; ++i) {
    const uint8_t v = i % 2 == 0 ? 10 : 200;
    samples.insert(samples.end(), {v, v, v});
  }
  const Bytes key = {0, 10, 0, 10, 0, 10};  // 16-bit samples, even at depth 8
  const auto image = DecodeImageRgba(BuildPng(64, 64, 8, 2, ZlibStored(Unfiltered(samples, 192)), {}, key), "");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ExpectRgba(*image, 0, 0, 10, 10, 10, 0);
  ExpectRgba(*image, 1, 0, 200, 200, 200, 255);
}

TEST(ImageDecode, DecodeRgba_16_bit_rgba_keeps_high_bytes) {
  Bytes samples;
  for (int i = 0; i < 64 * 64; ++i) {
    for (int c = 0; c < 4; ++c) {
      const uint16_t s = static_cast<uint16_t>(i * 16 + c * 4097);
      samples.insert(samples.end(), {static_cast<uint8_t>(s >> 8), static_cast<uint8_t>(s)});
    }
  }
  const auto image = DecodeImageRgba(BuildPng(64, 64, 16, 6, ZlibStored(Unfiltered(samples, 512))), "");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  for (int i = 0; i < 64 * 64; ++i) {
    for (int c = 0; c < 4; ++c) {
      ASSERT_EQ(image->pixels[i * 4 + c], static_cast<uint16_t>(i * 16 + c * 4097) >> 8) << i << " channel " << c;
    }
  }
}

TEST(ImageDecode, DecodeRgba_jpeg_matches_decode_image_and_is_opaque) {
  const Bytes jpeg = PatternJpeg(72, 64);
  const auto rgb = DecodeImage(jpeg, "image/jpeg");
  const auto rgba = DecodeImageRgba(jpeg, "image/jpeg");
  ASSERT_TRUE(rgb.ok()) << rgb.status().ToString();
  ASSERT_TRUE(rgba.ok()) << rgba.status().ToString();
  ASSERT_EQ(rgba->pixels.size(), rgb->pixels.size() / 3 * 4);
  for (size_t i = 0; i < rgb->pixels.size() / 3; ++i) {
    for (int c = 0; c < 3; ++c) ASSERT_EQ(rgba->pixels[i * 4 + c], rgb->pixels[i * 3 + c]) << i;
    ASSERT_EQ(rgba->pixels[i * 4 + 3], 255) << i;
  }
}

TEST(ImageDecode, DecodeRgba_survives_corrupted_bytes) {
  std::mt19937 random(54321);
  const Bytes originals[] = {PatternPng(64, 64), PatternJpeg(64, 64)};
  for (const Bytes& original : originals) {
    for (int trial = 0; trial < 500; ++trial) {
      Bytes bytes = original;
      const int flips = 1 + static_cast<int>(random() % 8);
      for (int i = 0; i < flips; ++i) bytes[random() % bytes.size()] = static_cast<uint8_t>(random());
      const auto result = DecodeImageRgba(bytes, "");
      if (result.ok()) {
        ASSERT_EQ(result->pixels.size(), static_cast<size_t>(result->width) * result->height * 4);
      } else {
        ASSERT_FALSE(result.status().message().empty());
      }
    }
  }
}

// --- DecodeImageAtLeast: a platform JPEG decoder behind the same checks.

// A stand-in platform decoder: records its calls and returns what it is told.
struct FakeJpegDecoder {
  int calls = 0;
  int width = 0, height = 0, min_width = 0, min_height = 0;
  StatusOr<RgbImage> result = Unsupported("not set");
  JpegDecoder Hook() {
    return JpegDecoder{[this](ByteSpan, int w, int h, int mw, int mh, RowByRowResize*, bool) -> StatusOr<RgbImage> {
      ++calls;
      width = w, height = h, min_width = mw, min_height = mh;
      return result;
    }};
  }
};

RgbImage Grey(int width, int height) {
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.assign(size_t(width) * height * 3, 128);
  return image;
}

TEST(ImageDecode, DecodeImageAtLeast_hands_jpegs_to_the_hook_with_the_size_needed) {
  FakeJpegDecoder fake;
  fake.result = Grey(50, 40);
  auto decoded = DecodeImageAtLeast(PatternJpeg(100, 80), "image/jpeg", 0.39, fake.Hook());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(fake.calls, 1);
  EXPECT_EQ(fake.width, 100);
  EXPECT_EQ(fake.height, 80);
  EXPECT_EQ(fake.min_width, 39);  // ceil(100 x 0.39)
  EXPECT_EQ(fake.min_height, 32);  // ceil(80 x 0.39) = ceil(31.2)
  EXPECT_EQ(decoded->width, 100) << "the file's size";
  EXPECT_EQ(decoded->height, 80);
  EXPECT_EQ(decoded->pixels.width, 50) << "the hook's pixels";
}

TEST(ImageDecode, DecodeImageAtLeast_keeps_every_check_in_front_of_the_hook) {
  FakeJpegDecoder fake;
  fake.result = Grey(64, 64);
  ExpectRejected(DecodeImageAtLeast(PatternJpeg(64, 64), "image/png", 0.5, fake.Hook()), StatusCode::kInvalidInput,
                 "content type is image/png but the bytes are a JPEG image");
  ExpectRejected(DecodeImageAtLeast(PatternJpeg(64, 63), "image/jpeg", 0.5, fake.Hook()), StatusCode::kInvalidInput,
                 "image is 64x63 px; each side must be 64 to 4096 px");
  ExpectRejected(DecodeImageAtLeast(PatternJpeg(64, 64), "image/gif", 0.5, fake.Hook()), StatusCode::kUnsupported,
                 "unsupported content type 'image/gif'; use image/png or image/jpeg");
  EXPECT_EQ(fake.calls, 0);
  // PNGs never reach a JPEG decoder: stb at full size.
  auto png = DecodeImageAtLeast(PatternPng(64, 64), "", 0.5, fake.Hook());
  ASSERT_TRUE(png.ok());
  EXPECT_EQ(fake.calls, 0);
  EXPECT_EQ(png->pixels.width, 64);
}

TEST(ImageDecode, DecodeImageAtLeast_falls_back_to_stb_only_when_the_hook_declines) {
  const Bytes jpeg = PatternJpeg(96, 64);
  FakeJpegDecoder declines;
  declines.result = Unsupported("CMYK JPEG");
  auto fallback = DecodeImageAtLeast(jpeg, "", 0.5, declines.Hook());
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(declines.calls, 1);
  EXPECT_EQ(fallback->pixels.pixels, DecodeImage(jpeg, "")->pixels) << "stb's pixels at full size";
  FakeJpegDecoder corrupt;
  corrupt.result = InvalidInput("corrupt or truncated JPEG: premature end");
  ExpectRejected(DecodeImageAtLeast(jpeg, "", 0.5, corrupt.Hook()), StatusCode::kInvalidInput,
                 "corrupt or truncated JPEG: premature end");
  FakeJpegDecoder too_small;
  too_small.result = Grey(47, 32);  // needs 48 x 32
  ExpectRejected(DecodeImageAtLeast(jpeg, "", 0.5, too_small.Hook()), StatusCode::kInternal,
                 "JPEG decoder returned 47x32 px");
  // No hook: DecodeImage's stb decode.
  auto plain = DecodeImageAtLeast(jpeg, "", 0.5, JpegDecoder{});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->pixels.pixels, DecodeImage(jpeg, "")->pixels);
}

}  // namespace
}  // namespace anomalens
