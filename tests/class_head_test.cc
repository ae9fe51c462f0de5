// ClassHead: the per-class regressions learned from masks name each class
// from the inputs that set it apart, fit the same numbers every time, stay
// disabled without every class, and, in a model that has them, name a
// region's type in place of the class memory.
#include <gtest/gtest.h>

#include <random>

#include "core/features/working_geometry.h"
#include "core/segmentation/class_head.h"
#include "core/segmentation/segmentation.h"

namespace anomalens {
namespace {

// Rows of `dim` noisy inputs; class k (of `classes`, in turn) has input k
// shifted by +3, the rest is noise. Labels 0-based.
void ClassBlobs(int dim, int classes, size_t count, uint32_t seed, std::vector<float>* rows,
                std::vector<uint8_t>* labels) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  for (size_t i = 0; i < count; ++i) {
    const int k = static_cast<int>(i % classes);
    labels->push_back(static_cast<uint8_t>(k));
    for (int d = 0; d < dim; ++d) rows->push_back(noise(rng) + (d == k ? 3.0f : 0.0f));
  }
}

TEST(ClassHead, NamesEachClassByTheInputThatSetsItApart) {
  std::vector<float> rows, test_rows;
  std::vector<uint8_t> labels, test_labels;
  ClassBlobs(5, 3, 600, 1, &rows, &labels);
  ClassBlobs(5, 3, 600, 2, &test_rows, &test_labels);
  const ClassHead head = FitClassHead(rows, labels, 5, 3);
  ASSERT_TRUE(head.enabled());
  ASSERT_EQ(head.classes.size(), 3u);
  for (int k = 0; k < 3; ++k) EXPECT_GT(head.classes[k].weights[k], 2 * std::abs(head.classes[k].weights[4]));
  const std::vector<uint8_t> names = ClassHeadNames(head, test_rows);
  ASSERT_EQ(names.size(), test_labels.size());
  size_t right = 0;
  for (size_t i = 0; i < names.size(); ++i) right += names[i] == test_labels[i];
  // Two inputs 3 sd apart: about 1 in 20 is nearer the wrong class.
  EXPECT_GT(right, names.size() * 85 / 100);
}

TEST(ClassHead, FitsTheSameNumbersEveryTime) {
  std::vector<float> rows;
  std::vector<uint8_t> labels;
  ClassBlobs(4, 2, 300, 3, &rows, &labels);
  const ClassHead a = FitClassHead(rows, labels, 4, 2), b = FitClassHead(rows, labels, 4, 2);
  ASSERT_TRUE(a.enabled());
  ASSERT_EQ(a.classes.size(), b.classes.size());
  for (size_t k = 0; k < a.classes.size(); ++k) {
    EXPECT_EQ(a.classes[k].weights, b.classes[k].weights);
    EXPECT_EQ(a.classes[k].bias, b.classes[k].bias);
    EXPECT_EQ(a.classes[k].mean, b.classes[k].mean);
    EXPECT_EQ(a.classes[k].scale, b.classes[k].scale);
  }
}

TEST(ClassHead, DisabledWithOneClassOrAClassWithoutRows) {
  std::vector<float> rows;
  std::vector<uint8_t> labels;
  ClassBlobs(4, 2, 100, 4, &rows, &labels);
  EXPECT_FALSE(FitClassHead(rows, labels, 4, 1).enabled());
  EXPECT_FALSE(FitClassHead(rows, labels, 4, 3).enabled());  // class 2 has no rows
  EXPECT_FALSE(FitClassHead(std::vector<float>(rows.begin(), rows.end() - 1), labels, 4, 2).enabled());
  EXPECT_TRUE(ClassHeadNames(ClassHead{}, rows).empty());
}

// 32x16 at scale 1: a 4x2 grid of 8x8 cells, 4 features a cell; columns 0-1
// near 0, columns 2-3 near 10. The class memory says 0 is "dent" and 10
// "cracked"; the head learned the opposite, and names the regions.
TEST(ClassHead, NamesTheRegionsInPlaceOfTheClassMemory) {
  const WorkingGeometry g = PlanGeometry({32, 16}, 1.0, 16);
  PatchGrid grid{g.padded.width / 8, g.padded.height / 8, 4, {}};
  grid.data.assign(grid.cells() * 4, 0.0f);
  for (size_t c = 0; c < grid.cells(); ++c)
    if (c % 4 >= 2)
      for (int d = 0; d < 4; ++d) grid.data[c * 4 + d] = 10.0f;
  SegmentationModel model;
  model.classes = {{"cracked", 0x23A436}, {"dent", 0x3366CC}};
  model.pixel_rule = {0.5, 0, 0};
  model.class_bank = {0, 0, 0, 0, 10, 10, 10, 10};
  model.class_bank_labels = {1, 0};
  std::vector<float> rows;
  std::vector<uint8_t> labels;
  for (int i = 0; i < 20; ++i) {
    const float v = i % 2 ? 10.0f + 0.1f * i : 0.1f * i;
    for (int d = 0; d < 4; ++d) rows.push_back(v + 0.05f * d);
    labels.push_back(i % 2 ? 1 : 0);  // near 0: cracked (0); near 10: dent (1)
  }
  std::vector<float> map(32 * 16, 0.0f);
  for (int y = 2; y <= 5; ++y)
    for (int x = 1; x <= 5; ++x) map[y * 32 + x] = 1.0f;  // in column 0
  for (int y = 10; y <= 13; ++y)
    for (int x = 20; x <= 28; ++x) map[y * 32 + x] = 1.0f;  // in columns 2-3
  const Segmentation by_memory = SegmentAnomalies(map, grid, g, model);
  EXPECT_EQ(by_memory.labels[3 * 32 + 3], 2);
  EXPECT_EQ(by_memory.labels[12 * 32 + 24], 1);
  model.class_head = FitClassHead(rows, labels, 4, 2);
  ASSERT_TRUE(model.class_head.enabled());
  const Segmentation by_head = SegmentAnomalies(map, grid, g, model);
  EXPECT_EQ(by_head.labels[3 * 32 + 3], 1);
  EXPECT_EQ(by_head.labels[12 * 32 + 24], 2);
  EXPECT_EQ(by_head.class_pixels, (std::vector<size_t>{20, 36}));
}

}  // namespace
}  // namespace anomalens
