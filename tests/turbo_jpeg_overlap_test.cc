// The native JPEG decoder's overlap (native/engine/turbo_jpeg_decoder.h): on
// a pool of 2 threads, one reads the coefficients while the other
// reconstructs the rows already read. Held: the same pixels as on one
// thread and as stb_image, on every coding the decoder takes (4:4:4, 4:2:2,
// 4:2:0, 4:4:0, grey; baseline with and without restart markers, one scan
// per component, progressive; odd and one-iMCU-row sizes), with the roles'
// ranges in either order; damaged files get the same answer as on one
// thread; the resize fed the rows as they are made gives ResizeImage's
// bytes. Also run under ThreadSanitizer (tools/test-sanitizers tsan).
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/image/image_decode.h"
#include "core/image/image_resize.h"
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
  int luma_h = 1, luma_v = 1;  // the luma's samples a chroma sample, across and down
  bool grey = false;
  bool progressive = false;
  bool scan_per_component = false;  // sequential, not interleaved
  int restart_interval = 0;         // MCUs
  int restart_in_rows = 0;          // MCU rows
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
      {"4:2:0, restart every 3 MCUs", 257, 193, 2, 2, false, false, false, 3},
      {"4:4:4, restart every MCU row", 131, 77, 1, 1, false, false, false, 0, 1},
      {"4:2:0, a scan per component", 257, 193, 2, 2, false, false, true},
      {"progressive 4:2:0", 257, 193, 2, 2, false, true},
      {"progressive grey", 131, 77, 1, 1, true, true},
      {"4:2:0, one iMCU row", 37, 9, 2, 2},
      {"4:4:4, one block", 8, 8},
  };
  return codings;
}

// A golden anomalous PNG at the coding's size.
RgbImage Fixture(int width, int height) {
  auto image = DecodeImage(testing::ReadFileOrDie(std::string(ANOMALENS_GOLDEN_DIR) +
                                                  "/parity/test-images/anomaly-8.png"),
                           "image/png");
  EXPECT_TRUE(image.ok()) << image.status().ToString();
  return image.ok() ? ResizeImage(*image, width, height) : RgbImage{};
}

// libjpeg's encoder (libjpeg_encode.h): restart markers, a scan per component.
std::vector<uint8_t> Encode(const Coding& c) {
  const RgbImage image = Fixture(c.width, c.height);
  testing::LibjpegCoding coding;
  coding.luma_h = c.luma_h, coding.luma_v = c.luma_v;
  coding.grey = c.grey;
  coding.progressive = c.progressive;
  coding.scan_per_component = c.scan_per_component;
  coding.restart_interval = c.restart_interval, coding.restart_in_rows = c.restart_in_rows;
  return testing::EncodeWithLibjpeg(image, coding);
}

ParallelFor TwoThreads() { return ParallelOn(std::make_shared<const ThreadPool>(2)); }

TEST(TurboJpegOverlap, GivesTheSamePixelsOnTwoThreadsAsOnOne) {
  const ParallelFor pool = TwoThreads();
  ASSERT_TRUE(pool.run) << "no second thread";
  const ParallelFor reversed = RangesLastToFirst(1);  // the reconstructing role's range first
  for (const Coding& c : Codings()) {
    SCOPED_TRACE(c.name);
    const std::vector<uint8_t> jpeg = Encode(c);
    ImageLimits any_size;
    any_size.min_side = 1;  // Lookout's 64 px minimum is the core's check, before the decoder
    auto stb = DecodeImage(jpeg, "image/jpeg", any_size);
    ASSERT_TRUE(stb.ok()) << stb.status().ToString();
    for (int run = 0; run < 3; ++run) {  // the threads meet at different rows each time
      for (const ParallelFor* parallel : {&pool, &reversed}) {
        auto got = DecodeJpegAtLeast(jpeg, c.width, c.height, c.width, c.height, *parallel);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        EXPECT_TRUE(got->pixels == stb->pixels) << "not stb's pixels";
      }
    }
    auto one = DecodeJpegAtLeast(jpeg, c.width, c.height, c.width, c.height);
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    EXPECT_TRUE(one->pixels == stb->pixels);
  }
}

