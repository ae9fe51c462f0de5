#include "core/image/jpeg_like_round_trip.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace anomalens {
namespace {

// ITU-T T.81 Annex K's example tables (libjpeg's), at quality 50.
constexpr int kLumaTable[64] = {16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
                                14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
                                18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
                                49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
constexpr int kChromaTable[64] = {17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
                                  24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
                                  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
                                  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};

// cos(m pi / 16), m = 0..8, as literals so that no libm decides the bits.
constexpr double kCos16[9] = {1.0,
                              0.98078528040323044913,
                              0.92387953251128675613,
                              0.83146961230254523708,
                              0.70710678118654752440,
                              0.55557023301960222474,
                              0.38268343236508977173,
                              0.19509032201612826785,
                              0.0};

double CosPiOver16(int m) {
  m %= 32;
  if (m > 16) m = 32 - m;  // cos(2 pi - t) = cos t
  return m > 8 ? -kCos16[16 - m] : kCos16[m];
}

// The orthonormal 8-point DCT-II matrix: basis[u][x].
struct DctBasis {
  double m[8][8];
  DctBasis() {
    for (int u = 0; u < 8; ++u)
      for (int x = 0; x < 8; ++x) m[u][x] = (u == 0 ? 0.35355339059327376220 : 0.5) * CosPiOver16((2 * x + 1) * u);
  }
};

// libjpeg's jpeg_quality_scaling and table scaling (baseline: 1 to 255).
void ScaledTable(const int* base, int quality, int* out) {
  quality = std::clamp(quality, 1, 100);
  const int scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  for (int k = 0; k < 64; ++k) out[k] = std::clamp((base[k] * scale + 50) / 100, 1, 255);
}

uint8_t ToSample(double v) { return static_cast<uint8_t>(std::clamp(std::floor(v + 0.5), 0.0, 255.0)); }

// One plane of 8-bit samples through the block DCT, quantization and back,
// in place. Blocks past the edge repeat the last row and column, as an
// encoder pads its MCUs.
void RoundTripPlane(std::vector<uint8_t>& plane, int width, int height, const int* table, const DctBasis& basis) {
  double block[8][8], tmp[8][8];
  for (int by = 0; by < height; by += 8)
    for (int bx = 0; bx < width; bx += 8) {
      for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x) {
          const int sy = std::min(by + y, height - 1), sx = std::min(bx + x, width - 1);
          block[y][x] = plane[static_cast<size_t>(sy) * width + sx] - 128.0;
        }
      // Forward: rows, then columns.
      for (int y = 0; y < 8; ++y)
        for (int u = 0; u < 8; ++u) {
          double s = 0;
          for (int x = 0; x < 8; ++x) s += basis.m[u][x] * block[y][x];
          tmp[y][u] = s;
        }
      for (int v = 0; v < 8; ++v)
        for (int u = 0; u < 8; ++u) {
          double s = 0;
          for (int y = 0; y < 8; ++y) s += basis.m[v][y] * tmp[y][u];
          // Quantized (rounded half away from zero) and dequantized.
          const double q = table[v * 8 + u], r = s / q;
          block[v][u] = (r >= 0 ? std::floor(r + 0.5) : -std::floor(-r + 0.5)) * q;
        }
      // Inverse: columns, then rows.
      for (int y = 0; y < 8; ++y)
        for (int u = 0; u < 8; ++u) {
          double s = 0;
          for (int v = 0; v < 8; ++v) s += basis.m[v][y] * block[v][u];
          tmp[y][u] = s;
        }
      for (int y = 0; y < 8 && by + y < height; ++y)
        for (int x = 0; x < 8 && bx + x < width; ++x) {
          double s = 0;
          for (int u = 0; u < 8; ++u) s += basis.m[u][x] * tmp[y][u];
          plane[static_cast<size_t>(by + y) * width + bx + x] = ToSample(s + 128.0);
        }
    }
}

// libjpeg's h2v2 "fancy" upsampling: each output pixel 9/16 of its chroma
// sample, 3/16 of each of the two nearest neighbours, 1/16 of the diagonal.
std::vector<uint8_t> Upsample(const std::vector<uint8_t>& c, int cw, int ch, int width, int height) {
  std::vector<uint8_t> out(static_cast<size_t>(width) * height);
  std::vector<int> column(cw);
  for (int y = 0; y < height; ++y) {
    const int cy = y / 2;
    const int far_y = std::clamp(y % 2 == 0 ? cy - 1 : cy + 1, 0, ch - 1);
    for (int i = 0; i < cw; ++i)
      column[i] = 3 * c[static_cast<size_t>(cy) * cw + i] + c[static_cast<size_t>(far_y) * cw + i];
    for (int x = 0; x < width; ++x) {
      const int cx = x / 2;
      const int far_x = std::clamp(x % 2 == 0 ? cx - 1 : cx + 1, 0, cw - 1);
      const int v = (3 * column[cx] + column[far_x] + (x % 2 == 0 ? 8 : 7)) >> 4;
      out[static_cast<size_t>(y) * width + x] = static_cast<uint8_t>(std::clamp(v, 0, 255));
    }
  }
  return out;
}

}  // namespace

