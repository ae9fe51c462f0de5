#include "native/engine/turbo_jpeg_decoder.h"

#include "core/base/default_init_allocator.h"
#include "native/engine/baseline_scan_decoder.h"
#include "native/engine/idct_pair.h"
#include "native/engine/ycbcr_wide.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

// jpeglib.h needs size_t and FILE declared before it.
#include <jpeglib.h>
#include <jerror.h>
// For cinfo->coef->coef_arrays: the coefficient rows while they are read
// (jpeg_read_coefficients hands them out only once every scan is read).
#include <jpegint.h>

// stb_image's JPEG reconstruction, compiled here a second time, static to
// this file (the core's copy, image_decode.cc, stays the one that decodes),
// so that its IDCT, upsamplers and colour conversion can be called on
// libjpeg-turbo's coefficients. With SIMD where stb has it (SSE2, NEON): stb
// keeps those paths bit-identical to its scalar code, which the core and
// wasm run. The build gives this file -fwrapv, as it does the core's copy,
// so that corrupt coefficients overflow the IDCT the same way.
#include "native/engine/stb_jpeg_private_copy.h"

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
  std::jmp_buf* jump;  // where the thread now inside libjpeg resumes on an error
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void Fail(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(*err->jump, 1);
}

// Warnings (a truncated or damaged scan) are errors, not grey filler: stb
// then decides (DecodeJpegAtLeast).
void OnMessage(j_common_ptr cinfo, int level) {
  if (level < 0) Fail(cinfo);
}

// stb's upsampling state for one component (load_jpeg_image's resample).
struct Resampler {
  stbi_uc* (*resample)(stbi_uc* out, stbi_uc* in_near, stbi_uc* in_far, int w, int hs);
  stbi_uc* line0;
  stbi_uc* line1;
  int line1_row;  // the sample row line1 points at
  int hs, vs, ystep, ypos, w_lores, rows;
  UninitializedVector<stbi_uc>* linebuf;
};

// stb's IDCT of a block whose AC coefficients are all 0 depends on its
// dequantized DC alone, and for most such values gives one sample 64 times.
// A quarter of a photo's blocks (a third of its chroma) are like that, so
// each DC's output is computed by the IDCT once, the first time it occurs,
// and then filled: the same bytes without the arithmetic.
class DcOnlyBlocks {
 public:
  static bool IsDcOnly(const JCOEF* block) {
    uint64_t words[DCTSIZE2 * sizeof(JCOEF) / 8];
    std::memcpy(words, block, sizeof words);
    static const uint64_t kDc = [] {  // the DC's bits within the first word, whatever the byte order
      const JCOEF first[4] = {static_cast<JCOEF>(-1), 0, 0, 0};
      uint64_t mask;
      std::memcpy(&mask, first, sizeof mask);
      return mask;
    }();
    uint64_t any = words[0] & ~kDc;
    for (size_t i = 1; i < sizeof words / 8; ++i) any |= words[i];
    return any == 0;
  }
  // The IDCT of a block of `dc` and 63 zeros into `out` (rows `stride` apart).
  void Write(short dc, stbi_uc* out, int stride) {
    if (samples_.empty()) samples_.assign(size_t{1} << 16, kUnknown);
    uint16_t& known = samples_[static_cast<uint16_t>(dc)];
    if (known == kUnknown) {
      short block[DCTSIZE2] = {dc};
      stbi_uc pixels[DCTSIZE2];
      kIdct(pixels, 8, block);
      known = std::all_of(pixels, pixels + DCTSIZE2, [&](stbi_uc p) { return p == pixels[0]; }) ? pixels[0]
                                                                                               : kNotUniform;
    }
    if (known == kNotUniform) {
      short block[DCTSIZE2] = {dc};
      kIdct(out, stride, block);
      return;
    }
    for (int y = 0; y < 8; ++y) std::memset(out + static_cast<size_t>(y) * stride, known, 8);
  }

 private:
  static constexpr uint16_t kUnknown = 0xffff, kNotUniform = 0xfffe;
  std::vector<uint16_t> samples_;  // per dequantized DC (as 16 bits): its sample, or one of the above
};

