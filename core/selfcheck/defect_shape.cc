#include "core/selfcheck/defect_shape.h"

#include <cmath>

#include "core/base/portable_math.h"
#include "core/selfcheck/value_noise.h"

namespace anomalens {
namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

PixelWindow WindowAround(double cx, double cy, double half_w, double half_h, int width, int height, size_t min_pixels) {
  PixelWindow w;
  for (;;) {
    w.x0 = std::max(0, static_cast<int>(std::floor(cx - half_w)));
    w.y0 = std::max(0, static_cast<int>(std::floor(cy - half_h)));
    w.x1 = std::min(width, static_cast<int>(std::ceil(cx + half_w)) + 1);
    w.y1 = std::min(height, static_cast<int>(std::ceil(cy + half_h)) + 1);
    const bool whole = w.x0 == 0 && w.y0 == 0 && w.x1 == width && w.y1 == height;
    if (w.area() >= min_pixels || whole) return w;
    half_w = half_w * 1.25 + 1;
    half_h = half_h * 1.25 + 1;
  }
}

double BlobShape::Score(int x, int y) const {
  const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
  const double u = (dx * cos_t + dy * sin_t) / a, v = (-dx * sin_t + dy * cos_t) / b;
  const double r = std::sqrt(u * u + v * v);
  if (roughness == 0) return r;
  // Noise on the scale of the blob itself bends the whole outline.
  const double n = SmoothNoise(noise_seed, x + 0.5, y + 0.5, std::max(2.0, 0.8 * b));
  return r * (1.0 + roughness * (n - 0.5) * 1.6);
}

PixelWindow BlobShape::Window(int width, int height, size_t count) const {
  const double reach = std::max(a, b) * (1.6 + roughness) + 3;
  return WindowAround(cx, cy, reach, reach, width, height, 3 * count);
}

BlobShape RandomBlob(DefectRandom& rng, int width, int height, size_t count, double max_aspect, double roughness) {
  BlobShape blob;
  const double aspect = rng.Uniform(1.0, max_aspect);
  // Area pi a b = count.
  blob.a = std::sqrt(static_cast<double>(count) * aspect / kPi) + 0.3;
  blob.b = blob.a / aspect;
  const double angle = rng.Uniform(0, kPi);
  blob.cos_t = PortableCos(angle);
  blob.sin_t = PortableSin(angle);
  blob.roughness = roughness;
  blob.noise_seed = rng.Next();
  // Keep the blob inside the image where the image is large enough.
  const double margin_x = std::min(width / 2.0, blob.a * 1.2 + 1);
  const double margin_y = std::min(height / 2.0, blob.a * 1.2 + 1);
  blob.cx = rng.Uniform(margin_x, width - margin_x);
  blob.cy = rng.Uniform(margin_y, height - margin_y);
  return blob;
}

size_t OwnBlob(const BlobShape& blob, int width, int height, size_t count, std::vector<uint8_t>& mask) {
  return OwnLowest(
      blob.Window(width, height, count), width, count, [&blob](int x, int y) { return blob.Score(x, y); }, mask);
}

double MeanLuminance(const RgbImage& image, const std::vector<uint8_t>& mask) {
  double sum = 0;
  size_t n = 0;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) continue;
    const uint8_t* p = &image.pixels[i * 3];
    sum += 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
    ++n;
  }
  return n ? sum / n : 0;
}

bool ChooseDarkening(double luminance, DefectRandom& rng) {
  const bool coin = rng.Coin();  // drawn always, so the stream does not depend on the image
  if (luminance > 170) return true;
  if (luminance < 85) return false;
  return coin;
}

}  // namespace anomalens
