// The native default's JPEG decoder (native/engine/turbo_jpeg_decoder.h:
// libjpeg-turbo's entropy decoding, stb's reconstruction) against stb_image,
// the portable decoder, on JPEGs of every chroma subsampling (4:4:4, 4:2:2,
// 4:2:0, 4:4:0, grey; 4:1:1, which it hands back to stb), progressive, and
// odd sizes, encoded here with libjpeg-turbo's encoder from a golden test
// image.
//
// Held: stb's pixels byte for byte; the native default within its tolerances
// of the portable engine on these JPEGs (same IsAnomalous, |dConfidence| <=
// 1e-3, mask IoU >= 0.99); the core's checks before the decoder (same
// messages); damaged files accepted or refused as stb does, with its errors.
// Measured and printed: libjpeg-turbo's own pixels (its IDCT, upsampling and
// colour conversion, at full size and at a DCT scale of 1/2), held to miss
// the mask tolerance, which is why the decoder does not use them.
#include <turbojpeg.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/image/image_decode.h"
#include "core/image/image_resize.h"
#include "core/model/detector.h"
#include "core/model/model_file.h"
#include "native/engine/backend.h"
#include "native/engine/turbo_jpeg_decoder.h"
#include "native/jobs/model_loader.h"
#include "test_support.h"

