// A missing piece: a ragged chip of the part gone, showing the background,
// whose colour is taken as the median of the image's outermost pixels (the
// frame around a centred part is background in most inspection photos).
#include <algorithm>
#include <vector>

#include "core/selfcheck/defect_families.h"
#include "core/selfcheck/defect_shape.h"

namespace anomalens {
namespace {

// Per channel, the median of the image's one-pixel frame.
void BorderMedian(const RgbImage& image, double colour[3]) {
  for (int c = 0; c < 3; ++c) {
    std::vector<uint8_t> values;
    for (int x = 0; x < image.width; ++x) {
      values.push_back(image.at(x, 0)[c]);
      values.push_back(image.at(x, image.height - 1)[c]);
    }
    for (int y = 1; y + 1 < image.height; ++y) {
      values.push_back(image.at(0, y)[c]);
      values.push_back(image.at(image.width - 1, y)[c]);
    }
    std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
    colour[c] = values[values.size() / 2];
  }
}

}  // namespace

void PaintMissingPiece(const DefectRequest& request, DefectRandom& rng, SyntheticDefect& out) {
  const int width = request.source.width, height = request.source.height;
  out.variant = "missing-piece";
  BlobShape blob = RandomBlob(rng, width, height, request.count, 3.0, 0.7);
  double background[3];
  BorderMedian(request.source, background);
  // A piece missing from the background would change nothing: of a dozen
  // places for the blob, take the one whose colour differs most from the
  // background (all twelve are drawn, so the stream does not depend on the image).
  const double margin_x = std::min(width / 2.0, blob.a * 1.2 + 1);
  const double margin_y = std::min(height / 2.0, blob.a * 1.2 + 1);
  double best = -1;
  for (int attempt = 0; attempt < 12; ++attempt) {
    const double cx = rng.Uniform(margin_x, width - margin_x), cy = rng.Uniform(margin_y, height - margin_y);
    const uint8_t* p =
        request.source.at(std::min(width - 1, static_cast<int>(cx)), std::min(height - 1, static_cast<int>(cy)));
    double distance = 0;
    for (int c = 0; c < 3; ++c) distance += (p[c] - background[c]) * (p[c] - background[c]);
    if (distance > best) {
      best = distance;
      blob.cx = cx;
      blob.cy = cy;
    }
  }
  OwnBlob(blob, width, height, request.count, out.mask);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (!out.mask[static_cast<size_t>(y) * width + x]) continue;
      uint8_t* p = out.image.at(x, y);
      for (int c = 0; c < 3; ++c) p[c] = ClampToByte(p[c] + request.contrast * (background[c] - p[c]));
    }
  }
}

}  // namespace anomalens
