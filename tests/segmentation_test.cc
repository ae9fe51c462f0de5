// Segmentation on hand-built inputs: mask cells and the working defect mask
// (cell_labels.h), SegmentAnomalies' cutoff and region vote
// (segmentation.h), and the pixel rule's calibration (pixel_threshold.h).
#include "core/segmentation/segmentation.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "core/scoring/anomaly_map.h"
#include "core/segmentation/cell_labels.h"
#include "core/segmentation/pixel_threshold.h"
#include "thread_splits.h"

namespace anomalens {
namespace {

ClassMask EmptyMask(int width, int height) {
  return ClassMask{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height, 0)};
}

void Fill(ClassMask& mask, int x0, int y0, int x1, int y1, uint8_t label) {  // [x0, x1) x [y0, y1)
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) mask.labels[static_cast<size_t>(y) * mask.width + x] = label;
}

TEST(CellLabels, Cells_take_their_dominant_class_or_are_mixed) {
  // 24x16 at scale 1: padded to 32x16, a 4x2 grid of 8x8 cells; column 3 is padding.
  const WorkingGeometry g = PlanGeometry({24, 16}, 1.0, 16);
  ASSERT_EQ(g.padded, (Size{32, 16}));
  ClassMask mask = EmptyMask(24, 16);
  Fill(mask, 0, 0, 8, 8, 1);     // (0,0): fully class 1
  Fill(mask, 8, 0, 16, 2, 2);    // (1,0): 16 of 64 pixels class 2, exactly 25%
  Fill(mask, 16, 0, 24, 1, 2);   // (2,0): 8 +
  Fill(mask, 16, 1, 23, 2, 2);   //        7 = 15 of 64, under 25%
  Fill(mask, 0, 8, 8, 11, 1);    // (0,1): 24 class 1 and
  Fill(mask, 0, 11, 7, 15, 2);   //        28 +
  Fill(mask, 0, 15, 2, 16, 2);   //        2 = 30 class 2: class 2 is largest
  Fill(mask, 8, 8, 16, 9, 1);    // (1,1): 8 +
  Fill(mask, 8, 9, 10, 10, 1);   //        2 = 10 class 1 and
  Fill(mask, 8, 10, 16, 11, 2);  //        8 +
  Fill(mask, 8, 11, 10, 12, 2);  //        2 = 10 class 2: 20 defect pixels, no class at 16
  // (2,1) empty.
  const std::vector<uint8_t> cells = CellClassLabels(mask, g, 4, 2);
  EXPECT_EQ(cells, (std::vector<uint8_t>{1, 2, kMixedCell, 0,  //
                                         2, kMixedCell, 0, 0}));
}

TEST(CellLabels, At_scale_half_a_cell_spans_16_original_pixels_and_padding_cells_are_0) {
  // 32x16 at scale 0.5: content 16x8, padded 16x16, a 2x2 grid whose second
  // row lies wholly over the padding.
  const WorkingGeometry g = PlanGeometry({32, 16}, 0.5, 16);
  ASSERT_EQ(g.content, (Size{16, 8}));
  ASSERT_EQ(g.padded, (Size{16, 16}));
  ClassMask mask = EmptyMask(32, 16);
  Fill(mask, 0, 0, 8, 8, 1);      // cell (0,0): 64 of its 16x16 = 256: 25%
  Fill(mask, 16, 0, 32, 3, 1);    // cell (1,0): 48 +
  Fill(mask, 16, 3, 31, 4, 1);    //            15 = 63 of 256, under 25%
  EXPECT_EQ(CellClassLabels(mask, g, 2, 2), (std::vector<uint8_t>{1, kMixedCell, 0, 0}));
}

TEST(CellLabels, WorkingDefectMask_at_scale_half_samples_nearest_original_pixel) {
  // 8x4 at scale 0.5: content 4x2, padded 16x16. Working pixel w samples
  // original floor((w + 0.5) / 0.5) = 2w + 1.
  const WorkingGeometry g = PlanGeometry({8, 4}, 0.5, 16);
  ASSERT_EQ(g.content, (Size{4, 2}));
  ClassMask mask = EmptyMask(8, 4);
  mask.labels[1 * 8 + 1] = 1;  // (1,1) -> working (0,0)
  mask.labels[0 * 8 + 0] = 2;  // (0,0): never sampled
  mask.labels[3 * 8 + 5] = 2;  // (5,3) -> working (2,1), any class is a defect
  mask.labels[2 * 8 + 6] = 1;  // (6,2): never sampled
  std::vector<uint8_t> expected(16 * 16, 0);
  expected[0 * 16 + 0] = 1;
  expected[1 * 16 + 2] = 1;
  EXPECT_EQ(WorkingDefectMask(mask, g), expected);
  EXPECT_EQ(OriginalPixel(3, 0.5, 8), 7);
  EXPECT_EQ(OriginalPixel(5, 0.5, 8), 7);  // clamped to the image
}

