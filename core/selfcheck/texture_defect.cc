// A foreign texture: pixels of another normal image (the donor), at a random
// offset, under a smooth random mask (a ragged blob whose outline is value
// noise): a stain, a smear, a patch of the wrong material.
#include "core/selfcheck/defect_families.h"
#include "core/selfcheck/defect_shape.h"

namespace anomalens {

void PaintTexture(const DefectRequest& request, DefectRandom& rng, SyntheticDefect& out) {
  const int width = request.source.width, height = request.source.height;
  const RgbImage& donor = *request.donor;
  out.variant = "texture";
  const BlobShape blob = RandomBlob(rng, width, height, request.count, 2.5, 0.75);
  const int offset_x = rng.Below(donor.width), offset_y = rng.Below(donor.height);
  OwnBlob(blob, width, height, request.count, out.mask);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (!out.mask[static_cast<size_t>(y) * width + x]) continue;
      const uint8_t* d = donor.at((x + offset_x) % donor.width, (y + offset_y) % donor.height);
      uint8_t* p = out.image.at(x, y);
      for (int c = 0; c < 3; ++c) p[c] = ClampToByte(p[c] + request.contrast * (d[c] - p[c]));
    }
  }
}

}  // namespace anomalens
