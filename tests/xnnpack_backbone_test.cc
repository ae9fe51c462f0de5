// The XNNPACK backbone (native's default engine) against the core's portable
// kernels (the reference, and what wasm runs). Different summation orders
// and fused multiply-adds mean the taps differ by float rounding, not bit
// for bit, so this states the tolerances:
//  - taps: max |difference| <= 1e-4 x (1 + the tap's largest magnitude);
//  - every golden image, both models: the same IsAnomalous, |dConfidence| <=
//    1e-3, and AnomalyMask IoU >= 0.99 (defect pixels of the same type),
//    for the native default (XNNPACK backbone and nearest-neighbour search)
//    and for the XNNPACK search alone on the portable backbone.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

#include "core/image/image_decode.h"
#include "core/model/detector.h"
#include "core/scoring/nearest_neighbor.h"
#include "native/cli/backend_options.h"
#include "native/cli/command_line.h"
#include "native/engine/backend.h"
#include "native/engine/xnnpack_search.h"
#include "native/jobs/file_io.h"
#include "native/jobs/model_loader.h"
#include "test_support.h"

namespace anomalens {
namespace {

namespace fs = std::filesystem;

Backend XnnpackBackend(int threads, bool exact_search = false) {
  BackendOptions options;
  options.backend = "xnnpack";
  options.threads = threads;
  options.exact_search = exact_search;
  auto backend = LoadBackend(ANOMALENS_BACKBONE_FILE, options);
  EXPECT_TRUE(backend.ok()) << backend.status().ToString();
  return backend.ok() ? *backend : Backend{};
}

Tensor RandomInput(int height, int width, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Tensor t(height, width, 3);
  for (float& v : t.data) v = u(rng);
  return t;
}

// max |a - b| / (1 + max |a|) over a tap.
double RelativeMaxDifference(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.channels, b.channels);
  if (a.data.size() != b.data.size()) return INFINITY;
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.data.size(); ++i) {
    diff = std::max(diff, double(std::fabs(a.data[i] - b.data[i])));
    scale = std::max(scale, double(std::fabs(a.data[i])));
  }
  return diff / (1 + scale);
}

TEST(XnnpackBackbone, TapsMatchPortableWithinTolerance) {
  const Backend xnn = XnnpackBackend(2);
  ASSERT_NE(xnn.backbone, nullptr);
  EXPECT_STREQ(xnn.backbone->engine(), "xnnpack");
  const std::shared_ptr<const Backbone> portable = testing::SharedBackbone();
  ASSERT_NE(portable, nullptr);
  EXPECT_EQ(xnn.backbone->id(), portable->id());
  EXPECT_EQ(xnn.backbone->checksum(), portable->checksum());
  // The benchmark's square input, and a wide one with the stride-4 tap
  // (a size the runtime cache has not seen).
  for (const auto [height, width, stride4] : {std::tuple{224, 224, false}, {96, 160, true}}) {
    SCOPED_TRACE(std::to_string(width) + "x" + std::to_string(height));
    const Tensor input = RandomInput(height, width, 3);
    auto want = portable->Run(input, stride4);
    auto got = xnn.backbone->Run(input, stride4);
    ASSERT_TRUE(want.ok() && got.ok()) << got.status().ToString();
    const double d8 = RelativeMaxDifference(want->stride8, got->stride8);
    const double d16 = RelativeMaxDifference(want->stride16, got->stride16);
    std::printf("  %dx%d: relative max tap difference %.2e (stride 8), %.2e (stride 16)\n", width, height, d8, d16);
    EXPECT_LE(d8, 1e-4);
    EXPECT_LE(d16, 1e-4);
    if (stride4) {
      EXPECT_LE(RelativeMaxDifference(want->stride4, got->stride4), 1e-4);
    } else {
      EXPECT_TRUE(got->stride4.data.empty());
    }
  }
}

TEST(XnnpackBackbone, SameTapsOnOneAndTwoThreads) {
  const Backend one = XnnpackBackend(1), two = XnnpackBackend(2);
  ASSERT_NE(one.backbone, nullptr);
  ASSERT_NE(two.backbone, nullptr);
  const Tensor input = RandomInput(128, 192, 4);
  auto a = one.backbone->Run(input), b = two.backbone->Run(input);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->stride8.data, b->stride8.data);
  EXPECT_EQ(a->stride16.data, b->stride16.data);
}

TEST(XnnpackBackbone, RejectsBadInputWithTheRule) {
  const Backend xnn = XnnpackBackend(1);
  ASSERT_NE(xnn.backbone, nullptr);
  auto r = xnn.backbone->Run(Tensor(100, 96, 3));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("multiple of 16"), std::string::npos) << r.status().message();
}

