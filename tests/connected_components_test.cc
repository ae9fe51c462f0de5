// LabelConnectedComponents: 8-connectivity (diagonal contact joins), shapes
// whose labels must be merged after the first pass, raster numbering, and a
// flood-fill reference on random masks.
#include "core/image/connected_components.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "thread_splits.h"

namespace anomalens {
namespace {

// Parses rows of '#' (foreground) and '.' (background).
std::vector<uint8_t> Mask(const std::vector<std::string>& rows) {
  std::vector<uint8_t> mask;
  for (const std::string& row : rows) {
    for (char c : row) mask.push_back(c == '#' ? 1 : 0);
  }
  return mask;
}

ComponentLabels Label(const std::vector<std::string>& rows) {
  const std::vector<uint8_t> mask = Mask(rows);
  return LabelConnectedComponents(mask.data(), static_cast<int>(rows[0].size()), static_cast<int>(rows.size()));
}

// Rows of digits: the expected label of each pixel ('.' for 0).
std::vector<int32_t> Expected(const std::vector<std::string>& rows) {
  std::vector<int32_t> labels;
  for (const std::string& row : rows) {
    for (char c : row) labels.push_back(c == '.' ? 0 : c - '0');
  }
  return labels;
}

// The obvious algorithm: scan in raster order and flood-fill (with an
// explicit queue) from each unlabelled foreground pixel.
ComponentLabels FloodFillReference(const std::vector<uint8_t>& mask, int width, int height) {
  ComponentLabels result;
  result.labels.assign(mask.size(), 0);
  std::vector<std::pair<int, int>> queue;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (mask[y * width + x] == 0 || result.labels[y * width + x] != 0) continue;
      const int32_t label = ++result.count;
      result.labels[y * width + x] = label;
      queue.assign(1, {x, y});
      for (size_t head = 0; head < queue.size(); ++head) {
        const auto [cx, cy] = queue[head];
        for (int dy = -1; dy <= 1; ++dy) {
          for (int dx = -1; dx <= 1; ++dx) {
            const int nx = cx + dx;
            const int ny = cy + dy;
            if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
            const int n = ny * width + nx;
            if (mask[n] == 0 || result.labels[n] != 0) continue;
            result.labels[n] = label;
            queue.push_back({nx, ny});
          }
        }
      }
    }
  }
  return result;
}

TEST(ConnectedComponents, Component_empty_and_degenerate_inputs) {
  const ComponentLabels blank = Label({"....", "...."});
  EXPECT_EQ(blank.count, 0);
  EXPECT_EQ(blank.labels, std::vector<int32_t>(8, 0));
  const uint8_t one = 1;
  EXPECT_EQ(LabelConnectedComponents(nullptr, 4, 4).count, 0);
  EXPECT_TRUE(LabelConnectedComponents(nullptr, 4, 4).labels.empty());
  EXPECT_TRUE(LabelConnectedComponents(&one, 0, 1).labels.empty());
  EXPECT_TRUE(LabelConnectedComponents(&one, 1, -1).labels.empty());
  const ComponentLabels single = LabelConnectedComponents(&one, 1, 1);
  EXPECT_EQ(single.count, 1);
  EXPECT_EQ(single.labels, std::vector<int32_t>{1});
}

TEST(ConnectedComponents, Component_diagonal_contact_joins) {
  // Both diagonals: north-west and north-east neighbours.
  const ComponentLabels down = Label({"#..", ".#.", "..#"});
  EXPECT_EQ(down.count, 1);
  EXPECT_EQ(down.labels, Expected({"1..", ".1.", "..1"}));
  const ComponentLabels up = Label({"..#", ".#.", "#.."});
  EXPECT_EQ(up.count, 1);
  EXPECT_EQ(up.labels, Expected({"..1", ".1.", "1.."}));
  // A checkerboard is one component under 8-connectivity.
  const ComponentLabels board = Label({"#.#.#", ".#.#.", "#.#.#", ".#.#."});
  EXPECT_EQ(board.count, 1);
}

TEST(ConnectedComponents, Component_gaps_separate) {
  const ComponentLabels parts = Label({"#.#", "...", "#.#"});
  EXPECT_EQ(parts.count, 4);
  EXPECT_EQ(parts.labels, Expected({"1.2", "...", "3.4"}));
}

TEST(ConnectedComponents, Component_numbered_in_raster_order_of_first_pixel) {
  // The component whose first pixel comes first in raster order is 1, even
  // when another component reaches further up or left elsewhere.
  const ComponentLabels labels = Label({"...#.", "#..#.", "#....", "#..##"});
  EXPECT_EQ(labels.count, 3);
  EXPECT_EQ(labels.labels, Expected({"...1.", "2..1.", "2....", "2..33"}));
}

