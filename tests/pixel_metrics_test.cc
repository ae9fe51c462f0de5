// PixelMetricsAccumulator: pixel ROC AUC against the exact RocAuc within the
// binning bound, AUPRO on hand-computed curves and against a brute-force
// reference (all scores sorted, every distinct score a threshold), and the
// NaN and rejection cases.
#include "core/lookout/pixel_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/image/connected_components.h"
#include "core/lookout/metrics.h"

namespace anomalens {
namespace {

// One test image: an anomaly map and its ground-truth mask.
struct Sample {
  int width = 0;
  int height = 0;
  std::vector<float> scores;
  std::vector<uint8_t> mask;
};

// Pixels per component label (index 0: background).
std::vector<int> RegionSizes(const ComponentLabels& labels) {
  std::vector<int> size(labels.count + 1, 0);
  for (int32_t label : labels.labels) ++size[label];
  return size;
}

// A float in [0, 1) from 24 random bits: the same on every standard library,
// unlike std::uniform_real_distribution.
float Uniform(std::mt19937& random) { return static_cast<float>(random() >> 8) * (1.0f / 16777216.0f); }

// Random rectangles and dots as defects; normal pixels score U(0, 1), defect
// pixels U(shift, shift + 1), so the classes overlap.
std::vector<Sample> RandomSamples(uint32_t seed, int images, float shift) {
  std::mt19937 random(seed);
  std::vector<Sample> samples;
  for (int n = 0; n < images; ++n) {
    Sample s;
    s.width = 40 + static_cast<int>(random() % 40);
    s.height = 30 + static_cast<int>(random() % 40);
    s.mask.assign(static_cast<size_t>(s.width) * s.height, 0);
    const int rectangles = static_cast<int>(random() % 4);
    for (int r = 0; r < rectangles; ++r) {
      const int w = 1 + static_cast<int>(random() % 12);
      const int h = 1 + static_cast<int>(random() % 12);
      const int x0 = static_cast<int>(random() % (s.width - w));
      const int y0 = static_cast<int>(random() % (s.height - h));
      for (int y = y0; y < y0 + h; ++y) {
        for (int x = x0; x < x0 + w; ++x) s.mask[y * s.width + x] = 1;
      }
    }
    const int dots = static_cast<int>(random() % 5);
    for (int d = 0; d < dots; ++d) s.mask[random() % s.mask.size()] = 1;
    s.scores.resize(s.mask.size());
    for (size_t i = 0; i < s.mask.size(); ++i) s.scores[i] = Uniform(random) + (s.mask[i] ? shift : 0.0f);
    samples.push_back(std::move(s));
  }
  return samples;
}

PixelMetricsAccumulator Accumulate(const std::vector<Sample>& samples, double max_score, int bins) {
  PixelMetricsAccumulator metrics(max_score, bins);
  for (const Sample& s : samples) {
    const Status status = metrics.AddImage(s.scores.data(), s.mask.data(), s.width, s.height);
    EXPECT_TRUE(status.ok()) << status.ToString();
  }
  return metrics;
}

// The accumulator's binning, repeated here to compute the error bounds its
// header promises.
int BinOf(float score, double max_score, int bins) {
  const double position = static_cast<double>(score) * (static_cast<double>(bins) / max_score);
  if (!(position > 0)) return 0;
  if (!(position < bins)) return bins - 1;
  return static_cast<int>(position);
}

// Pixel-exact AUPRO, as MVTec's evaluation code computes it: every pixel
// sorted by score, a curve point after each run of equal scores, PRO from
// per-pixel weights 1 / (regions * region size).
double BruteForceAupro(const std::vector<Sample>& samples, double max_fpr) {
  struct Pixel {
    double score;
    bool defect;
    double weight;
  };
  std::vector<Pixel> pixels;
  int regions = 0;
  for (const Sample& s : samples) {
    const ComponentLabels labels = LabelConnectedComponents(s.mask.data(), s.width, s.height);
    const std::vector<int> size = RegionSizes(labels);
    for (size_t i = 0; i < s.mask.size(); ++i) {
      const int32_t label = labels.labels[i];
      pixels.push_back({s.scores[i], label != 0, label != 0 ? 1.0 / size[label] : 0.0});
    }
    regions += labels.count;
  }
  std::sort(pixels.begin(), pixels.end(), [](const Pixel& a, const Pixel& b) { return a.score > b.score; });
  size_t normals = 0;
  for (const Pixel& p : pixels) normals += p.defect ? 0 : 1;
  std::vector<double> fpr = {0};
  std::vector<double> pro = {0};
  size_t false_positives = 0;
  double overlap = 0;
  for (size_t i = 0; i < pixels.size(); ++i) {
    false_positives += pixels[i].defect ? 0 : 1;
    overlap += pixels[i].weight;
    if (i + 1 < pixels.size() && pixels[i + 1].score == pixels[i].score) continue;
    fpr.push_back(static_cast<double>(false_positives) / normals);
    pro.push_back(std::min(1.0, overlap / regions));
  }
  double area = 0;
  for (size_t i = 1; i < fpr.size(); ++i) {
    if (fpr[i] <= max_fpr) {
      area += (fpr[i] - fpr[i - 1]) * (pro[i] + pro[i - 1]) / 2;
      continue;
    }
    const double at_limit = pro[i - 1] + (pro[i] - pro[i - 1]) * (max_fpr - fpr[i - 1]) / (fpr[i] - fpr[i - 1]);
    area += (max_fpr - fpr[i - 1]) * (pro[i - 1] + at_limit) / 2;
    break;
  }
  return area / max_fpr;
}

// The header's worst-case bound on |binned AUPRO - exact AUPRO|: the largest
// step the binned curve takes in one bin, in PRO, or in FPR / max_fpr.
double AuproBinningBound(const std::vector<Sample>& samples, double max_score, int bins, double max_fpr) {
  std::vector<double> normal_step(bins, 0);
  std::vector<double> pro_step(bins, 0);
  size_t normals = 0;
  int regions = 0;
  for (const Sample& s : samples) {
    const ComponentLabels labels = LabelConnectedComponents(s.mask.data(), s.width, s.height);
    const std::vector<int> size = RegionSizes(labels);
    for (size_t i = 0; i < s.mask.size(); ++i) {
      const int bin = BinOf(s.scores[i], max_score, bins);
      if (labels.labels[i] == 0) {
        normal_step[bin] += 1;
        ++normals;
      } else {
        pro_step[bin] += 1.0 / size[labels.labels[i]];
      }
    }
    regions += labels.count;
  }
  double max_fpr_step = 0;
  double max_pro_step = 0;
  for (int k = 0; k < bins; ++k) {
    max_fpr_step = std::max(max_fpr_step, normal_step[k] / normals);
    max_pro_step = std::max(max_pro_step, pro_step[k] / regions);
  }
  return std::min(max_pro_step, max_fpr_step / max_fpr);
}

// --- Pixel ROC AUC.

TEST(PixelMetrics, Pixel_roc_auc_matches_exact_within_binning_bound) {
  const std::vector<Sample> samples = RandomSamples(7, 12, 0.3f);
  std::vector<ScoredLabel> scored;
  for (const Sample& s : samples) {
    for (size_t i = 0; i < s.mask.size(); ++i) scored.push_back({s.scores[i], s.mask[i] != 0});
  }
  const double exact = RocAuc(scored);
  ASSERT_GT(exact, 0.6);
  ASSERT_LT(exact, 0.9);
  const double max_score = 2.0;
  for (int bins : {64, 256, 4096, 65536}) {
    const PixelMetricsAccumulator metrics = Accumulate(samples, max_score, bins);
    // The rigorous bound: half the fraction of (defect, normal) pairs that
    // share a bin, computed here independently of the accumulator.
    std::vector<double> defect(bins, 0);
    std::vector<double> normal(bins, 0);
    for (const ScoredLabel& s : scored) (s.anomalous ? defect : normal)[BinOf(s.score, max_score, bins)] += 1;
    double shared_pairs = 0;
    for (int k = 0; k < bins; ++k) shared_pairs += defect[k] * normal[k];
    shared_pairs /= static_cast<double>(metrics.defect_pixels()) * metrics.normal_pixels();
    EXPECT_NEAR(metrics.PixelRocAucBinningError(), shared_pairs / 2, 1e-12) << bins << " bins";
    const double difference = std::abs(metrics.PixelRocAuc() - exact);
    EXPECT_LE(difference, metrics.PixelRocAucBinningError() + 1e-12) << bins << " bins";
    // The bound from the bin width: both score densities are 1 per unit
    // where they overlap (0.7 units), so about width * 0.7 of the pairs share
    // a bin and the bound is half that; twice leaves room for sampling noise.
    const double width = max_score / bins;
    EXPECT_LE(metrics.PixelRocAucBinningError(), width * 0.7) << bins << " bins";
  }
}

TEST(PixelMetrics, Pixel_roc_auc_perfect_reversed_and_tied) {
  const std::vector<float> scores = {0.1f, 0.2f, 0.9f, 0.8f, 0.3f, 0.05f};
  const std::vector<uint8_t> mask = {0, 0, 1, 1, 0, 0};
  const std::vector<uint8_t> reversed = {1, 1, 0, 0, 1, 1};
  PixelMetricsAccumulator perfect(1.0);
  ASSERT_TRUE(perfect.AddImage(scores.data(), mask.data(), 3, 2).ok());
  EXPECT_EQ(perfect.PixelRocAuc(), 1.0);
  PixelMetricsAccumulator wrong(1.0);
  ASSERT_TRUE(wrong.AddImage(scores.data(), reversed.data(), 3, 2).ok());
  EXPECT_EQ(wrong.PixelRocAuc(), 0.0);
  // One bin: every pair ties.
  PixelMetricsAccumulator coarse(1.0, 1);
  ASSERT_TRUE(coarse.AddImage(scores.data(), mask.data(), 3, 2).ok());
  EXPECT_EQ(coarse.PixelRocAuc(), 0.5);
  // Out-of-range scores tie in the end bins: negatives in bin 0, >= max_score
  // and infinity in the top bin.
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> outside = {-5.0f, -inf, 7.0f, inf, 1.0f, 0.5f};
  const std::vector<uint8_t> outside_mask = {1, 0, 1, 0, 0, 0};
  PixelMetricsAccumulator clamped(1.0);
  ASSERT_TRUE(clamped.AddImage(outside.data(), outside_mask.data(), 6, 1).ok());
  // Defect -5 ties -inf (0.5 win) and loses to the rest; defect 7 beats -inf
  // and 0.5, and ties inf and 1.0: (0.5 + 0 + 0 + 0) + (1 + 0.5 + 0.5 + 1).
  EXPECT_DOUBLE_EQ(clamped.PixelRocAuc(), 3.5 / 8);
}

TEST(PixelMetrics, Pixel_roc_auc_does_not_depend_on_image_order) {
  std::vector<Sample> samples = RandomSamples(11, 8, 0.4f);
  const double forward = Accumulate(samples, 2.0, 1024).PixelRocAuc();
  std::reverse(samples.begin(), samples.end());
  EXPECT_EQ(Accumulate(samples, 2.0, 1024).PixelRocAuc(), forward);
}

// --- AUPRO.

TEST(PixelMetrics, Pixel_aupro_one_region_found_one_never) {
  // Region A (top-left 4x4) scores above every normal pixel; region B
  // (bottom-right 4x4) below every one. PRO is 0.5 from FPR 0 to 1.
  const int side = 32;
  std::vector<float> scores(side * side);
  std::vector<uint8_t> mask(side * side, 0);
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      const int i = y * side + x;
      if (x < 4 && y < 4) {
        mask[i] = 1;
        scores[i] = 0.95f;
      } else if (x >= side - 4 && y >= side - 4) {
        mask[i] = 1;
        scores[i] = 0.01f;
      } else {
        scores[i] = 0.1f + 0.7f * static_cast<float>((i * 37) % 1000) / 1000;
      }
    }
  }
  PixelMetricsAccumulator metrics(1.0);
  ASSERT_TRUE(metrics.AddImage(scores.data(), mask.data(), side, side).ok());
  EXPECT_EQ(metrics.regions(), 2u);
  EXPECT_EQ(metrics.defect_pixels(), 32u);
  EXPECT_EQ(metrics.normal_pixels(), static_cast<size_t>(side * side - 32));
  EXPECT_NEAR(metrics.Aupro(), 0.5, 1e-12);
  EXPECT_NEAR(metrics.Aupro(1.0), 0.5, 1e-12);  // B is found only at FPR 1, a vertical step
}

