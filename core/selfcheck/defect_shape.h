// Where a synthetic defect sits and which pixels it owns. Each family scores
// the pixels of a window around its centre (lower = more inside the shape)
// and owns exactly the `count` lowest-scoring ones, so the mask's area is the
// area asked for, to the pixel, whatever the shape.
#ifndef ANOMALENS_CORE_SELFCHECK_DEFECT_SHAPE_H_
#define ANOMALENS_CORE_SELFCHECK_DEFECT_SHAPE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/image/image.h"
#include "core/selfcheck/defect_random.h"

namespace anomalens {

// A rectangle of the image, half-open: x0 <= x < x1, y0 <= y < y1.
struct PixelWindow {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  size_t area() const { return static_cast<size_t>(x1 - x0) * static_cast<size_t>(y1 - y0); }
};

// The window of half sides (half_w, half_h) around (cx, cy), clipped to the
// image and grown (by 25% a step) until it holds at least `min_pixels`
// pixels or the whole image.
PixelWindow WindowAround(double cx, double cy, double half_w, double half_h, int width, int height, size_t min_pixels);

// A score that keeps a pixel out of the shape whatever the count.
constexpr double kOutsideShape = 1e30;

// Sets mask[y * width + x] = 255 for the `count` pixels of `window` with the
// lowest score(x, y) (ties go to the earlier pixel in row order), and returns
// how many it set (fewer only when the window has fewer than `count` pixels
// scored below kOutsideShape).
template <typename Score>
size_t OwnLowest(const PixelWindow& window, int width, size_t count, Score score, std::vector<uint8_t>& mask) {
  std::vector<std::pair<double, size_t>> scored;
  for (int y = window.y0; y < window.y1; ++y)
    for (int x = window.x0; x < window.x1; ++x) {
      const double s = score(x, y);
      if (s < kOutsideShape) scored.emplace_back(s, static_cast<size_t>(y) * width + x);
    }
  count = std::min(count, scored.size());
  // A strict total order (score, then position): the set chosen is the same
  // on every standard library.
  std::nth_element(scored.begin(), scored.begin() + count, scored.end());
  for (size_t i = 0; i < count; ++i) mask[scored[i].second] = 255;
  return count;
}

// A roundish blob: an ellipse of `area` pixels with aspect up to `max_aspect`,
// turned by a random angle, its outline pushed in and out by smooth noise
// (`roughness` 0 = a clean ellipse, 1 = ragged).
struct BlobShape {
  double cx = 0, cy = 0;        // centre, pixels
  double a = 1, b = 1;          // semi-axes, pixels
  double cos_t = 1, sin_t = 0;  // orientation
  double roughness = 0;
  uint64_t noise_seed = 0;

  // Scores a pixel: its normalized elliptical radius, perturbed by the noise.
  double Score(int x, int y) const;
  // The window that holds the blob with room to spare.
  PixelWindow Window(int width, int height, size_t count) const;
};

// A blob of `count` pixels placed at random wholly (where it fits) inside
// the image.
BlobShape RandomBlob(DefectRandom& rng, int width, int height, size_t count, double max_aspect, double roughness);

// Owns the blob's `count` pixels in `mask`; returns how many.
size_t OwnBlob(const BlobShape& blob, int width, int height, size_t count, std::vector<uint8_t>& mask);

// Mean luminance (0..255) of the image's pixels where mask is set.
double MeanLuminance(const RgbImage& image, const std::vector<uint8_t>& mask);

// Whether a spot or line on pixels of mean luminance `luminance` darkens
// them: on bright ground it must, on dark ground it cannot, between either.
bool ChooseDarkening(double luminance, DefectRandom& rng);

// Rounds and clamps a channel value to a byte.
inline uint8_t ClampToByte(double v) { return static_cast<uint8_t>(std::clamp(v, 0.0, 255.0) + 0.5); }

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SELFCHECK_DEFECT_SHAPE_H_
