// Spots and pits: a roundish blob, darker or brighter than its ground, most
// strongly at its centre as a pit or a drop of something would be.
#include <algorithm>

#include "core/selfcheck/defect_families.h"
#include "core/selfcheck/defect_shape.h"

namespace anomalens {

void PaintSpot(const DefectRequest& request, DefectRandom& rng, SyntheticDefect& out) {
  const int width = request.source.width, height = request.source.height;
  const BlobShape blob = RandomBlob(rng, width, height, request.count, 2.0, 0.35);
  OwnBlob(blob, width, height, request.count, out.mask);
  const bool dark = ChooseDarkening(MeanLuminance(request.source, out.mask), rng);
  out.variant = dark ? "dark" : "bright";
  const double amplitude = request.contrast * 150.0 * (dark ? -1 : 1);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (!out.mask[static_cast<size_t>(y) * width + x]) continue;
      // Full depth at the centre, 55% at the rim.
      const double depth = 0.55 + 0.45 * (1.0 - std::min(1.0, blob.Score(x, y)));
      uint8_t* p = out.image.at(x, y);
      for (int c = 0; c < 3; ++c) p[c] = ClampToByte(p[c] + amplitude * depth);
    }
  }
}

}  // namespace anomalens
