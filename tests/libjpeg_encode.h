// EncodeWithLibjpeg: test JPEGs from libjpeg's own encoder, for the codings
// TurboJPEG's API does not offer (restart markers, a scan per component,
// optimised tables). Shared by the decoder tests that need them.
#ifndef ANOMALENS_TESTS_LIBJPEG_ENCODE_H_
#define ANOMALENS_TESTS_LIBJPEG_ENCODE_H_

#include <cstdint>
#include <vector>

#include "core/image/image.h"

namespace anomalens::testing {

struct LibjpegCoding {
  int luma_h = 1, luma_v = 1;  // the luma's samples a chroma sample, across and down
  bool grey = false;
  bool progressive = false;
  bool scan_per_component = false;  // sequential, not interleaved (colour only)
  int restart_interval = 0;         // MCUs
  int restart_in_rows = 0;          // MCU rows
  bool optimize = false;            // optimised Huffman tables
  int quality = 90;
};

std::vector<uint8_t> EncodeWithLibjpeg(const RgbImage& image, const LibjpegCoding& coding);

}  // namespace anomalens::testing

#endif  // ANOMALENS_TESTS_LIBJPEG_ENCODE_H_