TEST(PixelMetrics, Pixel_aupro_perfect_map_is_one) {
  const std::vector<Sample> samples = RandomSamples(3, 6, 0.0f);
  PixelMetricsAccumulator metrics(2.0);
  for (const Sample& s : samples) {
    std::vector<float> perfect(s.mask.size());
    for (size_t i = 0; i < s.mask.size(); ++i) perfect[i] = s.mask[i] ? 1.5f : 0.5f * s.scores[i];
    ASSERT_TRUE(metrics.AddImage(perfect.data(), s.mask.data(), s.width, s.height).ok());
  }
  ASSERT_GT(metrics.regions(), 3u);
  EXPECT_NEAR(metrics.Aupro(), 1.0, 1e-12);
  EXPECT_NEAR(metrics.Aupro(0.05), 1.0, 1e-12);
  EXPECT_EQ(metrics.PixelRocAuc(), 1.0);
  // No bin holds both classes, so binning costs nothing.
  EXPECT_EQ(metrics.AuproBinningError(), 0.0);
  EXPECT_EQ(metrics.PixelRocAucBinningError(), 0.0);
}

TEST(PixelMetrics, Pixel_aupro_hand_computed_with_interpolation) {
  // One row: a 2-pixel region scoring 0.95 and 0.8, then ten normal pixels
  // scoring 0.9, 0.8, ..., 0.0. Thresholds, high to low:
  //   0.95 -> (FPR 0, PRO 0.5); 0.9 -> (0.1, 0.5); 0.8 -> (0.2, 1.0) ...
  // Up to FPR 0.15: 0.1 * 0.5 + 0.05 * (0.5 + 0.75) / 2 = 0.08125.
  // Up to FPR 0.3:  0.1 * 0.5 + 0.1 * 0.75 + 0.1 * 1.0 = 0.225.
  std::vector<float> scores = {0.95f, 0.8f};
  std::vector<uint8_t> mask = {1, 1};
  for (int k = 9; k >= 0; --k) {
    scores.push_back(static_cast<float>(k) / 10);
    mask.push_back(0);
  }
  PixelMetricsAccumulator metrics(1.0);
  ASSERT_TRUE(metrics.AddImage(scores.data(), mask.data(), 12, 1).ok());
  EXPECT_NEAR(metrics.Aupro(0.15), 0.08125 / 0.15, 1e-12);
  EXPECT_NEAR(metrics.Aupro(), 0.225 / 0.3, 1e-12);
  EXPECT_NEAR(metrics.Aupro(1.0), (0.05 + 0.075 + 0.8 * 1.0) / 1.0, 1e-12);
  // The same image as several regions: a second, undetected region in
  // another image halves PRO everywhere below FPR 1.
  const std::vector<float> missed_scores(64, 0.0f);
  const std::vector<uint8_t> missed_mask(64, 1);
  ASSERT_TRUE(metrics.AddImage(missed_scores.data(), missed_mask.data(), 8, 8).ok());
  EXPECT_EQ(metrics.regions(), 2u);
  EXPECT_NEAR(metrics.Aupro(), 0.225 / 0.3 / 2, 1e-12);
}