namespace anomalens {
namespace {

struct JpegCase {
  const char* name;
  int subsampling;  // TJSAMP_*
  bool progressive;
  int width, height;
  // When set, the fixture is first shrunk to this size and enlarged back:
  // a small image upscaled, whose blocks are smooth.
  int small_width = 0, small_height = 0;
};

const std::vector<JpegCase>& Cases() {
  static const std::vector<JpegCase> cases = {
      {"4:4:4", TJSAMP_444, false, 512, 384},
      {"4:2:2", TJSAMP_422, false, 512, 384},
      {"4:2:0", TJSAMP_420, false, 512, 384},
      {"4:4:0", TJSAMP_440, false, 512, 384},
      {"grey", TJSAMP_GRAY, false, 512, 384},
      {"progressive 4:2:0", TJSAMP_420, true, 512, 384},
      {"progressive 4:4:4", TJSAMP_444, true, 512, 384},
      {"progressive 4:4:0", TJSAMP_440, true, 512, 384},
      {"odd 4:2:0", TJSAMP_420, false, 577, 771},
      {"odd 4:2:2", TJSAMP_422, false, 509, 383},
      {"odd 4:4:0", TJSAMP_440, false, 577, 771},
      {"odd progressive grey", TJSAMP_GRAY, true, 511, 387},
      {"odd progressive 4:2:0", TJSAMP_420, true, 577, 771},
      {"31x45 upscaled 4:2:0", TJSAMP_420, false, 67, 97, 31, 45},
      {"31x45 upscaled progressive 4:2:2", TJSAMP_422, true, 65, 99, 31, 45},
  };
  return cases;
}

// A golden anomalous PNG, resized to the case's size.
RgbImage Fixture(const JpegCase& c) {
  const std::string path = std::string(ANOMALENS_GOLDEN_DIR) + "/parity/test-images/anomaly-8.png";
  auto image = DecodeImage(testing::ReadFileOrDie(path), "image/png");
  EXPECT_TRUE(image.ok()) << image.status().ToString();
  if (!image.ok()) return RgbImage{};
  if (c.small_width > 0) return ResizeImage(ResizeImage(*image, c.small_width, c.small_height), c.width, c.height);
  return ResizeImage(*image, c.width, c.height);
}

std::vector<uint8_t> EncodeJpeg(const RgbImage& image, const JpegCase& c) {
  std::unique_ptr<void, int (*)(void*)> handle(tjInitCompress(), tjDestroy);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  int flags = TJFLAG_ACCURATEDCT;
  if (c.progressive) flags |= TJFLAG_PROGRESSIVE;
  const int rc = tjCompress2(handle.get(), image.pixels.data(), image.width, 0, image.height, TJPF_RGB, &out, &size,
                             c.subsampling, 90, flags);
  EXPECT_EQ(rc, 0) << tjGetErrorStr2(handle.get());
  std::vector<uint8_t> bytes(out, out + (rc == 0 ? size : 0));
  tjFree(out);
  return bytes;
}

std::vector<uint8_t> EncodeJpeg(const JpegCase& c) { return EncodeJpeg(Fixture(c), c); }

// libjpeg-turbo's own decode (IDCT, upsampling, colour) at 1/denominator.
RgbImage TurboJpegPixels(const std::vector<uint8_t>& jpeg, int width, int height, int denominator) {
  std::unique_ptr<void, int (*)(void*)> handle(tjInitDecompress(), tjDestroy);
  const tjscalingfactor f = {1, denominator};
  RgbImage image;
  image.width = TJSCALED(width, f);
  image.height = TJSCALED(height, f);
  image.pixels.resize(static_cast<size_t>(image.width) * image.height * 3);
  const int rc = tjDecompress2(handle.get(), jpeg.data(), jpeg.size(), image.pixels.data(), image.width, 0,
                               image.height, TJPF_RGB, 0);
  EXPECT_EQ(rc, 0) << tjGetErrorStr2(handle.get());
  return image;
}

// IoU of the defect (non-white) pixels of two AnomalyMask PNGs, a pixel
// counting as shared only when both give it the same colour.
double MaskIou(const std::vector<uint8_t>& a_png, const std::vector<uint8_t>& b_png) {
  auto a = DecodeImage(a_png, "image/png");
  auto b = DecodeImage(b_png, "image/png");
  EXPECT_TRUE(a.ok() && b.ok());
  if (!a.ok() || !b.ok() || a->width != b->width || a->height != b->height) return 0;
  size_t both = 0, either = 0;
  for (size_t p = 0; p < a->pixels.size(); p += 3) {
    const uint8_t* x = &a->pixels[p];
    const uint8_t* y = &b->pixels[p];
    const bool dx = (x[0] & x[1] & x[2]) != 255, dy = (y[0] & y[1] & y[2]) != 255;
    either += dx || dy;
    both += dx && dy && std::equal(x, x + 3, y);
  }
  return either == 0 ? 1.0 : double(both) / either;
}

Backend NativeDefault() {
  BackendOptions options;  // xnnpack, its default decoder
  options.threads = 1;
  auto backend = LoadBackend(ANOMALENS_BACKBONE_FILE, options);
  EXPECT_TRUE(backend.ok()) << backend.status().ToString();
  return backend.ok() ? *backend : Backend{};
}

TEST(TurboJpegDecoder, IsTheNativeDefaultAndStbStaysSelectable) {
  EXPECT_TRUE(NativeDefault().jpeg.decode);
  BackendOptions options;
  options.threads = 1;
  options.jpeg_decoder = "stb";
  auto stb = LoadBackend(ANOMALENS_BACKBONE_FILE, options);
  ASSERT_TRUE(stb.ok()) << stb.status().ToString();
  EXPECT_FALSE(stb->jpeg.decode);
  options.jpeg_decoder = "";
  options.backend = "portable";
  auto portable = LoadBackend(ANOMALENS_BACKBONE_FILE, options);
  ASSERT_TRUE(portable.ok()) << portable.status().ToString();
  EXPECT_FALSE(portable->jpeg.decode) << "the portable engine decodes with stb, as wasm does";
  options.jpeg_decoder = "libjpeg-turbo";
  auto refused = LoadBackend(ANOMALENS_BACKBONE_FILE, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("portable engine decodes with stb"), std::string::npos);
  options.backend = "xnnpack";
  options.jpeg_decoder = "libpng";
  auto unknown = LoadBackend(ANOMALENS_BACKBONE_FILE, options);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "the JPEG decoder must be stb or libjpeg-turbo, got 'libpng'");
}

TEST(TurboJpegDecoder, GivesStbsPixelsOnEveryCoding) {
  const JpegDecoder decoder = TurboJpegDecoder();
  for (const JpegCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    const std::vector<uint8_t> jpeg = EncodeJpeg(c);
    auto want = DecodeImage(jpeg, "image/jpeg");
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    // Asked for a quarter of each side, it still decodes at full size.
    auto got = DecodeJpegAtLeast(jpeg, c.width, c.height, (c.width + 3) / 4, (c.height + 3) / 4);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->width, c.width);
    EXPECT_EQ(got->height, c.height);
    EXPECT_TRUE(got->pixels == want->pixels) << "not stb's pixels";
    auto through_core = DecodeImageAtLeast(jpeg, "image/jpeg", 0.25, decoder);
    ASSERT_TRUE(through_core.ok()) << through_core.status().ToString();
    EXPECT_TRUE(through_core->pixels.pixels == want->pixels);
  }
  // 4:1:1 (luma at 4 samples a chroma sample across) is not reproduced: the
  // hook says so and the core decodes it with stb.
  const JpegCase c411{"4:1:1", TJSAMP_411, false, 512, 384};
  const std::vector<uint8_t> jpeg = EncodeJpeg(c411);
  auto refused = DecodeJpegAtLeast(jpeg, c411.width, c411.height, c411.width, c411.height);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnsupported);
  auto want = DecodeImage(jpeg, "image/jpeg");
  auto got = DecodeImageAtLeast(jpeg, "image/jpeg", 1, decoder);
  ASSERT_TRUE(want.ok() && got.ok());
  EXPECT_TRUE(got->pixels.pixels == want->pixels);
}

