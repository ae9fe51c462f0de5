// DefectHead: the logistic regression learned from masks separates what it
// can, weighs a rare class fully, fits the same numbers every time, stays
// disabled without both classes, gates a map cell by cell, and gives detect
// the same probabilities without building the rows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "core/segmentation/defect_head.h"
#include "thread_splits.h"

namespace anomalens {
namespace {

// Rows of `dim` inputs: defects (1 in 20) have input 0 shifted by +2, the
// rest is noise the head must learn to ignore.
void Blobs(int dim, size_t count, std::vector<float>* rows, std::vector<uint8_t>* labels, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  for (size_t i = 0; i < count; ++i) {
    const uint8_t defect = i % 20 == 0;
    labels->push_back(defect);
    for (int d = 0; d < dim; ++d) rows->push_back(noise(rng) * (d == 0 ? 0.5f : 3.0f) + (d == 0 && defect ? 2.0f : 0.0f));
  }
}

TEST(DefectHead, SeparatesARareClassOnItsOneInformativeInput) {
  std::vector<float> rows, test_rows;
  std::vector<uint8_t> labels, test_labels;
  Blobs(6, 2000, &rows, &labels, 1);
  Blobs(6, 2000, &test_rows, &test_labels, 2);
  const DefectHead head = FitDefectHead(rows, labels, 6);
  ASSERT_TRUE(head.enabled());
  EXPECT_GT(head.weights[0], 4 * std::abs(head.weights[1]));
  const std::vector<float> p = DefectProbabilities(head, test_rows);
  ASSERT_EQ(p.size(), test_labels.size());
  // Balanced classes: most defects above one half, most others below.
  size_t hits = 0, defects = 0, false_alarms = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (test_labels[i]) {
      defects++;
      hits += p[i] > 0.5f;
    } else {
      false_alarms += p[i] > 0.5f;
    }
  }
  EXPECT_GT(hits, defects * 9 / 10);
  EXPECT_LT(false_alarms, (p.size() - defects) / 10);
}

TEST(DefectHead, FitsTheSameNumbersEveryTime) {
  std::vector<float> rows;
  std::vector<uint8_t> labels;
  Blobs(5, 500, &rows, &labels, 3);
  const DefectHead a = FitDefectHead(rows, labels, 5), b = FitDefectHead(rows, labels, 5);
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.bias, b.bias);
  EXPECT_EQ(a.mean, b.mean);
  EXPECT_EQ(a.scale, b.scale);
}

TEST(DefectHead, DisabledWithoutBothClassesOrWithMismatchedRows) {
  EXPECT_FALSE(FitDefectHead({1, 2, 3, 4}, {0, 0}, 2).enabled());
  EXPECT_FALSE(FitDefectHead({1, 2, 3, 4}, {1, 1}, 2).enabled());
  EXPECT_FALSE(FitDefectHead({1, 2, 3}, {0, 1}, 2).enabled());
  EXPECT_TRUE(FitDefectHead({1, 2, 3, 4}, {0, 1}, 2).enabled());
}

TEST(DefectHead, InputsAreFeaturesThenTheThreeDistances) {
  PatchGrid grid;
  grid.width = 2, grid.height = 1, grid.dim = kPatchFeatureDim;
  for (int i = 0; i < 2 * kPatchFeatureDim; ++i) grid.data.push_back(static_cast<float>(i));
  const std::vector<float> in = DefectHeadInputs(grid, nullptr, {5, 6}, {}, {});
  ASSERT_EQ(in.size(), 2u * kDefectHeadInputs);
  EXPECT_EQ(in[kPatchFeatureDim - 1], kPatchFeatureDim - 1);
  // No anomaly bank: 0; no clean bank: the normal distance.
  EXPECT_EQ(in[kPatchFeatureDim], 5);
  EXPECT_EQ(in[kPatchFeatureDim + 1], 0);
  EXPECT_EQ(in[kPatchFeatureDim + 2], 5);
  const std::vector<float> with = DefectHeadInputs(grid, nullptr, {5, 6}, {7, 8}, {1, 2});
  EXPECT_EQ(with[kDefectHeadInputs + kPatchFeatureDim + 1], 8);
  EXPECT_EQ(with[kDefectHeadInputs + kPatchFeatureDim + 2], 2);
  EXPECT_TRUE(DefectHeadInputs(grid, nullptr, {5}, {}, {}).empty()) << "distances for another grid";
}

