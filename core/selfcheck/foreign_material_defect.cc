// Foreign material: rust, a burn or scorch, oil, paint, a fleck of another
// substance. What makes such a defect is that its colour is one the part
// never shows; a hue shift of the part's own colours (local-change's colour
// cast) can stay inside the image's range and so does not stand for it.
//
// The stain takes a chroma outside the image's own distribution: along a
// random hue direction, beyond the image's most extreme 0.5% of pixels in
// that direction by kBeyondLevels. It keeps each pixel's luminance, so the
// ground's shading and texture show through as they do under a thin deposit,
// and it is a separate matter from the spot family's darkening.
#include <algorithm>
#include <vector>

#include "core/base/portable_math.h"
#include "core/selfcheck/defect_families.h"
#include "core/selfcheck/defect_shape.h"

namespace anomalens {
namespace {

// At contrast 1, how far beyond the image's extreme the stain's chroma lies:
// plainly visible, as rust on steel or a burn on a light surface is.
constexpr double kBeyondLevels = 40.0;
// The share of pixels allowed past the "extreme": specks of the image's own
// that are already unusual do not set it.
constexpr double kExtremeShare = 0.005;
// Projections onto a hue direction lie within +-181 chroma levels; bins of
// half a level.
constexpr int kBinsPerLevel = 2;
constexpr int kHalfRange = 182 * kBinsPerLevel;

struct Chroma {
  double y, cb, cr;
};

// BT.601 full range, the JPEG convention.
Chroma ToChroma(const uint8_t* p) {
  return {0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2], -0.168736 * p[0] - 0.331264 * p[1] + 0.5 * p[2],
          0.5 * p[0] - 0.418688 * p[1] - 0.081312 * p[2]};
}

// The projection onto (u_cb, u_cr) that only kExtremeShare of the image's
// pixels exceed.
double ExtremeProjection(const RgbImage& image, double u_cb, double u_cr) {
  std::vector<size_t> histogram(2 * kHalfRange + 1, 0);
  const size_t pixels = static_cast<size_t>(image.width) * image.height;
  for (size_t i = 0; i < pixels; ++i) {
    const Chroma c = ToChroma(&image.pixels[i * 3]);
    const int bin = static_cast<int>((c.cb * u_cb + c.cr * u_cr) * kBinsPerLevel + kHalfRange + 0.5);
    ++histogram[std::clamp(bin, 0, 2 * kHalfRange)];
  }
  const size_t allowed = static_cast<size_t>(kExtremeShare * pixels);
  size_t above = 0;
  for (int bin = 2 * kHalfRange; bin > 0; --bin) {
    above += histogram[bin];
    if (above > allowed) return static_cast<double>(bin - kHalfRange) / kBinsPerLevel;
  }
  return -static_cast<double>(kHalfRange) / kBinsPerLevel;
}

}  // namespace

void PaintForeignMaterial(const DefectRequest& request, DefectRandom& rng, SyntheticDefect& out) {
  const RgbImage& source = request.source;
  const int width = source.width, height = source.height;
  const BlobShape blob = RandomBlob(rng, width, height, request.count, 2.5, 0.6);
  OwnBlob(blob, width, height, request.count, out.mask);
  out.variant = "foreign-material";
  const double angle = rng.Uniform(0, 6.283185307179586);
  const double u_cb = PortableCos(angle), u_cr = PortableSin(angle);
  const double reach = ExtremeProjection(source, u_cb, u_cr) + kBeyondLevels;
  const double target_cb = u_cb * reach, target_cr = u_cr * reach;
  const double c = request.contrast;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (!out.mask[static_cast<size_t>(y) * width + x]) continue;
      uint8_t* p = out.image.at(x, y);
      const Chroma in = ToChroma(p);
      // Faint stains (contrast below 1) blend toward the ground's own chroma.
      const double cb = in.cb + c * (target_cb - in.cb), cr = in.cr + c * (target_cr - in.cr);
      p[0] = ClampToByte(in.y + 1.402 * cr);
      p[1] = ClampToByte(in.y - 0.344136 * cb - 0.714136 * cr);
      p[2] = ClampToByte(in.y + 1.772 * cb);
    }
  }
}

}  // namespace anomalens
