// A small synthetic inspection set the project makes itself: a machined
// plate with bolt holes on a dark background, varying a little in position
// and lighting, and on anomalous samples one drawn defect (a scratch, a dent
// or a stain). It lets the quick start and the tests run without any
// downloaded data. Everything is seeded and identical on every target.
#ifndef ANOMALENS_CORE_SYNTHETIC_SYNTHETIC_DATASET_H_
#define ANOMALENS_CORE_SYNTHETIC_SYNTHETIC_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/image/image.h"

namespace anomalens {

struct SyntheticSample {
  RgbImage image;
  bool anomalous = false;
  std::string defect;          // "scratch", "dent" or "stain"; empty when normal
  std::vector<uint8_t> mask;   // width x height: 255 on the defect, 0 elsewhere
};

constexpr int kSyntheticWidth = 320;
constexpr int kSyntheticHeight = 240;

struct SyntheticOptions {
  // Image size; the plate and its holes scale with min(width / 320, height / 240).
  int width = kSyntheticWidth;
  int height = kSyntheticHeight;
  // When > 0, anomalous samples carry one round dent or stain covering this
  // fraction of the image (for small-defect tests); otherwise a scratch,
  // dent or stain of the default size range.
  double defect_area_fraction = 0;
  // How strongly a defect stands out: 1 paints it as drawn, smaller values
  // blend it toward the plate (0.3 is a faint mark).
  double defect_contrast = 1;
};

// Returns sample `index` of the stream named by `seed`.
SyntheticSample GenerateSyntheticSample(uint64_t seed, int index, bool anomalous,
                                        const SyntheticOptions& options = {});

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SYNTHETIC_SYNTHETIC_DATASET_H_
