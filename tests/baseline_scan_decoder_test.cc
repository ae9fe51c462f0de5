// BaselineScanDecoder (native/engine/baseline_scan_decoder.h), the native
// JPEG decoder's own entropy decoding of baseline Huffman scans. Held: the
// quantized coefficients libjpeg-turbo's jpeg_read_coefficients gives, on
// every chroma subsampling, odd sizes, restart markers, optimised tables and
// the cookie photos; the same on two threads (the speculative second half)
// as on one, in either order of the roles; damaged files either refused
// (handed back to libjpeg-turbo) or read exactly as libjpeg-turbo reads them
// without a warning; and the whole decoder's pixels still stb's.
// Also run under ThreadSanitizer (tools/test-sanitizers tsan).
#include <cstdio>  // before jpeglib.h, which needs FILE

#include <jpeglib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <csetjmp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/image/image_decode.h"
#include "core/image/image_resize.h"
#include "native/engine/baseline_scan_decoder.h"
#include "native/engine/thread_pool.h"
#include "native/engine/turbo_jpeg_decoder.h"
#include "libjpeg_encode.h"
#include "test_paths.h"
#include "test_support.h"
#include "thread_splits.h"

namespace anomalens {
namespace {

struct Coding {
  const char* name;
  int width, height;
  int luma_h = 1, luma_v = 1;
  bool grey = false;
  int restart_interval = 0;  // MCUs
  int restart_in_rows = 0;   // MCU rows
  bool optimize = false;     // optimised Huffman tables
  int quality = 90;
  int noise = 0;  // +- levels of noise added to the fixture (dense entropy data)
};

const std::vector<Coding>& Codings() {
  static const std::vector<Coding> codings = {
      {"4:4:4", 256, 192},
      {"4:2:2", 256, 192, 2, 1},
      {"4:2:0", 256, 192, 2, 2},
      {"4:4:0", 256, 192, 1, 2},
      {"grey", 256, 192, 1, 1, true},
      {"odd 4:2:0", 257, 193, 2, 2},
      {"odd 4:2:2", 131, 77, 2, 1},
      {"odd 4:4:0", 131, 77, 1, 2},
      {"odd grey", 131, 77, 1, 1, true},
      {"4:2:0, restart every 3 MCUs", 257, 193, 2, 2, false, 3},
      {"4:4:4, restart every MCU row", 131, 77, 1, 1, false, 0, 1},
      {"grey, restart every 7 MCUs", 131, 77, 1, 1, true, 7},
      {"4:2:0, optimised tables", 257, 193, 2, 2, false, 0, 0, true},
      {"4:2:0, one iMCU row", 37, 9, 2, 2},
      {"4:4:4, one block", 8, 8},
      {"grey, its samples 2x2", 131, 77, 2, 2, true},
      // Large enough for the second thread to start mid-scan.
      {"large 4:2:0", 901, 677, 2, 2, false, 0, 0, false, 97},
      {"large 4:4:4, optimised", 613, 555, 1, 1, false, 0, 0, true, 95},
      {"large 4:2:2", 777, 601, 2, 1},
      {"large 4:4:0", 601, 777, 1, 2},
      {"large grey", 1001, 703, 1, 1, true, 0, 0, false, 98},
      {"large 4:2:0, restart every 5 MCUs", 901, 677, 2, 2, false, 5},
      // Dense enough (bytes a pixel) that the whole decoder splits the scan.
      {"large 4:2:0, noisy, quality 100", 613, 555, 2, 2, false, 0, 0, false, 100, 24},
      {"large 4:4:4, noisy, quality 100, restart every 9 MCUs", 613, 555, 1, 1, false, 9, 0, false, 100, 24},
  };
  return codings;
}

std::vector<uint8_t> Encode(const Coding& c) {
  auto png = DecodeImage(
      testing::ReadFileOrDie(std::string(ANOMALENS_GOLDEN_DIR) + "/parity/test-images/anomaly-8.png"), "image/png");
  EXPECT_TRUE(png.ok());
  RgbImage image = ResizeImage(*png, c.width, c.height);
  std::mt19937 random(7);
  for (uint8_t& v : image.pixels) {
    if (c.noise) v = static_cast<uint8_t>(std::clamp(v + static_cast<int>(random() % (2 * c.noise + 1)) - c.noise, 0, 255));
  }
  testing::LibjpegCoding coding;
  coding.luma_h = c.luma_h, coding.luma_v = c.luma_v;
  coding.grey = c.grey;
  coding.restart_interval = c.restart_interval, coding.restart_in_rows = c.restart_in_rows;
  coding.optimize = c.optimize;
  coding.quality = c.quality;
  return testing::EncodeWithLibjpeg(image, coding);
}

// Each component's blocks (width_in_blocks x height_in_blocks), in order.
using Coefficients = std::vector<std::vector<int16_t>>;

struct Errors {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
};
[[noreturn]] void Fail(j_common_ptr cinfo) { std::longjmp(reinterpret_cast<Errors*>(cinfo->err)->jump, 1); }
void FailOnWarning(j_common_ptr cinfo, int level) {
  if (level < 0) Fail(cinfo);
}

// libjpeg-turbo's coefficients; false when it fails or warns.
bool LibjpegCoefficients(const std::vector<uint8_t>& jpeg, Coefficients* out) {
  jpeg_decompress_struct cinfo;
  Errors errors;
  cinfo.err = jpeg_std_error(&errors.pub);
  errors.pub.error_exit = Fail;
  errors.pub.emit_message = FailOnWarning;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, jpeg.data(), static_cast<unsigned long>(jpeg.size()));
  jpeg_read_header(&cinfo, TRUE);
  jvirt_barray_ptr* arrays = jpeg_read_coefficients(&cinfo);
  out->assign(static_cast<size_t>(cinfo.num_components), {});
  for (int c = 0; c < cinfo.num_components; ++c) {
    const jpeg_component_info& comp = cinfo.comp_info[c];
    for (JDIMENSION by = 0; by < comp.height_in_blocks; ++by) {
      JBLOCKROW row = (*cinfo.mem->access_virt_barray)(reinterpret_cast<j_common_ptr>(&cinfo), arrays[c], by, 1,
                                                       FALSE)[0];
      (*out)[c].insert((*out)[c].end(), &row[0][0], &row[comp.width_in_blocks][0]);
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

enum class Ours { kNotTaken, kGaveUp, kDecoded };

// BaselineScanDecoder's coefficients, serially or on `parallel`.
Ours OurCoefficients(const std::vector<uint8_t>& jpeg, const ParallelFor* parallel, Coefficients* out,
                     bool* met = nullptr) {
  jpeg_decompress_struct cinfo;
  Errors errors;
  cinfo.err = jpeg_std_error(&errors.pub);
  errors.pub.error_exit = Fail;
  errors.pub.emit_message = FailOnWarning;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return Ours::kNotTaken;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, jpeg.data(), static_cast<unsigned long>(jpeg.size()));
  jpeg_read_header(&cinfo, TRUE);
  auto decoder = std::make_unique<BaselineScanDecoder>();
  Ours result = Ours::kNotTaken;
  if (decoder->Prepare(cinfo, jpeg)) {
    int last = 0;
    const bool ok = parallel ? decoder->DecodeInTwo(*parallel, [&](int rows) {
      EXPECT_GT(rows, last);
      last = rows;
    })
                             : decoder->Decode([&](int rows) {
                                 EXPECT_GT(rows, last);
                                 last = rows;
                               });
    if (met) *met = decoder->met();
    result = ok ? Ours::kDecoded : Ours::kGaveUp;
    if (ok) {
      EXPECT_EQ(last, static_cast<int>(cinfo.total_iMCU_rows));
      out->assign(static_cast<size_t>(cinfo.num_components), {});
      for (int c = 0; c < cinfo.num_components; ++c) {
        const jpeg_component_info& comp = cinfo.comp_info[c];
        for (JDIMENSION by = 0; by < comp.height_in_blocks; ++by) {
          const BaselineScanDecoder::Block* row = decoder->Row(c, static_cast<int>(by));
          (*out)[c].insert((*out)[c].end(), &row[0][0], &row[comp.width_in_blocks][0]);
        }
      }
    }
  }
  jpeg_destroy_decompress(&cinfo);
  return result;
}

ParallelFor TwoThreads() { return ParallelOn(std::make_shared<const ThreadPool>(2)); }

void ExpectLibjpegsCoefficients(const std::vector<uint8_t>& jpeg, const ParallelFor& pool, int* met_count) {
  Coefficients expected, serial;
  ASSERT_TRUE(LibjpegCoefficients(jpeg, &expected));
  ASSERT_EQ(OurCoefficients(jpeg, nullptr, &serial), Ours::kDecoded);
  EXPECT_TRUE(serial == expected) << "serial: not libjpeg-turbo's coefficients";
  const ParallelFor reversed = RangesLastToFirst(1);
  for (const ParallelFor* parallel : {&pool, &reversed}) {
    for (int run = 0; run < 2; ++run) {
      Coefficients two;
      bool met = false;
      ASSERT_EQ(OurCoefficients(jpeg, parallel, &two, &met), Ours::kDecoded);
      EXPECT_TRUE(two == expected) << "two threads: not libjpeg-turbo's coefficients";
      *met_count += met;
    }
  }
}

TEST(BaselineScanDecoder, GivesLibjpegTurbosCoefficientsOnOneThreadAndTwo) {
  const ParallelFor pool = TwoThreads();
  ASSERT_TRUE(pool.run) << "no second thread";
  // Three threads: the whole decoder runs the second half as a third role.
  const ParallelFor three = ParallelOn(std::make_shared<const ThreadPool>(3));
  const ParallelFor reversed = RangesLastToFirst(1);
  int met = 0, large = 0;
  for (const Coding& c : Codings()) {
    SCOPED_TRACE(c.name);
    const std::vector<uint8_t> jpeg = Encode(c);
    int met_here = 0;
    ExpectLibjpegsCoefficients(jpeg, pool, &met_here);
    if (std::string(c.name).find("quality 100") != std::string::npos) {
      // turbo_jpeg_decoder.cc's balance: entropy ~5 ns a byte against ~2.5 ns a pixel.
      EXPECT_GT(5.0 * static_cast<double>(jpeg.size()), 2.5 * c.width * c.height) << "too sparse to split";
    }
    const bool is_large = std::string(c.name).rfind("large", 0) == 0 && c.restart_interval == 0;
    if (is_large) {
      ++large;
      EXPECT_EQ(met_here, 4) << "the halves never met";
    }
    met += met_here;
    // And the whole decoder's pixels are still stb's, on one thread, two,
    // three, and with the roles' ranges last to first on one.
    ImageLimits any_size;
    any_size.min_side = 1;
    auto stb = DecodeImage(jpeg, "image/jpeg", any_size);
    ASSERT_TRUE(stb.ok()) << stb.status().ToString();
    for (const ParallelFor* parallel : {static_cast<const ParallelFor*>(nullptr), &pool, &three, &reversed}) {
      auto got = DecodeJpegAtLeast(jpeg, c.width, c.height, c.width, c.height, parallel ? *parallel : ParallelFor{});
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_TRUE(got->pixels == stb->pixels) << "not stb's pixels";
    }
  }
  EXPECT_GT(large, 0);
  EXPECT_GE(met, large * 4);
}

TEST(BaselineScanDecoder, LeavesOtherCodingsToLibjpegTurbo) {
  RgbImage grey_plane;
  grey_plane.width = 131, grey_plane.height = 77;
  grey_plane.pixels.assign(131 * 77 * 3, 128);
  testing::LibjpegCoding progressive;
  progressive.progressive = true;
  const std::vector<uint8_t> jpeg = testing::EncodeWithLibjpeg(grey_plane, progressive);
  Coefficients ours;
  EXPECT_EQ(OurCoefficients(jpeg, nullptr, &ours), Ours::kNotTaken);
}

TEST(BaselineScanDecoder, GivesLibjpegTurbosCoefficientsOnTheCookies) {
  REQUIRE_SHARED_DATA();
  const ParallelFor pool = TwoThreads();
  ASSERT_TRUE(pool.run) << "no second thread";
  const std::filesystem::path dir = testing::SharedPath("data/lookout-cookies/test-images");
  int files = 0, met = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".jpg") continue;
    if (++files > 6) break;
    SCOPED_TRACE(entry.path().string());
    const std::vector<uint8_t> jpeg = testing::ReadFileOrDie(entry.path().string());
    ExpectLibjpegsCoefficients(jpeg, pool, &met);
    // The whole decoder (which splits the cookies' scans at 2 threads):
    // stb's pixels on one thread, two, and the roles last to first.
    auto stb = DecodeImage(jpeg, "image/jpeg");
    ASSERT_TRUE(stb.ok()) << stb.status().ToString();
    const ParallelFor reversed = RangesLastToFirst(1);
    for (const ParallelFor* parallel : {static_cast<const ParallelFor*>(nullptr), &pool, &reversed}) {
      auto got = DecodeJpegAtLeast(jpeg, stb->width, stb->height, stb->width, stb->height,
                                   parallel ? *parallel : ParallelFor{});
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_TRUE(got->pixels == stb->pixels) << "not stb's pixels";
    }
  }
  EXPECT_GT(files, 0);
  EXPECT_GT(met, 0) << "the halves never met on the cookies";
}

// Damaged files: whatever BaselineScanDecoder decodes in full, libjpeg-turbo
// reads without a warning and to the same coefficients; the rest it gives
// up on (or leaves alone), on one thread and two alike. The whole decoder
// answers the same on one thread and two.
TEST(BaselineScanDecoder, DamagedFilesAreLibjpegTurbosToJudge) {
  const ParallelFor pool = TwoThreads();
  ASSERT_TRUE(pool.run) << "no second thread";
  for (const Coding& c : {Codings()[5], Codings()[9], Codings()[16], Codings()[22]}) {
    SCOPED_TRACE(c.name);
    const std::vector<uint8_t> seed = Encode(c);
    std::mt19937 random(20);
    int gave_up = 0, decoded = 0;
    for (int i = 0; i < 150; ++i) {
      std::vector<uint8_t> bytes = seed;
      for (int k = 1 + static_cast<int>(random() % 4); k > 0; --k) {
        // Mostly in the entropy data, past the headers.
        const size_t at = bytes.size() / 4 + random() % (bytes.size() - bytes.size() / 4);
        bytes[at] = random() % 4 == 0 ? 0xFF : static_cast<uint8_t>(random());
      }
      if (random() % 3 == 0) bytes.resize(bytes.size() / 2 + random() % (bytes.size() / 2));
      Coefficients theirs, serial, two;
      const bool libjpeg = LibjpegCoefficients(bytes, &theirs);
      const Ours one = OurCoefficients(bytes, nullptr, &serial);
      const Ours both = OurCoefficients(bytes, &pool, &two);
      ASSERT_EQ(one, both) << "variant " << i;
      if (one == Ours::kDecoded) {
        ++decoded;
        ASSERT_TRUE(libjpeg) << "variant " << i << ": decoded a file libjpeg-turbo refuses or warns about";
        EXPECT_TRUE(serial == theirs) << "variant " << i;
        EXPECT_TRUE(two == theirs) << "variant " << i;
      } else if (one == Ours::kGaveUp) {
        ++gave_up;
      }
      auto a = DecodeJpegAtLeast(bytes, c.width, c.height, c.width, c.height);
      auto b = DecodeJpegAtLeast(bytes, c.width, c.height, c.width, c.height, pool);
      ASSERT_EQ(a.ok(), b.ok()) << "variant " << i;
      if (a.ok()) EXPECT_TRUE(a->pixels == b->pixels) << "variant " << i;
    }
    EXPECT_GT(gave_up, 0);
    EXPECT_GT(decoded, 0);
  }
}

}  // namespace
}  // namespace anomalens
