// stb_image's JPEG code compiled into the including file as a private,
// static copy: its IDCTs, upsamplers and colour conversion, callable on
// coefficients that did not come from stb's own decoder. The core's copy
// (core/image/image_decode.cc) stays the one that decodes; a copy here gives
// native code stb's exact kernels without exporting them from the core.
//
// Include it from one .cc file of a target only, after the other includes,
// and compile that file with -fwrapv as the core's copy is, so that corrupt
// coefficients overflow the IDCT the same way. No include guard on purpose:
// each including file is meant to hold its own copy.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_ONLY_JPEG
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include "stb_image.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