// The reconstruction of one image and its progress. One thread reads the
// coefficients (libjpeg-turbo's entropy decoding) and hands over each iMCU
// row (8 or 16 pixel rows of every component) as it completes; another turns
// the rows it has into pixels meanwhile, so that at 2 threads the
// reconstruction hides behind the entropy decoding instead of following it.
// On one thread the same two roles run one after the other.
struct Reconstruction {
  int components = 0, width = 0, height = 0;
  int total_imcu_rows = 0;
  int blocks_wide[3] = {0, 0, 0}, blocks_high[3] = {0, 0, 0}, strides[3] = {0, 0, 0};
  int block_rows_per_imcu_row[3] = {0, 0, 0};
  UINT16 quant[3][DCTSIZE2];                    // natural order, as the blocks
  std::vector<JBLOCKROW> block_rows[3];         // each component's coefficient rows, set as they are read
  UninitializedVector<uint8_t>* planes = nullptr;  // the caller's: 3 component planes (every block's IDCT fills them)
  Resampler resamplers[3];
  UninitializedVector<stbi_uc>* rgba = nullptr;  // the caller's: one RGBA row
  RgbImage* image = nullptr;
  RowByRowResize* rows = nullptr;               // the caller's: fed each pixel row, when set
  bool pixels_too = true;                       // false: `rows` only, `image` keeps no pixels
  BaselineScanDecoder* scan = nullptr;          // set: it reads the scan first (libjpeg-turbo if it gives up)

  // Rows are handed over as they are read only from a single interleaved
  // sequential scan, whose rows are final once read. A progressive file
  // (or one scan per component) revisits its rows: it is reconstructed
  // once every scan is read.
  bool streaming = false;
  int collected = 0;  // iMCU rows in block_rows (the reading thread's)
  int notified = 0;   // iMCU rows published when the reading thread last woke the other
  std::atomic<int> next_role{0};

  std::mutex mutex;
  std::condition_variable ready;
  int published = 0;      // iMCU rows the reconstructing thread may take (mutex)
  bool finished = false;  // the reading is over (mutex)
  bool failed = false;    // ... with an error, in ErrorManager::message (mutex)

  // BaselineScanDecoder's second half, which the reconstructing role
  // decodes before it starts reconstructing (docs/speed.md): 0 not started,
  // 1 taken, 2 given up by the reading role, which then reads the rest
  // itself.
  std::atomic<int> second_half{0};
  bool second_half_done = false;  // (mutex)
  std::condition_variable second_half_ended;

  int reconstructed = 0;  // iMCU rows through the IDCT (the reconstructing thread's)
  DcOnlyBlocks dc_only;   // (the reconstructing thread's)
  int next_pixel_row = 0;
};

struct Progress {
  jpeg_progress_mgr pub;  // first: libjpeg hands back a pointer to it
  Reconstruction* work;
};

// Hands the first `imcu_rows` iMCU rows (their block_rows set) to the
// reconstructing thread.
void Publish(Reconstruction* work, int imcu_rows) {
  work->collected = imcu_rows;
  {
    std::lock_guard<std::mutex> lock(work->mutex);
    work->published = imcu_rows;
  }
  // A waiting reconstructing thread is woken for a batch of rows (an eighth
  // of the image), not for each: a wake-up costs the reading thread a system
  // call. A thread still busy takes the rows published meanwhile anyway.
  if (imcu_rows - work->notified >= std::max(1, work->total_imcu_rows / 8)) {
    work->notified = imcu_rows;
    work->ready.notify_one();
  }
}

// Takes the coefficient rows of the first `imcu_rows` iMCU rows (read by
// now) and hands them to the reconstructing thread. On the reading thread,
// under its error handler: access_virt_barray is libjpeg's, and reading rows
// already written changes nothing in it.
void Collect(j_decompress_ptr cinfo, Reconstruction* work, int imcu_rows) {
  if (imcu_rows <= work->collected) return;
  if (work->collected == 0) {
    for (int c = 0; c < work->components; ++c) {
      const JQUANT_TBL* table = cinfo->comp_info[c].quant_table;
      if (table == nullptr) ERREXIT(cinfo, JERR_NO_QUANT_TABLE);
      std::memcpy(work->quant[c], table->quantval, sizeof work->quant[c]);
    }
  }
  jvirt_barray_ptr* coefficients = cinfo->coef->coef_arrays;
  for (int c = 0; c < work->components; ++c) {
    const int end = std::min(imcu_rows * work->block_rows_per_imcu_row[c], work->blocks_high[c]);
    for (int by = work->collected * work->block_rows_per_imcu_row[c]; by < end; ++by) {
      work->block_rows[c][by] = (*cinfo->mem->access_virt_barray)(reinterpret_cast<j_common_ptr>(cinfo),
                                                                  coefficients[c], static_cast<JDIMENSION>(by), 1,
                                                                  FALSE)[0];
    }
  }
  Publish(work, imcu_rows);
}