TEST(Segmentation, DefectCutoff_is_max_of_threshold_and_relative_peak_but_never_above_peak) {
  const PixelThresholdRule rule{2.0, 0.5, 0};
  EXPECT_DOUBLE_EQ(DefectCutoff(rule, 10.0), 5.0);  // max(2, 0.5 x 10)
  EXPECT_DOUBLE_EQ(DefectCutoff(rule, 3.0), 2.0);   // max(2, 1.5)
  EXPECT_DOUBLE_EQ(DefectCutoff(rule, 1.5), 1.5);   // min(2, peak 1.5)
  EXPECT_DOUBLE_EQ(DefectCutoff({0, 0, 0}, 7.0), 0.0);
}

SegmentationModel OneClass(double threshold, double relative) {
  SegmentationModel model;
  model.classes = {{"cracked", 0x23A436}};
  model.pixel_rule = {threshold, relative, 0};
  return model;
}

PatchGrid ZeroGrid(const WorkingGeometry& g, int dim) {
  PatchGrid grid;
  grid.width = g.padded.width / kCellSize;
  grid.height = g.padded.height / kCellSize;
  grid.dim = dim;
  grid.data.assign(grid.cells() * dim, 0.0f);
  return grid;
}

TEST(Segmentation, Defect_pixels_are_those_at_or_above_the_cutoff) {
  const WorkingGeometry g = PlanGeometry({16, 16}, 1.0, 16);
  std::vector<float> map(256, 0.1f);
  map[2 * 16 + 3] = 0.5f;    // at the cutoff: defect
  map[2 * 16 + 4] = 0.9f;    // defect, same region
  map[10 * 16 + 12] = 0.7f;  // defect, another region
  map[5 * 16 + 5] = 0.49f;   // below: not
  const Segmentation s = SegmentAnomalies(map, ZeroGrid(g, 4), g, OneClass(0.5, 0));
  ASSERT_EQ(s.width, 16);
  ASSERT_EQ(s.height, 16);
  std::vector<uint8_t> expected(256, 0);
  expected[2 * 16 + 3] = expected[2 * 16 + 4] = expected[10 * 16 + 12] = 1;
  EXPECT_EQ(s.labels, expected);
  EXPECT_EQ(s.class_pixels, (std::vector<size_t>{3}));
}

TEST(Segmentation, Same_labels_on_any_thread_split) {
  // A peak in a row's unvectorized tail and another in a lane block; ranges
  // of rows run last to first, as a pool's threads might.
  const ParallelFor split = RangesLastToFirst(3);
  const WorkingGeometry g = PlanGeometry({21, 13}, 1.0, 16);
  std::vector<float> map(21 * 13);
  for (size_t i = 0; i < map.size(); ++i) map[i] = static_cast<float>((i * 7919) % 101) / 100.0f;
  map[5 * 21 + 20] = 3.0f;
  map[11 * 21 + 4] = 2.0f;
  const Segmentation one = SegmentAnomalies(map, ZeroGrid(g, 4), g, OneClass(0, 0.5));
  const Segmentation many = SegmentAnomalies(map, ZeroGrid(g, 4), g, OneClass(0, 0.5), split);
  EXPECT_EQ(one.labels[5 * 21 + 20], 1);  // the peak found in a row's tail
  EXPECT_EQ(one.labels[11 * 21 + 4], 1);  // 2.0 >= 0.5 x 3.0
  EXPECT_EQ(one.labels[0], 0);
  EXPECT_EQ(many.labels, one.labels);
  EXPECT_EQ(many.class_pixels, one.class_pixels);
}

TEST(Segmentation, Relative_rule_cuts_at_fraction_of_peak) {
  const WorkingGeometry g = PlanGeometry({16, 16}, 1.0, 16);
  std::vector<float> map(256, 0.0f);
  map[0] = 4.0f;   // peak: cutoff max(0, 0.5 x 4) = 2
  map[1] = 2.0f;   // defect
  map[2] = 1.99f;  // not
  const Segmentation s = SegmentAnomalies(map, ZeroGrid(g, 4), g, OneClass(0, 0.5));
  EXPECT_EQ(s.class_pixels, (std::vector<size_t>{2}));
  EXPECT_EQ(s.labels[0], 1);
  EXPECT_EQ(s.labels[1], 1);
  EXPECT_EQ(s.labels[2], 0);
}

