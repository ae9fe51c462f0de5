#include "native/engine/turbo_jpeg_decoder.h"

#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

// jpeglib.h needs size_t and FILE declared before it.
#include <jpeglib.h>
#include <jerror.h>

// stb_image's JPEG reconstruction, compiled here a second time, static to
// this file (the core's copy, image_decode.cc, stays the one that decodes),
// so that its IDCT, upsamplers and colour conversion can be called on
// libjpeg-turbo's coefficients. With SIMD where stb has it (SSE2, NEON): stb
// keeps those paths bit-identical to its scalar code, which the core and
// wasm run. The build gives this file -fwrapv, as it does the core's copy,
// so that corrupt coefficients overflow the IDCT the same way.
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

namespace anomalens {
namespace {

// stb's kernels, as stbi__setup_jpeg picks them.
#if defined(STBI_SSE2) || defined(STBI_NEON)
constexpr auto kIdct = stbi__idct_simd;
constexpr auto kYCbCrToRgb = stbi__YCbCr_to_RGB_simd;
constexpr auto kUpsampleBoth = stbi__resample_row_hv_2_simd;
#else
constexpr auto kIdct = stbi__idct_block;
constexpr auto kYCbCrToRgb = stbi__YCbCr_to_RGB_row;
constexpr auto kUpsampleBoth = stbi__resample_row_hv_2;
#endif

// A progressive file of more scans than this (a CPU bomb) is left to stb,
// as the portable engine would decode it, before it costs libjpeg-turbo a
// pass per scan (TurboJPEG's TJFLAG_LIMITSCANS uses 500 too).
constexpr int kMaxScans = 500;

struct ErrorManager {
  jpeg_error_mgr pub;  // first: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void Fail(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings (a truncated or damaged scan) are errors, not grey filler: stb
// then decides (DecodeJpegAtLeast).
void OnMessage(j_common_ptr cinfo, int level) {
  if (level < 0) Fail(cinfo);
}

void OnProgress(j_common_ptr cinfo) {
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxScans) {
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    std::snprintf(err->message, sizeof err->message, "progressive JPEG has more than %d scans", kMaxScans);
    std::longjmp(err->jump, 1);
  }
}

enum class Outcome { kOk, kCorrupt, kUnsupported };

// Everything that may longjmp (libjpeg's errors land in the setjmp below)
// runs here, writing only through pointers to the caller's objects, so that
// no C++ object of this frame is skipped or left in a register.
Outcome Decode(ByteSpan jpeg, int width, int height, ErrorManager* err, std::vector<uint8_t>* planes,
               RgbImage* image) {
  jpeg_decompress_struct cinfo;
  jpeg_progress_mgr progress;
  cinfo.err = jpeg_std_error(&err->pub);
  err->pub.error_exit = Fail;
  err->pub.emit_message = OnMessage;
  err->message[0] = '\0';
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return Outcome::kCorrupt;
  }
  jpeg_create_decompress(&cinfo);
  progress.progress_monitor = OnProgress;
  cinfo.progress = &progress;
  // The core capped the size at its 8 MB limit.
  jpeg_mem_src(&cinfo, jpeg.data, static_cast<unsigned long>(jpeg.size));
  jpeg_read_header(&cinfo, TRUE);

  const int components = cinfo.num_components;
  // stb's rule for a 3-component file whose samples are RGB, not YCbCr.
  const bool rgb_coded =
      components == 3 && ((cinfo.comp_info[0].component_id == 'R' && cinfo.comp_info[1].component_id == 'G' &&
                           cinfo.comp_info[2].component_id == 'B') ||
                          (cinfo.saw_Adobe_marker && cinfo.Adobe_transform == 0 && !cinfo.saw_JFIF_marker));
  // What this reproduces of stb: grey, or YCbCr with the luma at 1 or 2
  // samples a chroma sample each way (4:4:4, 4:2:2, 4:2:0, 4:4:0), 8-bit
  // Huffman coding. Anything else goes to stb itself.
  bool supported = cinfo.data_precision == 8 && !cinfo.arith_code && (components == 1 || components == 3) &&
                   !rgb_coded;
  for (int c = 1; supported && c < components; ++c) {
    supported = cinfo.comp_info[c].h_samp_factor == 1 && cinfo.comp_info[c].v_samp_factor == 1;
  }
  if (supported && components == 3) {
    supported = cinfo.comp_info[0].h_samp_factor <= 2 && cinfo.comp_info[0].v_samp_factor <= 2;
  }
  if (!supported) {
    jpeg_destroy_decompress(&cinfo);
    return Outcome::kUnsupported;
  }
  // stb read the size the core checked against Lookout's limits; a file
  // whose headers disagree is not one to trust with memory.
  if (static_cast<int>(cinfo.image_width) != width || static_cast<int>(cinfo.image_height) != height) {
    std::snprintf(err->message, sizeof err->message, "its frame headers disagree on its size (%dx%d and %ux%u px)",
                  width, height, cinfo.image_width, cinfo.image_height);
    jpeg_destroy_decompress(&cinfo);
    return Outcome::kCorrupt;
  }

  jvirt_barray_ptr* coefficients = jpeg_read_coefficients(&cinfo);

