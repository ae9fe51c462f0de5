// anomalens_png_decode: stb_image (the core's PNG decoder, on every engine)
// against libspng (Debian's libspng-dev, on zlib) for decoding PNG images to
// RGB8, as issue 20 asked before a native PNG path is chosen. The image is
// encoded here with libspng's defaults (zlib level 6, every row filter tried),
// as libpng and PIL write PNGs, in RGB and in grey; both decoders must give
// the same pixels, and the medians of --iterations decodes are printed.
//
//   anomalens_png_decode --image IMAGE [--iterations 30]
#include <spng.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "core/image/image_decode.h"
#include "native/cli/command_line.h"
#include "native/jobs/file_io.h"

namespace anomalens {
namespace {

constexpr const char* kUsage = "usage: anomalens_png_decode --image IMAGE [--iterations 30]\n";

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "anomalens_png_decode: %s\n", message.c_str());
  std::exit(1);
}

// libspng's encoder with its defaults: `channels` 1 (grey) or 3 (RGB).
std::vector<uint8_t> EncodeWithLibspng(const std::vector<uint8_t>& pixels, int width, int height, int channels) {
  spng_ctx* ctx = spng_ctx_new(SPNG_CTX_ENCODER);
  spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
  spng_ihdr header = {};
  header.width = static_cast<uint32_t>(width);
  header.height = static_cast<uint32_t>(height);
  header.bit_depth = 8;
  header.color_type = channels == 1 ? SPNG_COLOR_TYPE_GRAYSCALE : SPNG_COLOR_TYPE_TRUECOLOR;
  spng_set_ihdr(ctx, &header);
  int error = spng_encode_image(ctx, pixels.data(), pixels.size(), SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
  if (error) Fail(std::string("libspng could not encode: ") + spng_strerror(error));
  size_t size = 0;
  auto* png = static_cast<uint8_t*>(spng_get_png_buffer(ctx, &size, &error));
  if (png == nullptr) Fail(std::string("libspng gave no PNG: ") + spng_strerror(error));
  std::vector<uint8_t> bytes(png, png + size);
  std::free(png);
  spng_ctx_free(ctx);
  return bytes;
}

std::vector<uint8_t> DecodeWithLibspng(const std::vector<uint8_t>& png) {
  spng_ctx* ctx = spng_ctx_new(0);
  spng_set_png_buffer(ctx, png.data(), png.size());
  size_t size = 0;
  int error = spng_decoded_image_size(ctx, SPNG_FMT_RGB8, &size);
  std::vector<uint8_t> pixels(size);
  if (!error) error = spng_decode_image(ctx, pixels.data(), pixels.size(), SPNG_FMT_RGB8, 0);
  spng_ctx_free(ctx);
  if (error) Fail(std::string("libspng could not decode: ") + spng_strerror(error));
  return pixels;
}

template <typename F>
double MedianMilliseconds(int iterations, F&& run) {
  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

int Main(int argc, char** argv) {
  auto cl = ParseCommandLine(argc, argv, 1, {{"image", true}, {"iterations", true}});
  if (!cl.ok() || !cl->Has("image")) Fail(cl.ok() ? std::string(kUsage) : cl.status().message() + "\n" + kUsage);
  auto iterations = cl->GetNumber("iterations", 30, 1, 10000);
  if (!iterations.ok()) Fail(iterations.status().message());
  auto bytes = ReadFile(cl->Get("image"), 64u << 20);
  if (!bytes.ok()) Fail(bytes.status().message());
  auto image = DecodeImage(*bytes, "");
  if (!image.ok()) Fail(image.status().message());

  std::vector<uint8_t> grey(static_cast<size_t>(image->width) * image->height);
  for (size_t i = 0; i < grey.size(); ++i) grey[i] = image->pixels[i * 3 + 1];
  std::printf("%-26s %10s %10s %12s %12s %s\n", "PNG (libspng's encoder)", "size", "bytes", "stb ms", "libspng ms",
              "pixels");
  for (const int channels : {3, 1}) {
    const std::vector<uint8_t> png =
        EncodeWithLibspng(channels == 3 ? image->pixels : grey, image->width, image->height, channels);
    std::vector<uint8_t> stb, spng;
    const double stb_ms = MedianMilliseconds(static_cast<int>(*iterations), [&] {
      auto decoded = DecodeImage(png, "image/png");
      if (!decoded.ok()) Fail("stb could not decode: " + decoded.status().message());
      stb = std::move(decoded->pixels);
    });
    const double spng_ms = MedianMilliseconds(static_cast<int>(*iterations), [&] { spng = DecodeWithLibspng(png); });
    const std::string size = std::to_string(image->width) + "x" + std::to_string(image->height);
    std::printf("%-26s %10s %10zu %12.2f %12.2f %s\n", channels == 3 ? "RGB, 8-bit" : "grey, 8-bit", size.c_str(),
                png.size(), stb_ms, spng_ms, stb == spng ? "identical" : "DIFFER");
    if (stb != spng) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace anomalens

int main(int argc, char** argv) { return anomalens::Main(argc, argv); }