TEST(PixelMetrics, Pixel_aupro_matches_brute_force_on_random_maps) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    const std::vector<Sample> samples = RandomSamples(seed, 10, 0.35f);
    for (double max_fpr : {0.3, 0.05, 1.0}) {
      const double exact = BruteForceAupro(samples, max_fpr);
      ASSERT_GT(exact, 0.05);
      ASSERT_LT(exact, 0.95);
      for (int bins : {256, 4096, 65536}) {
        const PixelMetricsAccumulator metrics = Accumulate(samples, 2.0, bins);
        const double error = metrics.AuproBinningError(max_fpr);
        EXPECT_NEAR(metrics.Aupro(max_fpr), exact, error + 1e-12)
            << "seed " << seed << ", max_fpr " << max_fpr << ", " << bins << " bins";
        // The data-dependent bound is within the worst case the header
        // states from the largest step of the curve.
        EXPECT_LE(error, AuproBinningBound(samples, 2.0, bins, max_fpr) + 1e-12);
      }
      // At the default resolution the binning is invisible in a report.
      const PixelMetricsAccumulator fine = Accumulate(samples, 2.0, 65536);
      EXPECT_NEAR(fine.Aupro(max_fpr), exact, 1e-4);
      EXPECT_LT(fine.AuproBinningError(max_fpr), 1e-3);
    }
  }
}