// The resize fed with each reconstructed row (on the reconstructing thread
// at 2 threads): ResizeImage's bytes on stb's pixels for every coding, down
// and up, with and without the full pixels kept.
TEST(TurboJpegOverlap, ResizesTheRowsAsTheyAreMade) {
  const ParallelFor pool = TwoThreads();
  ASSERT_TRUE(pool.run) << "no second thread";
  const ParallelFor reversed = RangesLastToFirst(1);
  for (const Coding& c : Codings()) {
    SCOPED_TRACE(c.name);
    const std::vector<uint8_t> jpeg = Encode(c);
    ImageLimits any_size;
    any_size.min_side = 1;
    auto stb = DecodeImage(jpeg, "image/jpeg", any_size);
    ASSERT_TRUE(stb.ok()) << stb.status().ToString();
    const int sizes[][2] = {{(c.width * 7 + 17) / 18, (c.height * 7 + 17) / 18}, {c.width + 5, c.height * 2}};
    for (const auto& size : sizes) {
      const RgbImage expected = ResizeImage(*stb, size[0], size[1]);
      for (const ParallelFor* parallel : {&pool, &reversed, static_cast<const ParallelFor*>(nullptr)}) {
        for (const bool pixels_too : {true, false}) {
          RowByRowResize rows(c.width, c.height, size[0], size[1]);
          auto got = parallel ? DecodeJpegAtLeast(jpeg, c.width, c.height, c.width, c.height, *parallel, &rows,
                                                  pixels_too)
                              : DecodeJpegAtLeast(jpeg, c.width, c.height, c.width, c.height, {}, &rows, pixels_too);
          ASSERT_TRUE(got.ok()) << got.status().ToString();
          EXPECT_EQ(got->width, c.width);
          EXPECT_EQ(got->height, c.height);
          if (pixels_too) {
            EXPECT_TRUE(got->pixels == stb->pixels) << "not stb's pixels";
          } else {
            EXPECT_TRUE(got->pixels.empty());
          }
          ASSERT_TRUE(rows.complete());
          EXPECT_TRUE(rows.Take().pixels == expected.pixels)
              << "not ResizeImage's bytes at " << size[0] << "x" << size[1];
        }
      }
    }
  }
}

// Damaged files stop the reading role part way: the reconstructing role
// must stop with it, and the answer is the one thread's.
TEST(TurboJpegOverlap, DamagedFilesGetTheOneThreadAnswer) {
  const ParallelFor pool = TwoThreads();
  ASSERT_TRUE(pool.run) << "no second thread";
  for (const Coding& c : {Codings()[5], Codings()[9]}) {
    SCOPED_TRACE(c.name);
    const std::vector<uint8_t> seed = Encode(c);
    std::mt19937 random(20);
    int refused = 0;
    for (int i = 0; i < 150; ++i) {
      std::vector<uint8_t> bytes = seed;
      for (int k = 1 + static_cast<int>(random() % 4); k > 0; --k) {
        bytes[random() % bytes.size()] = random() % 4 == 0 ? 0xFF : static_cast<uint8_t>(random());
      }
      if (random() % 3 == 0) bytes.resize(1 + random() % bytes.size());
      auto one = DecodeJpegAtLeast(bytes, c.width, c.height, c.width, c.height);
      auto two = DecodeJpegAtLeast(bytes, c.width, c.height, c.width, c.height, pool);
      ASSERT_EQ(two.ok(), one.ok()) << "variant " << i;
      if (one.ok()) {
        EXPECT_TRUE(two->pixels == one->pixels) << "variant " << i;
      } else {
        EXPECT_EQ(two.status().code(), one.status().code()) << "variant " << i;
        EXPECT_EQ(two.status().message(), one.status().message()) << "variant " << i;
        ++refused;
      }
    }
    EXPECT_GT(refused, 0);
  }
}

}  // namespace
}  // namespace anomalens