TEST(TurboJpegDecoder, KeepsTheCoreChecksAndRejectsCorruptFilesByName) {
  const JpegCase c{"4:2:0", TJSAMP_420, false, 96, 64};
  const std::vector<uint8_t> jpeg = EncodeJpeg(c);
  const JpegDecoder decoder = TurboJpegDecoder();
  // The core's checks still come first, with their messages.
  auto mislabelled = DecodeImageAtLeast(jpeg, "image/png", 0.5, decoder);
  ASSERT_FALSE(mislabelled.ok());
  EXPECT_EQ(mislabelled.status().message(), "content type is image/png but the bytes are a JPEG image");
  ImageLimits small;
  small.max_side = 80;
  auto too_big = DecodeImageAtLeast(jpeg, "image/jpeg", 0.5, decoder, small);
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.status().message().find("96x64 px; each side must be 64 to 80 px"), std::string::npos)
      << too_big.status().message();
  // A file cut short in its scan: libjpeg-turbo warns, hands it to stb, and
  // stb answers as on the portable engine.
  for (const bool progressive : {false, true}) {
    JpegCase cut_case = c;
    cut_case.progressive = progressive;
    const std::vector<uint8_t> whole = EncodeJpeg(cut_case);
    std::vector<uint8_t> truncated(whole.begin(), whole.begin() + whole.size() * 2 / 3);
    auto hook = DecodeJpegAtLeast(truncated, c.width, c.height, c.width, c.height);
    ASSERT_FALSE(hook.ok());
    EXPECT_EQ(hook.status().code(), StatusCode::kUnsupported) << hook.status().message();
    auto want = DecodeImage(truncated, "image/jpeg");
    auto got = DecodeImageAtLeast(truncated, "image/jpeg", 0.5, decoder);
    ASSERT_EQ(got.ok(), want.ok());
    if (want.ok()) {
      EXPECT_TRUE(got->pixels.pixels == want->pixels);
    } else {
      EXPECT_EQ(got.status().message(), want.status().message());
    }
  }
  // A frame header that disagrees with the size the core checked.
  auto disagree = DecodeJpegAtLeast(jpeg, 97, 64, 97, 64);
  ASSERT_FALSE(disagree.ok());
  EXPECT_EQ(disagree.status().message(),
            "libjpeg-turbo: its frame headers disagree on its size (97x64 and 96x64 px)");
}