TEST(DefectHead, StrideFourInputsAreTheCellsOwnFeaturesThenItsStrideEightCells) {
  PatchGrid grid, fine;
  grid.width = 2, grid.height = 1, grid.dim = kPatchFeatureDim;
  grid.data.assign(2 * kPatchFeatureDim, 0.0f);
  grid.data[kPatchFeatureDim] = 9;  // the right stride-8 cell's first feature
  fine.width = 4, fine.height = 2, fine.dim = kStride4Features;
  for (int i = 0; i < 8 * kStride4Features; ++i) fine.data.push_back(static_cast<float>(i));
  const std::vector<float> in = DefectHeadInputs(grid, &fine, {5, 6}, {}, {});
  ASSERT_EQ(in.size(), 8u * kFineDefectHeadInputs);
  // Stride-4 cell (3, 1): its own features, then stride-8 cell (1, 0)'s.
  const float* row = &in[7 * kFineDefectHeadInputs];
  EXPECT_EQ(row[0], 7 * kStride4Features);
  EXPECT_EQ(row[kStride4Features], 9);
  EXPECT_EQ(row[kStride4Features + kPatchFeatureDim], 6);
  // Stride-4 cell (1, 1) lies in stride-8 cell (0, 0).
  EXPECT_EQ(in[5 * kFineDefectHeadInputs + kStride4Features + kPatchFeatureDim], 5);
  fine.width = 3;
  EXPECT_TRUE(DefectHeadInputs(grid, &fine, {5, 6}, {}, {}).empty()) << "a stride-4 grid of another size";
}

// A head with random weights, means and scales of `dim` inputs.
DefectHead RandomHead(int dim, std::mt19937& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  DefectHead head;
  for (int d = 0; d < dim; ++d) {
    head.mean.push_back(normal(rng));
    head.scale.push_back(0.2 + std::abs(normal(rng)));
    head.weights.push_back(0.3 * normal(rng));
  }
  head.bias = normal(rng);
  return head;
}

PatchGrid RandomGrid(int width, int height, int dim, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 2.0f);
  PatchGrid grid;
  grid.width = width, grid.height = height, grid.dim = dim;
  for (int i = 0; i < width * height * dim; ++i) grid.data.push_back(normal(rng));
  return grid;
}

TEST(DefectHead, CellProbabilitiesAreTheRowsProbabilitiesBitForBit) {
  // Uneven ranges run last to first, as a pool's threads might.
  const ParallelFor split = RangesLastToFirst(5);
  std::mt19937 rng(19);
  std::uniform_real_distribution<float> distance(0.0f, 4.0f);
  for (const auto& [width, height] : {std::pair{7, 3}, std::pair{4, 5}, std::pair{1, 1}}) {
    const PatchGrid grid = RandomGrid(width, height, kPatchFeatureDim, rng);
    const PatchGrid fine = RandomGrid(2 * width, 2 * height, kStride4Features, rng);
    std::vector<float> normal, anomaly, clean;
    for (int c = 0; c < width * height; ++c) {
      normal.push_back(distance(rng)), anomaly.push_back(distance(rng)), clean.push_back(distance(rng));
    }
    for (const bool stride4 : {false, true}) {
      const DefectHead head = RandomHead(stride4 ? kFineDefectHeadInputs : kDefectHeadInputs, rng);
      const PatchGrid* f = stride4 ? &fine : nullptr;
      for (const bool banks : {false, true}) {
        const std::vector<float> a = banks ? anomaly : std::vector<float>(), c = banks ? clean : std::vector<float>();
        const std::vector<float> want = DefectProbabilities(head, DefectHeadInputs(grid, f, normal, a, c));
        ASSERT_EQ(want.size(), static_cast<size_t>(width * height * (stride4 ? 4 : 1)));
        for (const ParallelFor& parallel : {ParallelFor{}, split}) {
          const std::vector<float> got = CellDefectProbabilities(head, grid, f, normal, a, c, parallel);
          ASSERT_EQ(got.size(), want.size());
          EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float)))
              << width << "x" << height << (stride4 ? " stride 4" : " stride 8") << (banks ? " with banks" : "");
        }
      }
      // A head of the other layout's size gives no probabilities.
      EXPECT_TRUE(CellDefectProbabilities(head, grid, stride4 ? nullptr : &fine, normal, {}, {}).empty());
    }
  }
}

TEST(DefectHead, GatesTheMapByItsProbabilities) {
  // A head that says "defect" for cells whose last input is high.
  DefectHead head;
  head.mean.assign(kDefectHeadInputs, 0.0);
  head.scale.assign(kDefectHeadInputs, 1.0);
  head.weights.assign(kDefectHeadInputs, 0.0);
  head.weights.back() = 20.0;
  head.bias = -10.0;
  PatchGrid grid;
  grid.width = 2, grid.height = 1, grid.dim = kPatchFeatureDim;
  grid.data.assign(2 * kPatchFeatureDim, 0.0f);
  const std::vector<float> in = DefectHeadInputs(grid, nullptr, {0, 1}, {}, {});
  AnomalyMap map;
  map.geometry.original = map.geometry.content = map.geometry.padded = {16, 8};
  map.values.assign(16 * 8, 3.0f);
  GateByDefectHead(head, in, 2, 1, 0.0f, &map);
  EXPECT_LT(map.values[0], 0.01f);          // left cell: probability sigmoid(-10)
  EXPECT_NEAR(map.values[15], 3.0f, 0.01f);  // right cell: sigmoid(10)
}

}  // namespace
}  // namespace anomalens