// More image sizes than the backbone keeps idle runtimes for (8): each new
// size past that drops another size's runtime to make room, and a size
// seen again, kept or rebuilt, gives the same taps bit for bit.
TEST(XnnpackBackbone, ManySizesKeepABoundedCacheAndTheSameTaps) {
  const Backend xnn = XnnpackBackend(1);
  ASSERT_NE(xnn.backbone, nullptr);
  std::vector<Tensor> inputs;
  for (int k = 0; k < 11; ++k) inputs.push_back(RandomInput(32, 32 + 16 * k, 10 + k));
  std::vector<BackboneTaps> first;
  for (const Tensor& input : inputs) {
    auto taps = xnn.backbone->Run(input);
    ASSERT_TRUE(taps.ok()) << taps.status().ToString();
    first.push_back(std::move(*taps));
  }
  for (size_t k = 0; k < inputs.size(); ++k) {
    auto again = xnn.backbone->Run(inputs[k]);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(again->stride8.data, first[k].stride8.data) << inputs[k].width;
    EXPECT_EQ(again->stride16.data, first[k].stride16.data) << inputs[k].width;
  }
}

// IoU of the defect pixels of two AnomalyMask PNGs, a pixel counting as
// shared only when both give it the same colour (defect type).
double MaskIou(const std::vector<uint8_t>& a_png, const std::vector<uint8_t>& b_png) {
  auto a = DecodeImage(a_png, "image/png");
  auto b = DecodeImage(b_png, "image/png");
  EXPECT_TRUE(a.ok() && b.ok());
  if (!a.ok() || !b.ok() || a->width != b->width || a->height != b->height) return 0;
  size_t both = 0, either = 0;
  for (size_t p = 0; p < a->pixels.size(); p += 3) {
    const uint8_t* x = &a->pixels[p];
    const uint8_t* y = &b->pixels[p];
    // Background is white (#FFFFFF); any other colour is a defect type's.
    const bool dx = (x[0] & x[1] & x[2]) != 255, dy = (y[0] & y[1] & y[2]) != 255;
    either += dx || dy;
    both += dx && dy && std::equal(x, x + 3, y);
  }
  return either == 0 ? 1.0 : double(both) / either;
}

TEST(XnnpackBackbone, GoldenImagesAgreeWithPortable) {
  const std::string parity = std::string(ANOMALENS_GOLDEN_DIR) + "/parity/";
  const Backend xnn = XnnpackBackend(2);
  const Backend exact = XnnpackBackend(2, /*exact_search=*/true);
  ASSERT_NE(xnn.backbone, nullptr);
  ASSERT_NE(exact.backbone, nullptr);
  std::vector<std::string> images;
  for (const auto& entry : fs::directory_iterator(parity + "test-images")) images.push_back(entry.path().string());
  std::sort(images.begin(), images.end());
  ASSERT_EQ(images.size(), 7u);
  ASSERT_TRUE(xnn.search) << "the XNNPACK backend searches on XNNPACK too";
  ASSERT_TRUE(xnn.jpeg.decode) << "the XNNPACK backend decodes JPEGs on libjpeg-turbo";
  // The native default (XNNPACK backbone and approximate search,
  // libjpeg-turbo; the golden set has two JPEGs), the same with
  // --exact-search, and the XNNPACK search alone on the portable backbone:
  // each held to the all-portable reference.
  struct Engine {
    const char* name;
    std::shared_ptr<const Backbone> backbone;
    JpegDecoder jpeg;
    BuildSearch search;
  };
  for (const Engine& engine :
       {Engine{"xnnpack backbone + approximate search + libjpeg-turbo", xnn.backbone, xnn.jpeg, xnn.search},
        Engine{"xnnpack backbone + exact search + libjpeg-turbo", exact.backbone, exact.jpeg, exact.search},
        Engine{"portable backbone + approximate xnnpack search", testing::SharedBackbone(), {}, xnn.search}}) {
    int anomalous = 0;
    double worst_confidence = 0, worst_iou = 1;
    for (const char* model : {"segmentation", "classification"}) {
      const std::vector<uint8_t> bytes = testing::ReadFileOrDie(parity + model + ".anlm");
      auto reference = Detector::Create(bytes, testing::SharedBackbone());
      auto fast = Detector::Create(bytes, engine.backbone, xnn.parallel, engine.search, engine.jpeg);
      ASSERT_TRUE(reference.ok() && fast.ok());
      for (const std::string& path : images) {
        SCOPED_TRACE(std::string(engine.name) + ": " + model + " / " + path);
        const std::vector<uint8_t> image = testing::ReadFileOrDie(path);
        auto want = (*reference)->Detect(image, "");
        auto got = (*fast)->Detect(image, "");
        ASSERT_TRUE(want.ok() && got.ok());
        EXPECT_EQ(got->is_anomalous, want->is_anomalous);
        EXPECT_LE(std::fabs(got->confidence - want->confidence), 1e-3);
        worst_confidence = std::max(worst_confidence, std::fabs(got->confidence - want->confidence));
        anomalous += want->is_anomalous;
        ASSERT_EQ(got->has_segmentation(), want->has_segmentation());
        if (want->has_segmentation()) {
          const double iou = MaskIou(want->anomaly_mask_png, got->anomaly_mask_png);
          EXPECT_GE(iou, 0.99);
          worst_iou = std::min(worst_iou, iou);
        }
      }
    }
    std::printf("  golden set, %s: largest |dConfidence| %.2e, smallest mask IoU %.5f\n", engine.name,
                worst_confidence, worst_iou);
    EXPECT_GT(anomalous, 0) << "the golden set should exercise anomalous images and their masks";
  }
}