TEST(ConnectedComponents, Component_u_shapes_merge_labels) {
  // The two arms get different provisional labels, joined at the bottom.
  const ComponentLabels u = Label({"#...#", "#...#", "#####"});
  EXPECT_EQ(u.count, 1);
  EXPECT_EQ(u.labels, Expected({"1...1", "1...1", "11111"}));
  // A comb: five prongs merged by one bar, then a separate dot; the merges
  // chain through several roots before the dot is numbered.
  const ComponentLabels comb = Label({"#.#.#.#.#", "#.#.#.#.#", "#########", ".........", "#........"});
  EXPECT_EQ(comb.count, 2);
  EXPECT_EQ(comb.labels[4 * 9], 2);
  // Arms that meet only diagonally, through (3, 2).
  const ComponentLabels w = Label({"#.#..", "#.#..", "#..#.", "###.#"});
  EXPECT_EQ(w.count, 1);
  // A staircase whose later rows merge earlier labels into the smallest.
  const ComponentLabels stairs = Label({"#...#...#", "#...#...#", "#..#...#.", "####..#..", "...####.."});
  EXPECT_EQ(stairs.count, 1);
}

TEST(ConnectedComponents, Component_long_snake_needs_no_recursion) {
  // A one-pixel serpentine through a 512x512 image: a quarter million
  // pixels in one path, which a recursive fill would need as stack depth.
  const int side = 512;
  std::vector<uint8_t> mask(side * side, 0);
  for (int y = 0; y < side; y += 2) {
    for (int x = 0; x < side; ++x) mask[y * side + x] = 1;
    if (y + 1 < side) mask[(y + 1) * side + ((y / 2) % 2 == 0 ? side - 1 : 0)] = 1;
  }
  const ComponentLabels labels = LabelConnectedComponents(mask.data(), side, side);
  EXPECT_EQ(labels.count, 1);
}

TEST(ConnectedComponents, Component_matches_flood_fill_on_random_masks) {
  std::mt19937 random(2024);
  for (int trial = 0; trial < 200; ++trial) {
    const int width = 1 + static_cast<int>(random() % 40);
    const int height = 1 + static_cast<int>(random() % 100);  // up to 4 bands (kLabelBandRows 32)
    const uint32_t density = 20 + random() % 60;  // percent foreground
    std::vector<uint8_t> mask(static_cast<size_t>(width) * height);
    for (uint8_t& m : mask) m = random() % 100 < density ? static_cast<uint8_t>(1 + random() % 255) : 0;
    const ComponentLabels expected = FloodFillReference(mask, width, height);
    const ComponentLabels actual = LabelConnectedComponents(mask.data(), width, height);
    ASSERT_EQ(actual.count, expected.count) << "trial " << trial;
    ASSERT_EQ(actual.labels, expected.labels) << "trial " << trial;
  }
}

TEST(ConnectedComponents, Same_labels_on_any_thread_split_across_band_seams) {
  // Shapes that cross the bands' seams (a U whose arms meet only below the
  // seam, a diagonal touching the seam at a corner, a long snake through
  // every band) and random masks; bands run last to first in ranges of 1
  // and 3, as a pool's threads might. Each split must give the labels of
  // no hook and of the flood fill.
  std::mt19937 random(77);
  for (int trial = 0; trial < 60; ++trial) {
    const int width = 1 + static_cast<int>(random() % 70);
    const int height = 1 + static_cast<int>(random() % (5 * kLabelBandRows));
    std::vector<uint8_t> mask(static_cast<size_t>(width) * height, 0);
    const uint32_t density = 10 + random() % 70;
    for (uint8_t& m : mask) m = random() % 100 < density ? 1 : 0;
    if (trial % 3 == 0) {
      for (int y = 0; y < height; ++y) {  // a U: two columns joined on the last row
        mask[static_cast<size_t>(y) * width] = 1;
        mask[static_cast<size_t>(y) * width + width - 1] = 1;
      }
      for (int x = 0; x < width; ++x) mask[static_cast<size_t>(height - 1) * width + x] = 1;
    } else if (trial % 3 == 1) {
      for (int y = 0; y < height; ++y) mask[static_cast<size_t>(y) * width + (y % width)] = 1;  // diagonals
    }
    const ComponentLabels expected = FloodFillReference(mask, width, height);
    const ComponentLabels alone = LabelConnectedComponents(mask.data(), width, height);
    ASSERT_EQ(alone.count, expected.count) << "trial " << trial;
    ASSERT_EQ(alone.labels, expected.labels) << "trial " << trial;
    for (size_t length : {1u, 3u}) {
      const ComponentLabels split = LabelConnectedComponents(mask.data(), width, height, RangesLastToFirst(length));
      ASSERT_EQ(split.count, alone.count) << "trial " << trial;
      ASSERT_EQ(split.labels, alone.labels) << "trial " << trial;
    }
  }
}

}  // namespace
}  // namespace anomalens
