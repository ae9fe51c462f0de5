// A local change that keeps the texture: a colour cast, more or less
// contrast, or a blur (a smudge, a spot out of focus), on a roundish blob.
#include <algorithm>
#include <cmath>

#include "core/selfcheck/defect_families.h"
#include "core/selfcheck/defect_shape.h"

namespace anomalens {

void PaintLocalChange(const DefectRequest& request, DefectRandom& rng, SyntheticDefect& out) {
  const RgbImage& source = request.source;
  const int width = source.width, height = source.height;
  const BlobShape blob = RandomBlob(rng, width, height, request.count, 2.0, 0.4);
  OwnBlob(blob, width, height, request.count, out.mask);
  const int kind = rng.Below(3);
  const double c = request.contrast;

  // The colour cast: a direction of zero mean (hue, not brightness).
  double cast[3];
  for (double& v : cast) v = rng.Uniform(-1, 1);
  const double mean_cast = (cast[0] + cast[1] + cast[2]) / 3;
  double largest = 0;
  for (double& v : cast) largest = std::max(largest, std::fabs(v -= mean_cast));
  for (double& v : cast) v = largest > 0.05 ? v / largest * 90.0 * c : 0;
  if (largest <= 0.05) cast[0] = 90.0 * c;
  // The contrast: stretched up to 2.5x, or flattened to as little as 0.1x.
  const double gain = rng.Coin() ? 1.0 + 1.5 * c : 1.0 - 0.9 * c;
  double mean[3] = {0, 0, 0};
  if (kind == 1) {
    for (size_t i = 0; i < out.mask.size(); ++i)
      if (out.mask[i])
        for (int k = 0; k < 3; ++k) mean[k] += source.pixels[i * 3 + k];
    for (double& m : mean) m /= std::max<size_t>(1, request.count);
  }
  // The blur: a box of radius 1 to 5.
  const int radius = 1 + static_cast<int>(c * 4 + 0.5);
  out.variant = kind == 0 ? "colour" : kind == 1 ? "contrast" : "blur";

  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (!out.mask[static_cast<size_t>(y) * width + x]) continue;
      uint8_t* p = out.image.at(x, y);
      const uint8_t* s = source.at(x, y);
      if (kind == 0) {
        for (int k = 0; k < 3; ++k) p[k] = ClampToByte(s[k] + cast[k]);
      } else if (kind == 1) {
        for (int k = 0; k < 3; ++k) p[k] = ClampToByte(mean[k] + (s[k] - mean[k]) * gain);
      } else {
        double sum[3] = {0, 0, 0};
        int n = 0;
        for (int yy = std::max(0, y - radius); yy <= std::min(height - 1, y + radius); ++yy) {
          for (int xx = std::max(0, x - radius); xx <= std::min(width - 1, x + radius); ++xx) {
            const uint8_t* q = source.at(xx, yy);
            for (int k = 0; k < 3; ++k) sum[k] += q[k];
            ++n;
          }
        }
        for (int k = 0; k < 3; ++k) p[k] = ClampToByte(sum[k] / n);
      }
    }
  }
}

}  // namespace anomalens