// --exact-search reaches the exact search: around each query, 20 rows at
// distances 1 to 1.04 (near ties, where an approximate search settles for
// any of them), all in the first kBoundDims coordinates (so the pruning's
// bounds are the whole distances, and an approximate search skips the
// near ties once it holds one). The exact backend's search finds the
// nearest to rounding; the default one differs somewhere, within its
// relative error; training's search is exact on both.
TEST(XnnpackBackend, ExactSearchSwitchReachesTheExactSearch) {
  std::mt19937 rng(21);
  const int dim = 128, used = XnnpackSearch::kBoundDims;
  const size_t queries = 60, around = 20, rows = queries * around;
  std::vector<float> q = testing::RandomRows(queries, dim, rng);
  for (size_t i = 0; i < queries; ++i) std::fill(&q[i * dim + used], &q[(i + 1) * dim], 0.0f);
  std::vector<float> bank;
  std::uniform_real_distribution<float> radius(1.0f, 1.04f);
  for (size_t i = 0; i < queries; ++i) {
    for (size_t k = 0; k < around; ++k) {
      std::vector<float> u = testing::RandomRows(1, used, rng);
      float norm = 0;
      for (float x : u) norm += x * x;
      const float scale = radius(rng) / std::sqrt(norm);
      for (int d = 0; d < dim; ++d) bank.push_back(q[i * dim + d] + (d < used ? scale * u[d] : 0.0f));
    }
  }
  const std::vector<float> want = BruteForceMinDistances(bank.data(), rows, q.data(), queries, dim);
  const auto distances = [&](const BuildSearch& build) {
    auto search = build(bank.data(), rows, dim);
    EXPECT_TRUE(search.ok());
    return search.ok() ? (*search)->MinDistances(q.data(), queries) : std::vector<float>(queries, -1.0f);
  };
  const Backend approximate = XnnpackBackend(1), exact = XnnpackBackend(1, /*exact_search=*/true);
  size_t farther = 0;
  for (const auto& [name, got, e] :
       {std::tuple{"default search", distances(approximate.search), XnnpackSearch::kDefaultApproximation.bound()},
        std::tuple{"--exact-search", distances(exact.search), 0.0f},
        std::tuple{"training (default)", distances(approximate.training_search), 0.0f},
        std::tuple{"training (--exact-search)", distances(exact.training_search), 0.0f}}) {
    for (size_t i = 0; i < queries; ++i) {
      EXPECT_GE(got[i], want[i] - 1e-4f * (1 + want[i])) << name << " query " << i;
      EXPECT_LE(got[i], (1 + e) * want[i] + 1e-4f * (1 + want[i])) << name << " query " << i;
      if (e > 0) farther += got[i] > want[i] + 1e-4f * (1 + want[i]);
    }
  }
  EXPECT_GT(farther, 0u) << "the default search should be the approximate one";
}

// The CLI's switch: --exact-search sets it, its absence leaves the default,
// a value is refused by name.
TEST(XnnpackBackend, ExactSearchFlagParses) {
  const std::vector<OptionSpec> specs = {{"backend", true}, {"decoder", true}, {"threads", true}, {"exact-search", false}};
  const auto parse = [&](std::vector<std::string> args) {
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    auto cl = ParseCommandLine(static_cast<int>(argv.size()), argv.data(), 0, specs);
    return cl.ok() ? ParseBackendOptions(*cl) : StatusOr<BackendOptions>(cl.status());
  };
  auto on = parse({"--exact-search"});
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_TRUE(on->exact_search);
  auto off = parse({"--threads", "1"});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->exact_search);
  auto valued = parse({"--exact-search=no"});
  ASSERT_FALSE(valued.ok());
  EXPECT_NE(valued.status().message().find("--exact-search takes no value"), std::string::npos)
      << valued.status().message();
}

}  // namespace
}  // namespace anomalens