void EndReading(Reconstruction* work, bool failed) {
  {
    std::lock_guard<std::mutex> lock(work->mutex);
    work->finished = true;
    work->failed = failed;
  }
  work->ready.notify_one();
}

// Called by jpeg_read_coefficients before each step of input (an iMCU row
// of a scan, or a marker).
void OnProgress(j_common_ptr common) {
  auto* cinfo = reinterpret_cast<j_decompress_ptr>(common);
  if (cinfo->input_scan_number > kMaxScans) {
    auto* err = reinterpret_cast<ErrorManager*>(common->err);
    std::snprintf(err->message, sizeof err->message, "progressive JPEG has more than %d scans", kMaxScans);
    std::longjmp(*err->jump, 1);
  }
  Reconstruction* work = reinterpret_cast<Progress*>(common->progress)->work;
  if (work->streaming && cinfo->coef != nullptr && cinfo->coef->coef_arrays != nullptr) {
    Collect(cinfo, work, static_cast<int>(cinfo->input_iMCU_row));
  }
}

// The reading role's first try, for a file BaselineScanDecoder takes: its
// rows as they are decoded. false: it gave up (libjpeg-turbo then reads the
// file, and takes over from the rows handed over so far, which are its own).
bool ReadScan(Reconstruction* work) {
  BaselineScanDecoder* scan = work->scan;
  const std::function<void(int)> publish = [work, scan](int imcu_rows) {
    for (int c = 0; c < work->components; ++c) {
      const int end = std::min(imcu_rows * work->block_rows_per_imcu_row[c], work->blocks_high[c]);
      for (int by = work->collected * work->block_rows_per_imcu_row[c]; by < end; ++by) {
        work->block_rows[c][by] = reinterpret_cast<JBLOCKROW>(scan->Row(c, by));
      }
    }
    Publish(work, imcu_rows);
  };
  const bool first_ok = scan->DecodeFirstHalf(publish);
  int untaken = 0;
  const bool second_ran = !work->second_half.compare_exchange_strong(untaken, 2);
  if (!first_ok) return false;  // (a second half still running writes only its own blocks)
  if (second_ran) {
    std::unique_lock<std::mutex> lock(work->mutex);
    work->second_half_ended.wait(lock, [work] { return work->second_half_done; });
  }
  return scan->FinishHalves(second_ran, publish);
}

// The reconstructing role's first task: the second half of the scan, if
// the reading role has not gone on past the split without it.
void DecodeSecondHalf(Reconstruction* work) {
  int untaken = 0;
  if (work->scan == nullptr || !work->second_half.compare_exchange_strong(untaken, 1)) return;
  work->scan->DecodeSecondHalf();
  {
    std::lock_guard<std::mutex> lock(work->mutex);
    work->second_half_done = true;
  }
  work->second_half_ended.notify_one();
}

// The reading role: libjpeg-turbo's entropy decoding of every scan (unless
// BaselineScanDecoder read it), with this thread's own landing place for
// libjpeg's errors.
void ReadCoefficients(j_decompress_ptr cinfo, ErrorManager* err, Reconstruction* work) {
  if (work->scan != nullptr && ReadScan(work)) {
    EndReading(work, /*failed=*/false);
    return;
  }
  std::jmp_buf jump;
  err->jump = &jump;
  if (setjmp(jump)) {
    EndReading(work, /*failed=*/true);
    return;
  }
  jpeg_read_coefficients(cinfo);
  Collect(cinfo, work, work->total_imcu_rows);
  EndReading(work, /*failed=*/false);
}