TEST(Segmentation, Threshold_above_the_peak_still_marks_the_peak_pixels) {
  // An anomalous image always shows a defect: the cutoff falls to the peak.
  const WorkingGeometry g = PlanGeometry({16, 16}, 1.0, 16);
  std::vector<float> map(256, 2.9f);
  map[2 * 16 + 2] = 3.0f;
  map[9 * 16 + 9] = 3.0f;
  const Segmentation s = SegmentAnomalies(map, ZeroGrid(g, 4), g, OneClass(100.0, 0.9));
  EXPECT_EQ(s.class_pixels, (std::vector<size_t>{2}));
  EXPECT_EQ(s.labels[2 * 16 + 2], 1);
  EXPECT_EQ(s.labels[9 * 16 + 9], 1);
}

TEST(Segmentation, Region_takes_the_class_most_of_its_pixels_cells_are_nearest) {
  // 32x16 at scale 1: a 4x2 grid of 8x8 cells, 4 features a cell. Columns 0-1
  // look like class 1's bank rows (near 0), columns 2-3 like class 2's (near 10).
  const WorkingGeometry g = PlanGeometry({32, 16}, 1.0, 16);
  PatchGrid grid = ZeroGrid(g, 4);
  for (size_t c = 0; c < grid.cells(); ++c)
    if (c % 4 >= 2)
      for (int d = 0; d < 4; ++d) grid.data[c * 4 + d] = 10.0f;
  SegmentationModel model;
  model.classes = {{"cracked", 0x23A436}, {"dent", 0x3366CC}};
  model.pixel_rule = {0.5, 0, 0};
  model.class_bank = {0, 0, 0, 0,       // class 1
                      9, 10, 10, 10,    // class 2
                      1, 0, 0, 0,       // class 1
                      10, 10, 10, 11};  // class 2
  model.class_bank_labels = {0, 1, 0, 1};

  std::vector<float> map(32 * 16, 0.0f);
  // Region A: x 12..27, y 4..5. Its pixels' cells: column 1 (class 1) 4x2 = 8
  // pixels, columns 2 and 3 (class 2) 8x2 + 4x2 = 24 pixels: all of A is 2.
  for (int y = 4; y <= 5; ++y)
    for (int x = 12; x <= 27; ++x) map[y * 32 + x] = 1.0f;
  // Region B: x 1..3, y 12..13, wholly in column 0: class 1.
  for (int y = 12; y <= 13; ++y)
    for (int x = 1; x <= 3; ++x) map[y * 32 + x] = 1.0f;

  const Segmentation s = SegmentAnomalies(map, grid, g, model);
  std::vector<uint8_t> expected(32 * 16, 0);
  for (int y = 4; y <= 5; ++y)
    for (int x = 12; x <= 27; ++x) expected[y * 32 + x] = 2;
  for (int y = 12; y <= 13; ++y)
    for (int x = 1; x <= 3; ++x) expected[y * 32 + x] = 1;
  EXPECT_EQ(s.labels, expected);
  EXPECT_EQ(s.class_pixels, (std::vector<size_t>{6, 32}));
}

TEST(Segmentation, Two_classes_same_labels_on_any_thread_split) {
  // Regions across the label bands' seams (rows 32 and 64) and across the
  // classes' cells, rows split last to first as a pool's threads might.
  const WorkingGeometry g = PlanGeometry({96, 80}, 1.0, 16);
  PatchGrid grid = ZeroGrid(g, 4);
  for (size_t c = 0; c < grid.cells(); ++c)
    if (c % grid.width >= grid.width / 2)
      for (int d = 0; d < 4; ++d) grid.data[c * 4 + d] = 10.0f;
  SegmentationModel model;
  model.classes = {{"cracked", 0x23A436}, {"dent", 0x3366CC}};
  model.pixel_rule = {0.5, 0, 0};
  model.class_bank = {0, 0, 0, 0, 10, 10, 10, 10};
  model.class_bank_labels = {0, 1};
  std::vector<float> map(96 * 80, 0.0f);
  for (int y = 0; y < 80; ++y)
    for (int x = 0; x < 96; ++x) {
      const bool ring = std::abs((x - 48) * (x - 48) + (y - 40) * (y - 40) - 900) < 120;
      const bool bar = x >= 10 && x < 14 && y >= 20 && y < 70;
      const bool dots = (x * 7 + y * 13) % 29 == 0;
      if (ring || bar || dots) map[y * 96 + x] = 1.0f;
    }
  const Segmentation one = SegmentAnomalies(map, grid, g, model);
  EXPECT_GT(one.class_pixels[0], 0u);
  EXPECT_GT(one.class_pixels[1], 0u);
  for (size_t length : {1u, 3u, 7u}) {
    const Segmentation split = SegmentAnomalies(map, grid, g, model, RangesLastToFirst(length));
    EXPECT_EQ(split.labels, one.labels);
    EXPECT_EQ(split.class_pixels, one.class_pixels);
  }
}