// Damaged files: the native default accepts exactly what stb accepts, and
// refuses the rest with stb's error. (Where both accept damaged entropy
// data they may resynchronise differently, so pixels are not compared.)
TEST(TurboJpegDecoder, DamagedFilesGetStbsAnswer) {
  const JpegCase c{"4:2:0", TJSAMP_420, false, 96, 80};
  const std::vector<uint8_t> seed = EncodeJpeg(c);
  const JpegDecoder decoder = TurboJpegDecoder();
  std::mt19937 random(20);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 400; ++i) {
    std::vector<uint8_t> bytes = seed;
    for (int k = 1 + static_cast<int>(random() % 4); k > 0; --k) {
      bytes[random() % bytes.size()] = random() % 4 == 0 ? 0xFF : static_cast<uint8_t>(random());
    }
    if (random() % 5 == 0) bytes.resize(1 + random() % bytes.size());
    auto want = DecodeImage(bytes, "image/jpeg");
    auto got = DecodeImageAtLeast(bytes, "image/jpeg", 1, decoder);
    ASSERT_EQ(got.ok(), want.ok()) << "variant " << i << ": "
                                   << (want.ok() ? got.status() : want.status()).message();
    if (!want.ok()) EXPECT_EQ(got.status().message(), want.status().message()) << "variant " << i;
    (want.ok() ? accepted : refused)++;
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(refused, 0);
}

// Each golden model, at its own scale and told to analyse 0.3 of each side
// (the cookies' fraction, where a DCT scale of 1/2 would fit), on each JPEG.
// `native` runs the XNNPACK engine on the given pixels of the JPEG; the
// reference is the portable engine (portable kernels and index, stb).
struct Agreement {
  int flips = 0, masks = 0;
  double worst_confidence = 0, worst_iou = 1;
};

template <typename NativePixels>
Agreement MeasureAgreement(NativePixels native_pixels, const std::vector<JpegCase>& cases = Cases(),
                           const std::vector<double>& scales = {0.0, 0.3},
                           const std::vector<const char*>& models = {"segmentation", "classification"}) {
  const Backend xnn = NativeDefault();
  const std::string parity = std::string(ANOMALENS_GOLDEN_DIR) + "/parity/";
  Agreement a;
  for (const double scale : scales) {
    for (const char* name : models) {
      auto parsed = ParseModelFile(testing::ReadFileOrDie(parity + name + ".anlm"));
      EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
      if (!parsed.ok()) return a;
      Model model = *parsed;
      if (scale > 0) model.scale = scale;
      auto reference = Detector::FromModel(model, testing::SharedBackbone());
      auto native = Detector::FromModel(model, xnn.backbone, xnn.parallel, xnn.search, xnn.jpeg);
      EXPECT_TRUE(reference.ok() && native.ok());
      if (!reference.ok() || !native.ok()) return a;
      for (const JpegCase& c : cases) {
        SCOPED_TRACE(std::string(name) + " at scale " + std::to_string(model.scale) + ", " + c.name);
        const std::vector<uint8_t> jpeg = EncodeJpeg(c);
        auto want = (*reference)->Detect(jpeg, "image/jpeg");
        StatusOr<DecodedImage> pixels = native_pixels(**native, jpeg, c);
        EXPECT_TRUE(want.ok() && pixels.ok());
        if (!want.ok() || !pixels.ok()) continue;
        auto got = (*native)->Analyze(*pixels, /*full_map=*/false);
        EXPECT_TRUE(got.ok()) << got.status().ToString();
        if (!got.ok()) continue;
        a.worst_confidence = std::max(a.worst_confidence, std::fabs(got->result.confidence - want->confidence));
        a.flips += got->result.is_anomalous != want->is_anomalous;
        EXPECT_EQ(got->result.has_segmentation(), want->has_segmentation());
        if (want->has_segmentation() && (want->is_anomalous || got->result.is_anomalous)) {
          a.worst_iou = std::min(a.worst_iou, MaskIou(want->anomaly_mask_png, got->result.anomaly_mask_png));
          ++a.masks;
        }
      }
    }
  }
  return a;
}