// stb's dequantization (in 16 bits, its short products) and IDCT of the
// block rows of iMCU rows [reconstructed, imcu_rows), then every pixel row
// whose component rows are all there: upsampling and colour conversion, stb's
// load_jpeg_image row by row.
void ReconstructRows(Reconstruction* work, int imcu_rows) {
  int sample_rows[3] = {0, 0, 0};
  // IdctPair reproduces stb's SSE2 IDCT (kIdct there).
#if defined(STBI_SSE2)
  const bool paired_idct = HasIdctPair();
#else
  constexpr bool paired_idct = false;
#endif
  for (int c = 0; c < work->components; ++c) {
    const int per_row = work->block_rows_per_imcu_row[c];
    const int end = std::min(imcu_rows * per_row, work->blocks_high[c]);
    const UINT16* quant = work->quant[c];
    const int stride = work->strides[c];
    for (int by = work->reconstructed * per_row; by < end; ++by) {
      const JBLOCKROW row = work->block_rows[c][by];
      stbi_uc* out = work->planes[c].data() + static_cast<size_t>(by) * 8 * stride;
      const int wide = work->blocks_wide[c];
      for (int bx = 0; bx < wide;) {
        if (DcOnlyBlocks::IsDcOnly(row[bx])) {
          work->dc_only.Write(static_cast<short>(row[bx][0] * quant[0]), out + bx * 8, stride);
          ++bx;
          continue;
        }
        short block[DCTSIZE2];
        for (int i = 0; i < DCTSIZE2; ++i) block[i] = static_cast<short>(row[bx][i] * quant[i]);
        // Two blocks side by side in one IDCT where the CPU has AVX2 (the
        // same bytes as stb's, idct_pair.h).
        if (paired_idct && bx + 1 < wide && !DcOnlyBlocks::IsDcOnly(row[bx + 1])) {
          short next[DCTSIZE2];
          for (int i = 0; i < DCTSIZE2; ++i) next[i] = static_cast<short>(row[bx + 1][i] * quant[i]);
          IdctPair(out + bx * 8, stride, block, next);
          bx += 2;
          continue;
        }
        kIdct(out + bx * 8, stride, block);
        ++bx;
      }
    }
    sample_rows[c] = end * 8;
  }
  work->reconstructed = imcu_rows;

  const int width = work->width;
  for (; work->next_pixel_row < work->height; ++work->next_pixel_row) {
    bool there = true;
    for (int c = 0; c < work->components; ++c) there = there && work->resamplers[c].line1_row < sample_rows[c];
    if (!there) return;
    stbi_uc* out = work->pixels_too
                       ? work->image->pixels.data() + static_cast<size_t>(work->next_pixel_row) * width * 3
                       : work->rgba->data();
    stbi_uc* rows[3] = {nullptr, nullptr, nullptr};
    for (int c = 0; c < work->components; ++c) {
      Resampler& r = work->resamplers[c];
      const bool y_bot = r.ystep >= (r.vs >> 1);
      rows[c] = r.resample(r.linebuf->data(), y_bot ? r.line1 : r.line0, y_bot ? r.line0 : r.line1, r.w_lores, r.hs);
      if (++r.ystep >= r.vs) {
        r.ystep = 0;
        r.line0 = r.line1;
        if (++r.ypos < r.rows) {
          r.line1 += work->strides[c];
          ++r.line1_row;
        }
      }
    }
    if (work->components == 3) {
      // stb's colour conversion runs its SIMD code only at 4 bytes a pixel
      // (RGB and alpha), so rows convert into `rgba` and are packed to RGB,
      // four bytes a pixel whose fourth the next pixel overwrites (the last
      // pixel three). The resize reads the RGBA row itself, still in cache.
      const stbi_uc* rgba = work->rgba->data();
      // stb's SSE2 conversion 32 pixels at a time where the CPU has
      // AVX-512BW (the same bytes, ycbcr_wide.h), stb's for the rest.
      int converted = 0;
#if defined(STBI_SSE2)
      if (HasYCbCrWide()) converted = YCbCrToRgbaWide(work->rgba->data(), rows[0], rows[1], rows[2], width);
#endif
      kYCbCrToRgb(work->rgba->data() + static_cast<size_t>(converted) * 4, rows[0] + converted, rows[1] + converted,
                  rows[2] + converted, width - converted, 4);
      if (work->pixels_too) {
        for (int i = 0; i + 1 < width; ++i) std::memcpy(out + i * 3, rgba + i * 4, 4);
        std::memcpy(out + (width - 1) * 3, rgba + (width - 1) * 4, 3);
      }
      if (work->rows != nullptr) work->rows->AddRow(rgba, 4);
    } else {
      for (int i = 0; i < width; ++i) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = rows[0][i];
      if (work->rows != nullptr) work->rows->AddRow(out, 3);
    }
  }
}