TEST(PixelMetrics, Pixel_aupro_counts_regions_with_8_connectivity) {
  // Two diagonal pixels are one region; a separate dot is another.
  const std::vector<uint8_t> mask = {1, 0, 0, 0,  //
                                     0, 1, 0, 1,  //
                                     0, 0, 0, 0};
  const std::vector<float> scores(12, 0.5f);
  PixelMetricsAccumulator metrics(1.0);
  ASSERT_TRUE(metrics.AddImage(scores.data(), mask.data(), 4, 3).ok());
  EXPECT_EQ(metrics.regions(), 2u);
  EXPECT_EQ(metrics.defect_pixels(), 3u);
  EXPECT_EQ(metrics.normal_pixels(), 9u);
}

// --- Undefined values and rejections.

TEST(PixelMetrics, Pixel_metrics_nan_when_undefined) {
  const std::vector<float> scores = {0.1f, 0.2f, 0.3f, 0.4f};
  const std::vector<uint8_t> none = {0, 0, 0, 0};
  const std::vector<uint8_t> all = {1, 1, 1, 1};
  const std::vector<uint8_t> some = {0, 1, 0, 1};

  PixelMetricsAccumulator empty(1.0);
  EXPECT_TRUE(std::isnan(empty.PixelRocAuc()));
  EXPECT_TRUE(std::isnan(empty.Aupro()));
  EXPECT_TRUE(std::isnan(empty.PixelRocAucBinningError()));
  EXPECT_TRUE(std::isnan(empty.AuproBinningError()));

  PixelMetricsAccumulator normal_only(1.0);
  ASSERT_TRUE(normal_only.AddImage(scores.data(), none.data(), 2, 2).ok());
  EXPECT_TRUE(std::isnan(normal_only.PixelRocAuc()));
  EXPECT_TRUE(std::isnan(normal_only.Aupro()));

  PixelMetricsAccumulator defect_only(1.0);
  ASSERT_TRUE(defect_only.AddImage(scores.data(), all.data(), 2, 2).ok());
  EXPECT_TRUE(std::isnan(defect_only.PixelRocAuc()));
  EXPECT_TRUE(std::isnan(defect_only.Aupro()));

  PixelMetricsAccumulator fine(1.0);
  ASSERT_TRUE(fine.AddImage(scores.data(), some.data(), 2, 2).ok());
  EXPECT_FALSE(std::isnan(fine.Aupro()));
  for (double bad : {0.0, -0.1, 1.01, std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_TRUE(std::isnan(fine.Aupro(bad))) << bad;
  }

  std::vector<float> with_nan = scores;
  with_nan[2] = std::numeric_limits<float>::quiet_NaN();
  ASSERT_TRUE(fine.AddImage(with_nan.data(), some.data(), 2, 2).ok());
  EXPECT_TRUE(std::isnan(fine.PixelRocAuc()));
  EXPECT_TRUE(std::isnan(fine.Aupro()));
}

TEST(PixelMetrics, Pixel_metrics_reject_bad_arguments) {
  const std::vector<float> scores = {0.1f, 0.2f, 0.3f, 0.4f};
  const std::vector<uint8_t> mask = {0, 1, 0, 1};
  PixelMetricsAccumulator metrics(1.0);
  EXPECT_EQ(metrics.AddImage(nullptr, mask.data(), 2, 2).code(), StatusCode::kInvalidInput);
  EXPECT_EQ(metrics.AddImage(scores.data(), nullptr, 2, 2).code(), StatusCode::kInvalidInput);
  EXPECT_EQ(metrics.AddImage(scores.data(), mask.data(), 0, 2).code(), StatusCode::kInvalidInput);
  EXPECT_EQ(metrics.AddImage(scores.data(), mask.data(), 2, -1).code(), StatusCode::kInvalidInput);
  EXPECT_EQ(metrics.AddImage(scores.data(), mask.data(), 65536, 65536).code(), StatusCode::kInvalidInput);
  EXPECT_EQ(metrics.normal_pixels() + metrics.defect_pixels(), 0u);  // nothing was added

  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const struct {
    double max_score;
    int bins;
  } bad[] = {{0.0, 16}, {-1.0, 16}, {inf, 16}, {nan, 16}, {1.0, 0}, {1.0, PixelMetricsAccumulator::kMaxBins + 1}};
  for (const auto& b : bad) {
    PixelMetricsAccumulator invalid(b.max_score, b.bins);
    const Status status = invalid.AddImage(scores.data(), mask.data(), 2, 2);
    EXPECT_EQ(status.code(), StatusCode::kInvalidInput) << b.max_score << ", " << b.bins;
    EXPECT_NE(status.message().find("max_score"), std::string::npos) << status.message();
    EXPECT_TRUE(std::isnan(invalid.PixelRocAuc()));
    EXPECT_TRUE(std::isnan(invalid.Aupro()));
  }
}

}  // namespace
}  // namespace anomalens
