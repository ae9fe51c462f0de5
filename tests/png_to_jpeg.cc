// tools/make-golden's helper: re-encodes a PNG as a baseline JPEG (quality
// 90, stb_image_write) so the golden parity set has a JPEG input whose bytes
// the same command always reproduces. It also reads a JPEG, so the JPEG
// checks of docs/model.md can re-encode sets that are JPEGs already (a
// second generation of compression, as a user's re-saved photo has).
//
//   png_to_jpeg IN.png|IN.jpg OUT.jpg
#include <cstdio>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#include "stb_image.h"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include "stb_image_write.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: png_to_jpeg IN.png|IN.jpg OUT.jpg\n");
    return 2;
  }
  int width = 0, height = 0, channels = 0;
  unsigned char* pixels = stbi_load(argv[1], &width, &height, &channels, 3);
  if (pixels == nullptr) {
    std::fprintf(stderr, "png_to_jpeg: cannot read %s: %s\n", argv[1], stbi_failure_reason());
    return 1;
  }
  const int ok = stbi_write_jpg(argv[2], width, height, 3, pixels, 90);
  stbi_image_free(pixels);
  if (!ok) {
    std::fprintf(stderr, "png_to_jpeg: cannot write %s\n", argv[2]);
    return 1;
  }
  return 0;
}
