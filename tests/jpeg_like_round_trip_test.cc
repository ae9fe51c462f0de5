// JpegLikeRoundTrip (core/image/jpeg_like_round_trip.h): deterministic,
// nearly the identity at quality 100, and close to what libjpeg-turbo's own
// encoder and decoder do to the same pixels at the qualities the self-check
// uses (it stands in for them in the core, which has no encoder). And what
// it is for: a model with the position-free dark-spot channel, trained on
// PNGs, keeps real JPEG re-encodes of normal images normal.
#include "core/image/jpeg_like_round_trip.h"

#include <turbojpeg.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/image/image_decode.h"
#include "core/model/detector.h"
#include "core/model/trainer.h"
#include "core/synthetic/scene.h"
#include "test_support.h"

namespace anomalens {
namespace {

RgbImage GoldenImage(const std::string& name) {
  const std::string path = std::string(ANOMALENS_GOLDEN_DIR) + "/parity/test-images/" + name;
  auto image = DecodeImage(testing::ReadFileOrDie(path), "image/png");
  EXPECT_TRUE(image.ok()) << image.status().ToString();
  return image.ok() ? *image : RgbImage{};
}

std::vector<uint8_t> TurboJpeg(const RgbImage& image, int quality) {
  std::unique_ptr<void, int (*)(void*)> enc(tjInitCompress(), tjDestroy);
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  EXPECT_EQ(tjCompress2(enc.get(), image.pixels.data(), image.width, 0, image.height, TJPF_RGB, &jpeg, &size,
                        TJSAMP_420, quality, 0),
            0);
  std::vector<uint8_t> bytes(jpeg, jpeg + size);
  tjFree(jpeg);
  return bytes;
}

// libjpeg-turbo's encode (4:2:0, accurate DCT) and decode (fancy upsampling).
RgbImage TurboRoundTrip(const RgbImage& image, int quality) {
  std::unique_ptr<void, int (*)(void*)> enc(tjInitCompress(), tjDestroy);
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  EXPECT_EQ(tjCompress2(enc.get(), image.pixels.data(), image.width, 0, image.height, TJPF_RGB, &jpeg, &size,
                        TJSAMP_420, quality, TJFLAG_ACCURATEDCT),
            0);
  std::unique_ptr<void, int (*)(void*)> dec(tjInitDecompress(), tjDestroy);
  RgbImage out{image.width, image.height, std::vector<uint8_t>(image.pixels.size())};
  EXPECT_EQ(tjDecompress2(dec.get(), jpeg, size, out.pixels.data(), image.width, 0, image.height, TJPF_RGB,
                          TJFLAG_ACCURATEDCT),
            0);
  tjFree(jpeg);
  return out;
}

double MeanAbsoluteDifference(const RgbImage& a, const RgbImage& b) {
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(static_cast<int>(a.pixels[i]) - b.pixels[i]);
  return sum / a.pixels.size();
}

TEST(JpegLikeRoundTrip, IsDeterministicAndKeepsTheSize) {
  const RgbImage image = GoldenImage("anomaly-8.png");
  const RgbImage a = JpegLikeRoundTrip(image, 85), b = JpegLikeRoundTrip(image, 85);
  EXPECT_EQ(a.width, image.width);
  EXPECT_EQ(a.height, image.height);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_NE(a.pixels, image.pixels);
}

TEST(JpegLikeRoundTrip, NearlyTheIdentityAtQuality100) {
  const RgbImage image = GoldenImage("anomaly-8.png");
  const double at100 = MeanAbsoluteDifference(JpegLikeRoundTrip(image, 100), image);
  const double at75 = MeanAbsoluteDifference(JpegLikeRoundTrip(image, 75), image);
  EXPECT_LT(at100, 1.5);  // rounding and the chroma's 2x2 mean only
  EXPECT_GT(at75, at100);
  // A flat colour stays flat: only its blocks' DC terms are quantized (at
  // quality 50 in steps of 2 grey levels of luma, about as much of chroma).
  RgbImage flat{37, 21, std::vector<uint8_t>(37 * 21 * 3)};
  for (size_t i = 0; i < flat.pixels.size(); i += 3) flat.pixels[i] = 120, flat.pixels[i + 1] = 80, flat.pixels[i + 2] = 40;
  const RgbImage flat50 = JpegLikeRoundTrip(flat, 50);
  EXPECT_LE(MeanAbsoluteDifference(flat50, flat), 3.0);
  for (size_t i = 3; i < flat50.pixels.size(); ++i) ASSERT_EQ(flat50.pixels[i], flat50.pixels[i % 3]) << i;
  EXPECT_LE(MeanAbsoluteDifference(JpegLikeRoundTrip(flat, 100), flat), 1.0);
}

TEST(JpegLikeRoundTrip, ChangesPixelsAsLibjpegTurboDoes) {
  for (const char* name : {"anomaly-8.png", "normal-11.png"}) {
    const RgbImage image = GoldenImage(name);
    for (int quality : {75, 90}) {
      const RgbImage ours = JpegLikeRoundTrip(image, quality), turbo = TurboRoundTrip(image, quality);
      const double change = MeanAbsoluteDifference(turbo, image);
      const double apart = MeanAbsoluteDifference(ours, turbo);
      // Far closer to the real codec's output than the change it makes.
      EXPECT_LT(apart, 0.35 * change) << name << " q" << quality << ": ours vs turbo " << apart << ", turbo vs original "
                                      << change;
      EXPECT_NEAR(MeanAbsoluteDifference(ours, image), change, 0.25 * change) << name << " q" << quality;
    }
  }
}

// Issue 16: the channel's colour-spot features, normalized by their spread
// over a near-grey scene's normal cells (under one grey level), read JPEG's
// chroma quantization as spots: every re-encoded normal test image of the
// granular scene was flagged at confidence 0.99999. The compression floor
// (dark_spot_channel.h) keeps them as normal as their PNGs.
TEST(JpegLikeRoundTrip, AChannelModelKeepsReEncodedNormalsNormal) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  const Scene* scene = FindScene("granular");
  ASSERT_NE(scene, nullptr);
  ModelConfig config;
  config.normal_model = NormalModelKind::kSharedBank;
  config.shared_dark_spots = true;
  // The channel's compression floor is tested, measured on the compression
  // check's copies, which a model with the channel gets without the
  // self-check; the self-check only scores (SelfCheck.ScoresEveryFamily-
  // AndChangesNothingElse): 24 feature extractions instead of 68.
  config.self_check_defects = 0;
  Trainer trainer(testing::SharedBackbone(), config);
  for (int i = 0; i < 16; ++i)
    ASSERT_TRUE(trainer.AddImage(GenerateSceneSample(*scene, 1, i, false).image, ImageLabel::kNormal).ok());
  auto model = trainer.Finish();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_FALSE(model->dark_spots.shared.empty());
  auto detector = Detector::FromModel(*model, testing::SharedBackbone());
  ASSERT_TRUE(detector.ok()) << detector.status().ToString();
  int png_flagged = 0, jpeg_flagged = 0;
  double png_scores = 0, jpeg_scores = 0;
  const int images = 6;
  for (int i = 100; i < 100 + images; ++i) {
    const RgbImage png = GenerateSceneSample(*scene, 1, i, false).image;
    auto decoded = DecodeImage(TurboJpeg(png, 90), "image/jpeg");
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    auto a = (*detector)->Analyze(png, false), b = (*detector)->Analyze(*decoded, false);
    ASSERT_TRUE(a.ok() && b.ok());
    png_flagged += a->result.is_anomalous, jpeg_flagged += b->result.is_anomalous;
    png_scores += a->result.score, jpeg_scores += b->result.score;
  }
  EXPECT_LE(jpeg_flagged, png_flagged + 1) << "of " << images << " normal images re-encoded as JPEG";
  // On average well short of the threshold from the PNGs' scores. Measured:
  // 45% of the way with 5-fold held-out scores, 56% since a normal-only
  // model holds out one image at a time (held_out_folds.h), which lowers
  // its threshold (a rise of 0.60 against 1.06 to go); without the floor, far
  // above the threshold.
  const double png_mean = png_scores / images, jpeg_mean = jpeg_scores / images;
  EXPECT_LT(jpeg_mean - png_mean, 0.7 * (model->threshold - png_mean))
      << "mean score PNG " << png_mean << ", JPEG " << jpeg_mean << ", threshold " << model->threshold;
}

}  // namespace
}  // namespace anomalens