TEST(Segmentation, Single_class_needs_no_bank) {
  // No class bank, an empty grid: every defect is of the one class.
  const WorkingGeometry g = PlanGeometry({16, 16}, 1.0, 16);
  std::vector<float> map(256, 0.0f);
  map[17] = 1.0f;
  map[200] = 1.0f;
  const Segmentation s = SegmentAnomalies(map, PatchGrid{}, g, OneClass(0.5, 0));
  EXPECT_EQ(s.class_pixels, (std::vector<size_t>{2}));
  EXPECT_EQ(s.labels[17], 1);
  EXPECT_EQ(s.labels[200], 1);
}

TEST(Segmentation, Classification_model_or_wrong_sized_map_gives_background_only) {
  const WorkingGeometry g = PlanGeometry({16, 16}, 1.0, 16);
  const std::vector<float> map(256, 1.0f);
  const Segmentation none = SegmentAnomalies(map, ZeroGrid(g, 4), g, SegmentationModel{});
  EXPECT_EQ(none.labels, std::vector<uint8_t>(256, 0));
  EXPECT_TRUE(none.class_pixels.empty());
  const Segmentation wrong = SegmentAnomalies(std::vector<float>(255, 1.0f), ZeroGrid(g, 4), g, OneClass(0.5, 0));
  EXPECT_EQ(wrong.labels, std::vector<uint8_t>(256, 0));
  EXPECT_EQ(wrong.class_pixels, (std::vector<size_t>{0}));
}

TEST(Segmentation, BackgroundOnly_is_all_zero_with_a_count_per_class) {
  const Segmentation s = BackgroundOnly(3, 2, 4);
  EXPECT_EQ(s.width, 3);
  EXPECT_EQ(s.height, 2);
  EXPECT_EQ(s.labels, std::vector<uint8_t>(6, 0));
  EXPECT_EQ(s.class_pixels, std::vector<size_t>(4, 0));
}

// --- PixelThresholdCalibration ---

// A one-row map whose content is `values` and whose padding (3 more pixels)
// scores 100, which must be ignored.
AnomalyMap RowMap(const std::vector<float>& values) {
  AnomalyMap m;
  const int w = static_cast<int>(values.size());
  m.geometry.original = m.geometry.content = {w, 1};
  m.geometry.padded = {w + 3, 1};
  m.values = values;
  m.values.insert(m.values.end(), 3, 100.0f);
  return m;
}

std::vector<uint8_t> RowMask(const std::vector<uint8_t>& mask) {
  std::vector<uint8_t> m = mask;
  m.insert(m.end(), 3, 0);
  return m;
}

struct HeldOut {
  std::vector<float> values;
  std::vector<uint8_t> mask;
};

// The mean IoU of `rule` over `images`, computed directly.
double MeanIoU(const PixelThresholdRule& rule, const std::vector<HeldOut>& images) {
  double sum = 0;
  for (const HeldOut& im : images) {
    float peak = im.values[0];
    for (float v : im.values) peak = v > peak ? v : peak;
    const float cutoff = static_cast<float>(DefectCutoff(rule, peak));
    int inter = 0, uni = 0;
    for (size_t i = 0; i < im.values.size(); ++i) {
      const bool predicted = im.values[i] >= cutoff, labelled = im.mask[i] != 0;
      inter += predicted && labelled;
      uni += predicted || labelled;
    }
    sum += uni > 0 ? static_cast<double>(inter) / uni : 0;
  }
  return sum / images.size();
}

PixelThresholdRule Calibrate(const std::vector<HeldOut>& images) {
  PixelThresholdCalibration calibration(64);
  for (const HeldOut& im : images) calibration.Add(RowMap(im.values), RowMask(im.mask));
  EXPECT_EQ(calibration.images(), images.size());
  return calibration.Best();
}