  // Each component's samples, as stb's component buffers hold them: blocks
  // dequantized in 16 bits (stb's short products) and run through stb's IDCT.
  int strides[3] = {0, 0, 0};
  for (int c = 0; c < components; ++c) {
    jpeg_component_info* comp = &cinfo.comp_info[c];
    if (comp->quant_table == nullptr) ERREXIT(&cinfo, JERR_NO_QUANT_TABLE);
    const UINT16* quant = comp->quant_table->quantval;  // natural order, as the blocks
    const int blocks_wide = static_cast<int>(comp->width_in_blocks);
    const int blocks_high = static_cast<int>(comp->height_in_blocks);
    strides[c] = blocks_wide * 8;
    planes[c].resize(static_cast<size_t>(strides[c]) * blocks_high * 8);
    for (int by = 0; by < blocks_high; ++by) {
      JBLOCKARRAY row = (*cinfo.mem->access_virt_barray)(reinterpret_cast<j_common_ptr>(&cinfo), coefficients[c],
                                                         static_cast<JDIMENSION>(by), 1, FALSE);
      for (int bx = 0; bx < blocks_wide; ++bx) {
        short block[64];
        for (int i = 0; i < 64; ++i) block[i] = static_cast<short>(row[0][bx][i] * quant[i]);
        kIdct(planes[c].data() + static_cast<size_t>(by) * 8 * strides[c] + bx * 8, strides[c], block);
      }
    }
  }

  // Upsampling and colour conversion: stb's load_jpeg_image, row by row.
  struct Resampler {
    stbi_uc* (*resample)(stbi_uc* out, stbi_uc* in_near, stbi_uc* in_far, int w, int hs);
    stbi_uc* line0;
    stbi_uc* line1;
    int hs, vs, ystep, ypos, w_lores, rows;
    std::vector<stbi_uc>* linebuf;
  };
  std::vector<stbi_uc>* linebufs = planes + 3;  // the caller's scratch rows: 3 upsampling, 1 RGBA
  Resampler resamplers[3];
  const int h_max = cinfo.max_h_samp_factor, v_max = cinfo.max_v_samp_factor;
  for (int c = 0; c < components; ++c) {
    Resampler& r = resamplers[c];
    r.hs = h_max / cinfo.comp_info[c].h_samp_factor;
    r.vs = v_max / cinfo.comp_info[c].v_samp_factor;
    r.ystep = r.vs >> 1;
    r.ypos = 0;
    r.w_lores = (width + r.hs - 1) / r.hs;
    r.rows = (height * cinfo.comp_info[c].v_samp_factor + v_max - 1) / v_max;
    r.line0 = r.line1 = planes[c].data();
    r.resample = r.hs == 1 && r.vs == 1   ? resample_row_1
                 : r.hs == 1 && r.vs == 2 ? stbi__resample_row_v_2
                 : r.hs == 2 && r.vs == 1 ? stbi__resample_row_h_2
                                          : kUpsampleBoth;
    r.linebuf = &linebufs[c];
    r.linebuf->resize(static_cast<size_t>(width) + 3);  // stb's size: room to upsample off the edge
  }
  // The coefficients are done with: free them before the pixels are
  // allocated, which keeps the peak at coefficients + planes.
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);

  // stb's colour conversion runs its SIMD code only at 4 bytes a pixel (RGB
  // and alpha), so rows convert into `rgba` and are packed to RGB.
  std::vector<stbi_uc>& rgba = linebufs[3];
  rgba.resize(static_cast<size_t>(width) * 4);
  const size_t size = static_cast<size_t>(width) * height * 3;
  image->pixels.resize(size);
  for (int j = 0; j < height; ++j) {
    stbi_uc* out = image->pixels.data() + static_cast<size_t>(j) * width * 3;
    stbi_uc* rows[3] = {nullptr, nullptr, nullptr};
    for (int c = 0; c < components; ++c) {
      Resampler& r = resamplers[c];
      const bool y_bot = r.ystep >= (r.vs >> 1);
      rows[c] = r.resample(r.linebuf->data(), y_bot ? r.line1 : r.line0, y_bot ? r.line0 : r.line1, r.w_lores, r.hs);
      if (++r.ystep >= r.vs) {
        r.ystep = 0;
        r.line0 = r.line1;
        if (++r.ypos < r.rows) r.line1 += strides[c];
      }
    }
    if (components == 3) {
      kYCbCrToRgb(rgba.data(), rows[0], rows[1], rows[2], width, 4);
      for (int i = 0; i < width; ++i, out += 3) std::memcpy(out, &rgba[static_cast<size_t>(i) * 4], 3);
    } else {
      for (int i = 0; i < width; ++i, out += 3) out[0] = out[1] = out[2] = rows[0][i];
    }
  }
  image->width = width;
  image->height = height;
  return Outcome::kOk;
}

}  // namespace

StatusOr<RgbImage> DecodeJpegAtLeast(ByteSpan jpeg, int width, int height, int /*min_width*/, int /*min_height*/) {
  ErrorManager err;
  // Three component planes, three upsampling rows, an RGBA row.
  std::vector<uint8_t> buffers[7];
  RgbImage image;
  switch (Decode(jpeg, width, height, &err, buffers, &image)) {
    case Outcome::kOk:
      return image;
    case Outcome::kUnsupported:
      return Unsupported("JPEG coding that the libjpeg-turbo path does not reproduce");
    case Outcome::kCorrupt:
      break;
  }
  // A file libjpeg-turbo finds damaged goes to stb, which decides as it does
  // on the portable engine: the same error, or the same pixels where stb
  // tolerates the damage (1 in 7 of the variants libjpeg-turbo refused in a
  // sweep of mutated JPEGs, docs/speed.md). Costs a second decode of bad
  // files only.
  return Unsupported(std::string("libjpeg-turbo: ") + err.message);
}

JpegDecoder TurboJpegDecoder() { return JpegDecoder{&DecodeJpegAtLeast}; }

}  // namespace anomalens