TEST(TurboJpegDecoder, NativeDefaultAgreesWithPortable) {
  const Agreement a = MeasureAgreement([](const Detector& native, const std::vector<uint8_t>& jpeg, const JpegCase&) {
    return native.Decode(jpeg, "image/jpeg");  // the native default's decoder, as DetectAnomalies runs it
  });
  std::printf("  native default vs portable, %zu JPEGs x 2 models x 2 scales: IsAnomalous differs %d times, "
              "largest |dConfidence| %.2e, smallest mask IoU %.5f (%d masks)\n",
              Cases().size(), a.flips, a.worst_confidence, a.worst_iou, a.masks);
  EXPECT_EQ(a.flips, 0);
  EXPECT_LE(a.worst_confidence, 1e-3);
  EXPECT_GE(a.worst_iou, 0.99);
  EXPECT_GT(a.masks, 0) << "the cases should exercise anomalous images and their masks";
}

// The same on two of the JPEGs, one model and one scale: the decode that
// resizes the rows as they come (Detector::DecodeAt's request, the core's
// RowByRowResize) in a second or two, for the sanitizers' run, which leaves
// out the test above (70 s under ASan).
TEST(TurboJpegDecoder, NativeDefaultResizesAsItDecodesAndAgreesWithPortable) {
  const std::vector<JpegCase> cases = {Cases()[2], Cases()[12]};  // 4:2:0, odd progressive 4:2:0
  int resized = 0;
  const Agreement a = MeasureAgreement(
      [&resized](const Detector& native, const std::vector<uint8_t>& jpeg, const JpegCase& c) {
        StatusOr<DecodedImage> decoded = native.Decode(jpeg, "image/jpeg");
        if (decoded.ok()) {
          EXPECT_EQ(decoded->width, c.width);
          resized += !decoded->resized.pixels.empty();
        }
        return decoded;
      },
      cases, {0.3}, {"segmentation"});
  EXPECT_EQ(resized, 2) << "the decoder should hand over the working image it resized as it decoded";
  EXPECT_EQ(a.flips, 0);
  EXPECT_LE(a.worst_confidence, 1e-3);
  EXPECT_GE(a.worst_iou, 0.99);
  EXPECT_GT(a.masks, 0);
}

// Why the decoder keeps stb's reconstruction: libjpeg-turbo's own pixels.
TEST(TurboJpegDecoder, MeasuresLibjpegTurbosOwnPixels) {
  for (const int denominator : {1, 2}) {
    const Agreement a = MeasureAgreement([denominator](const Detector& native, const std::vector<uint8_t>& jpeg,
                                                       const JpegCase& c) -> StatusOr<DecodedImage> {
      // The DCT scale only where it still covers the model's working size.
      const double fraction = native.DecodeFraction();
      const int d = std::ceil(c.width * fraction) * denominator <= c.width &&
                            std::ceil(c.height * fraction) * denominator <= c.height
                        ? denominator
                        : 1;
      return DecodedImage{TurboJpegPixels(jpeg, c.width, c.height, d), c.width, c.height};
    });
    std::printf("  libjpeg-turbo's own decode, DCT scale 1/%d where it fits, vs portable: IsAnomalous differs %d "
                "times, largest |dConfidence| %.2e, smallest mask IoU %.5f (%d masks)\n",
                denominator, a.flips, a.worst_confidence, a.worst_iou, a.masks);
    // The reason the decoder rebuilds stb's pixels. Should libjpeg-turbo's
    // own ever hold the bound, the decoder could use them (and its DCT
    // scales, if those do too): revisit turbo_jpeg_decoder.cc.
    EXPECT_LT(a.worst_iou, 0.99) << "libjpeg-turbo's own pixels now hold the mask tolerance at 1/" << denominator;
  }
}

}  // namespace
}  // namespace anomalens