// The reconstructing role: takes rows as the reading role hands them over,
// until it ends. (Run after the reading role on the same thread, it finds
// every row there.)
void Reconstruct(Reconstruction* work) {
  // The planes and pixels are allocated here, while the other thread reads.
  // The peak holds coefficients, planes and pixels together, 7.5 bytes a
  // pixel at 4:2:0 (4.5 when a serial decode freed the coefficients first;
  // 120 MB for Lookout's largest image, 4096 x 4096 px).
  for (int c = 0; c < work->components; ++c) {
    work->planes[c].resize(static_cast<size_t>(work->strides[c]) * work->blocks_high[c] * 8);
    Resampler& r = work->resamplers[c];
    r.line0 = r.line1 = work->planes[c].data();
    r.linebuf->resize(static_cast<size_t>(work->width) + 3);  // stb's size: room to upsample off the edge
  }
  // (A grey row without pixels to keep is widened in `rgba`, 3 bytes a pixel.)
  work->rgba->resize(static_cast<size_t>(work->width) * 4);
  if (work->pixels_too) work->image->pixels.resize(static_cast<size_t>(work->width) * work->height * 3);
  for (;;) {
    int available = 0;
    bool finished = false, failed = false;
    {
      std::unique_lock<std::mutex> lock(work->mutex);
      work->ready.wait(lock, [work] { return work->published > work->reconstructed || work->finished; });
      available = work->published;
      finished = work->finished;
      failed = work->failed;
    }
    if (failed) return;
    if (available > work->reconstructed) {
      ReconstructRows(work, available);
    } else if (finished) {
      return;
    }
  }
}

// Both roles, on two threads when `parallel` has them. Whichever thread
// starts first reads, so that the reconstructing role never waits on a
// reading role that has not started (one thread running both, in any
// order of the ranges, reads first too). For a scan BaselineScanDecoder
// reads, the reconstructing role first decodes the scan's second half
// (unless the reading role went on alone by then, as it does on one
// thread), while the reading role decodes the first.
void RunRoles(j_decompress_ptr cinfo, ErrorManager* err, Reconstruction* work, const ParallelFor& parallel) {
  const ParallelFor::Body roles = [cinfo, err, work](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      if (work->next_role.fetch_add(1) == 0) {
        ReadCoefficients(cinfo, err, work);
      } else {
        DecodeSecondHalf(work);
        Reconstruct(work);
      }
    }
  };
  if (work->streaming) {
    parallel(2, roles);
  } else {
    roles(0, 2);
  }
}

enum class Outcome { kOk, kCorrupt, kUnsupported };