TEST(PixelThresholdCalibration, Separable_maps_reach_mean_iou_1) {
  // A: defects {0.9, 0.8} over normals {0.1, 0.2}; B: defects {0.6, 0.7}
  // over {0.3, 0.4}. The absolute threshold 0.6 (the lowest defect score,
  // a quantile candidate) separates both: IoU 1 and 1.
  const std::vector<HeldOut> images = {{{0.1f, 0.2f, 0.9f, 0.8f}, {0, 0, 1, 1}},
                                       {{0.3f, 0.6f, 0.4f, 0.7f}, {0, 1, 0, 1}}};
  const PixelThresholdRule best = Calibrate(images);
  EXPECT_DOUBLE_EQ(best.mean_iou, 1.0);
  EXPECT_EQ(best.threshold, static_cast<double>(0.6f));
  EXPECT_EQ(best.relative_to_peak, 0.0);  // ties keep the simpler rule
  EXPECT_DOUBLE_EQ(MeanIoU(best, images), 1.0);
}

TEST(PixelThresholdCalibration, Picks_relative_rule_when_a_strong_defect_has_a_shoulder) {
  // A: a strong defect {10, 9} with a smoothed shoulder {6, 6} of normal
  // pixels; B: a weak defect {2, 1.5} over {0.5, 0, 0}.
  // Absolute rules (candidates 0 and the defect scores 1.5, 2, 9, 10):
  //   t <= 1.5: A 2/4, B 2/2 -> 0.75;  t = 2: A 2/4, B 1/2 -> 0.5;
  //   t = 9: A 2/2, B cut at its peak 2 -> 1/2 -> 0.75;  t = 10: 1/2, 1/2 -> 0.5.
  // Relative 0.7 with t = 0: A cut at 7 -> 2/2; B cut at 1.4 -> 2/2: mean 1.
  // (0.6 cuts A at 6, keeping its shoulder; 0.8 cuts B at 1.6, losing 1.5.)
  const std::vector<HeldOut> images = {{{10, 9, 6, 6, 0}, {1, 1, 0, 0, 0}},  //
                                       {{2, 1.5f, 0.5f, 0, 0}, {1, 1, 0, 0, 0}}};
  for (double t : {0.0, 1.5, 2.0, 9.0, 10.0}) EXPECT_LE(MeanIoU({t, 0, 0}, images), 0.75) << t;
  const PixelThresholdRule best = Calibrate(images);
  EXPECT_DOUBLE_EQ(best.mean_iou, 1.0);
  EXPECT_DOUBLE_EQ(best.relative_to_peak, 0.7);
  EXPECT_EQ(best.threshold, 0.0);
  EXPECT_DOUBLE_EQ(MeanIoU(best, images), best.mean_iou);
}

TEST(PixelThresholdCalibration, Reported_mean_iou_is_that_of_its_rule_on_overlapping_maps) {
  // No rule is perfect here; whatever Best picks, its mean_iou must be what
  // the rule scores.
  const std::vector<HeldOut> images = {{{0.2f, 0.9f, 0.5f, 0.7f, 0.6f, 0.1f}, {0, 1, 0, 1, 1, 0}},
                                       {{0.8f, 0.3f, 0.4f, 0.35f, 0.2f, 0.45f}, {0, 0, 1, 1, 0, 1}},
                                       {{3.0f, 2.0f, 2.5f, 0.0f, 1.0f, 0.5f}, {1, 0, 1, 0, 0, 0}}};
  const PixelThresholdRule best = Calibrate(images);
  EXPECT_GT(best.mean_iou, 0.0);
  EXPECT_LT(best.mean_iou, 1.0);
  EXPECT_DOUBLE_EQ(MeanIoU(best, images), best.mean_iou);
}

TEST(PixelThresholdCalibration, Images_without_defect_pixels_are_skipped_and_none_gives_zero_rule) {
  PixelThresholdCalibration calibration(64);
  calibration.Add(RowMap({0.1f, 0.9f}), RowMask({0, 0}));
  EXPECT_EQ(calibration.images(), 0u);
  const PixelThresholdRule best = calibration.Best();
  EXPECT_EQ(best.threshold, 0.0);
  EXPECT_EQ(best.relative_to_peak, 0.0);
  EXPECT_EQ(best.mean_iou, 0.0);
}

}  // namespace
}  // namespace anomalens
