#include "core/image/label_mask.h"

#include <cstddef>

namespace anomalens {

std::vector<uint8_t> BinaryDefectMask(const RgbaImage& mask) {
  const size_t count =
      mask.width > 0 && mask.height > 0 ? static_cast<size_t>(mask.width) * static_cast<size_t>(mask.height) : 0;
  std::vector<uint8_t> defect(count, 0);
  // A mask whose buffer is shorter than its dimensions claim is malformed;
  // reading only what is there keeps that a wrong answer, not a crash.
  const size_t available = mask.pixels.size() / 4 < count ? mask.pixels.size() / 4 : count;
  for (size_t i = 0; i < available; ++i) {
    const uint8_t* p = &mask.pixels[i * 4];
    defect[i] = (p[3] >= 128 && (p[0] | p[1] | p[2]) != 0) ? 1 : 0;
  }
  return defect;
}

}  // namespace anomalens
