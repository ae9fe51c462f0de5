// RgbImage: 8-bit RGB pixels, row-major, 3 bytes a pixel. The one image type
// that flows between decoding, resizing and feature extraction.
// RgbaImage: the same with alpha, for label masks, whose transparency says
// which pixels are labelled.
#ifndef ANOMALENS_CORE_IMAGE_IMAGE_H_
#define ANOMALENS_CORE_IMAGE_IMAGE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace anomalens {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // width * height * 3

  const uint8_t* at(int x, int y) const { return &pixels[(static_cast<size_t>(y) * width + x) * 3]; }
  uint8_t* at(int x, int y) { return &pixels[(static_cast<size_t>(y) * width + x) * 3]; }
};

struct RgbaImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // width * height * 4: R, G, B, A

  const uint8_t* at(int x, int y) const { return &pixels[(static_cast<size_t>(y) * width + x) * 4]; }
  uint8_t* at(int x, int y) { return &pixels[(static_cast<size_t>(y) * width + x) * 4]; }
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_IMAGE_IMAGE_H_