// Everything that may longjmp to this frame (libjpeg's errors land in the
// setjmp below) writes only through pointers to the caller's objects, so
// that no C++ object of this frame is skipped or left in a register. (The
// reading role has its own landing place, on its own thread.)
Outcome Decode(ByteSpan jpeg, int width, int height, const ParallelFor& parallel, ErrorManager* err,
               Progress* progress, Reconstruction* work, UninitializedVector<uint8_t>* buffers, RgbImage* image,
               RowByRowResize* rows, bool pixels_too, BaselineScanDecoder* scan) {
  jpeg_decompress_struct cinfo;
  std::jmp_buf jump;
  cinfo.err = jpeg_std_error(&err->pub);
  err->pub.error_exit = Fail;
  err->pub.emit_message = OnMessage;
  err->message[0] = '\0';
  err->jump = &jump;
  if (setjmp(jump)) {
    jpeg_destroy_decompress(&cinfo);
    return Outcome::kCorrupt;
  }
  jpeg_create_decompress(&cinfo);
  progress->pub.progress_monitor = OnProgress;
  progress->work = work;
  cinfo.progress = &progress->pub;
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

  // The plan, from the frame header (jpeg_read_header read up to the first
  // scan): sizes and stb's upsamplers (their memory is the reconstructing
  // role's to allocate).
  work->components = components;
  work->width = width;
  work->height = height;
  work->total_imcu_rows = static_cast<int>(cinfo.total_iMCU_rows);
  work->planes = buffers;
  work->rgba = &buffers[6];
  work->image = image;
  work->rows = rows;
  work->pixels_too = pixels_too || rows == nullptr;
  UninitializedVector<uint8_t>* linebufs = buffers + 3;
  const int h_max = cinfo.max_h_samp_factor, v_max = cinfo.max_v_samp_factor;
  for (int c = 0; c < components; ++c) {
    const jpeg_component_info* comp = &cinfo.comp_info[c];
    work->blocks_wide[c] = static_cast<int>(comp->width_in_blocks);
    work->blocks_high[c] = static_cast<int>(comp->height_in_blocks);
    work->block_rows_per_imcu_row[c] = comp->v_samp_factor;
    work->strides[c] = work->blocks_wide[c] * 8;
    work->block_rows[c].assign(static_cast<size_t>(work->blocks_high[c]), nullptr);
    Resampler& r = work->resamplers[c];
    r.hs = h_max / comp->h_samp_factor;
    r.vs = v_max / comp->v_samp_factor;
    r.ystep = r.vs >> 1;
    r.ypos = 0;
    r.w_lores = (width + r.hs - 1) / r.hs;
    r.rows = (height * comp->v_samp_factor + v_max - 1) / v_max;
    r.line1_row = 0;
    r.resample = r.hs == 1 && r.vs == 1   ? resample_row_1
                 : r.hs == 1 && r.vs == 2 ? stbi__resample_row_v_2
                 : r.hs == 2 && r.vs == 1 ? stbi__resample_row_h_2
                                          : kUpsampleBoth;
    r.linebuf = &linebufs[c];
  }
  // One interleaved scan of every component, not progressive: libjpeg-turbo
  // then expects no other scan (a second is an error), so each iMCU row is
  // final once read.
  work->streaming = !cinfo.progressive_mode && cinfo.comps_in_scan == components;
  // The common case of those (baseline Huffman, docs/speed.md) is read by
  // our own entropy decoder, with the quantization tables libjpeg-turbo
  // would latch at the scan's start.
  if (work->streaming && scan != nullptr) {
    bool tables = true;
    for (int c = 0; c < components; ++c) {
      const int no = cinfo.comp_info[c].quant_tbl_no;
      tables = tables && no >= 0 && no < NUM_QUANT_TBLS && cinfo.quant_tbl_ptrs[no] != nullptr;
    }
    if (tables && scan->Prepare(cinfo, jpeg)) {
      // The second thread's share of the entropy decoding: what balances
      // the two threads, the first decoding the rest, the second then
      // reconstructing every row (it catches up with the first thread's
      // rows as they come). By the costs measured on the cookie JPEG
      // (docs/speed.md): ~5 ns a byte of entropy data, ~2.5 ns a pixel
      // reconstructed and resized (a share of 0.34 for it). None where the
      // reconstruction is the longer: the second thread would only start it
      // later. Only the timing depends on it, not the pixels.
      const double entropy = 5.0 * static_cast<double>(jpeg.size);
      const double reconstruction = 2.5 * static_cast<double>(width) * height;
      scan->set_second_share(entropy > reconstruction
                                 ? (entropy - reconstruction) / (2 * entropy - reconstruction)
                                 : 0.0);
      for (int c = 0; c < components; ++c) {
        std::memcpy(work->quant[c], cinfo.quant_tbl_ptrs[cinfo.comp_info[c].quant_tbl_no]->quantval,
                    sizeof work->quant[c]);
      }
      work->scan = scan;
    }
  }

  RunRoles(&cinfo, err, work, parallel);
  err->jump = &jump;
  jpeg_destroy_decompress(&cinfo);  // the coefficients with it
  if (work->failed) return Outcome::kCorrupt;
  image->width = width;
  image->height = height;
  return Outcome::kOk;
}

}  // namespace

StatusOr<RgbImage> DecodeJpegAtLeast(ByteSpan jpeg, int width, int height, int /*min_width*/, int /*min_height*/,
                                     const ParallelFor& parallel, RowByRowResize* rows, bool pixels_too) {
  ErrorManager err;
  Progress progress;
  Reconstruction work;
  // Three component planes, three upsampling rows, an RGBA row: not zeroed
  // first (the planes are 3 bytes a pixel at 4:4:4; every byte is written
  // before it is read).
  UninitializedVector<uint8_t> buffers[7];
  RgbImage image;
  BaselineScanDecoder scan;
  switch (Decode(jpeg, width, height, parallel, &err, &progress, &work, buffers, &image, rows, pixels_too, &scan)) {
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

JpegDecoder TurboJpegDecoder(ParallelFor parallel) {
  return JpegDecoder{[parallel = std::move(parallel)](ByteSpan jpeg, int width, int height, int min_width,
                                                      int min_height, RowByRowResize* rows, bool pixels_too) {
    return DecodeJpegAtLeast(jpeg, width, height, min_width, min_height, parallel, rows, pixels_too);
  }};
}

}  // namespace anomalens