RgbImage JpegLikeRoundTrip(const RgbImage& image, int quality) {
  const int W = image.width, H = image.height;
  if (W <= 0 || H <= 0) return image;
  int luma_table[64], chroma_table[64];
  ScaledTable(kLumaTable, quality, luma_table);
  ScaledTable(kChromaTable, quality, chroma_table);
  const DctBasis basis;
  // JFIF's YCbCr, as 8-bit samples.
  const size_t n = static_cast<size_t>(W) * H;
  std::vector<uint8_t> luma(n), cb(n), cr(n);
  const uint8_t* p = image.pixels.data();
  for (size_t k = 0; k < n; ++k) {
    const double r = p[3 * k], g = p[3 * k + 1], b = p[3 * k + 2];
    luma[k] = ToSample(0.299 * r + 0.587 * g + 0.114 * b);
    cb[k] = ToSample(-0.168736 * r - 0.331264 * g + 0.5 * b + 128.0);
    cr[k] = ToSample(0.5 * r - 0.418688 * g - 0.081312 * b + 128.0);
  }
  // 4:2:0: each chroma sample the rounded mean of a 2x2 block.
  const int cw = (W + 1) / 2, ch = (H + 1) / 2;
  const auto subsample = [&](const std::vector<uint8_t>& full) {
    std::vector<uint8_t> half(static_cast<size_t>(cw) * ch);
    for (int y = 0; y < ch; ++y)
      for (int x = 0; x < cw; ++x) {
        const int x0 = 2 * x, x1 = std::min(2 * x + 1, W - 1), y0 = 2 * y, y1 = std::min(2 * y + 1, H - 1);
        const int sum = full[static_cast<size_t>(y0) * W + x0] + full[static_cast<size_t>(y0) * W + x1] +
                        full[static_cast<size_t>(y1) * W + x0] + full[static_cast<size_t>(y1) * W + x1];
        half[static_cast<size_t>(y) * cw + x] = static_cast<uint8_t>((sum + 2) / 4);
      }
    return half;
  };
  std::vector<uint8_t> cb_half = subsample(cb), cr_half = subsample(cr);
  RoundTripPlane(luma, W, H, luma_table, basis);
  RoundTripPlane(cb_half, cw, ch, chroma_table, basis);
  RoundTripPlane(cr_half, cw, ch, chroma_table, basis);
  cb = Upsample(cb_half, cw, ch, W, H);
  cr = Upsample(cr_half, cw, ch, W, H);
  RgbImage out{W, H, std::vector<uint8_t>(n * 3)};
  for (size_t k = 0; k < n; ++k) {
    const double y = luma[k], u = cb[k] - 128.0, v = cr[k] - 128.0;
    out.pixels[3 * k] = ToSample(y + 1.402 * v);
    out.pixels[3 * k + 1] = ToSample(y - 0.344136 * u - 0.714136 * v);
    out.pixels[3 * k + 2] = ToSample(y + 1.772 * u);
  }
  return out;
}

}  // namespace anomalens
