// CutPaste (Li et al., CVPR 2021): a rectangle of the image's own pixels,
// cut from one place and pasted at another, turned by up to 45 degrees. Its
// pixels are plausible in colour and texture; only their place is wrong.
#include <algorithm>
#include <cmath>

#include "core/base/portable_math.h"
#include "core/selfcheck/defect_families.h"
#include "core/selfcheck/defect_shape.h"

namespace anomalens {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Bilinear sample of channel c at (x, y) in pixel-centre coordinates, clamped to the image.
double Sample(const RgbImage& image, double x, double y, int c) {
  x = std::clamp(x, 0.0, image.width - 1.0);
  y = std::clamp(y, 0.0, image.height - 1.0);
  const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);
  const int x1 = std::min(x0 + 1, image.width - 1), y1 = std::min(y0 + 1, image.height - 1);
  const double tx = x - x0, ty = y - y0;
  const double top = image.at(x0, y0)[c] + (image.at(x1, y0)[c] - image.at(x0, y0)[c]) * tx;
  const double bottom = image.at(x0, y1)[c] + (image.at(x1, y1)[c] - image.at(x0, y1)[c]) * tx;
  return top + (bottom - top) * ty;
}

}  // namespace

void PaintCutPaste(const DefectRequest& request, DefectRandom& rng, SyntheticDefect& out) {
  const int width = request.source.width, height = request.source.height;
  out.variant = "cutpaste";
  // A rectangle of `count` pixels (4 a b), aspect 1 to 3, at a random angle.
  const double aspect = rng.Uniform(1.0, 3.0);
  const double a = std::sqrt(request.count * aspect / 4.0) + 0.3, b = a / aspect;
  const double angle = rng.Uniform(0, kPi);
  const double ct = PortableCos(angle), st = PortableSin(angle);
  const double margin_x = std::min(width / 2.0, a + 1), margin_y = std::min(height / 2.0, a + 1);
  const double tx = rng.Uniform(margin_x, width - margin_x), ty = rng.Uniform(margin_y, height - margin_y);
  // The source: elsewhere, at least a patch's length away where the image allows.
  double sx = 0, sy = 0;
  for (int attempt = 0; attempt < 20; ++attempt) {
    sx = rng.Uniform(margin_x, width - margin_x);
    sy = rng.Uniform(margin_y, height - margin_y);
    if ((sx - tx) * (sx - tx) + (sy - ty) * (sy - ty) >= 4 * a * a) break;
  }
  const double turn = rng.Uniform(-kPi / 4, kPi / 4);
  const double cr = PortableCos(turn), sr = PortableSin(turn);

  const PixelWindow window = WindowAround(tx, ty, 1.5 * a + 3, 1.5 * a + 3, width, height, 3 * request.count);
  OwnLowest(
      window, width, request.count,
      [&](int x, int y) {
        const double dx = x + 0.5 - tx, dy = y + 0.5 - ty;
        const double u = (dx * ct + dy * st) / a, v = (-dx * st + dy * ct) / b;
        return std::max(std::fabs(u), std::fabs(v));
      },
      out.mask);
  for (int y = window.y0; y < window.y1; ++y) {
    for (int x = window.x0; x < window.x1; ++x) {
      if (!out.mask[static_cast<size_t>(y) * width + x]) continue;
      const double dx = x + 0.5 - tx, dy = y + 0.5 - ty;
      const double qx = sx + dx * cr - dy * sr - 0.5, qy = sy + dx * sr + dy * cr - 0.5;
      uint8_t* p = out.image.at(x, y);
      for (int c = 0; c < 3; ++c)
        p[c] = ClampToByte(p[c] + request.contrast * (Sample(request.source, qx, qy, c) - p[c]));
    }
  }
}

}  // namespace anomalens
