#include "core/segmentation/segmentation.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "core/image/connected_components.h"
#include "core/scoring/nearest_neighbor.h"
#include "core/segmentation/cell_labels.h"

namespace anomalens {
namespace {

// The class (1..) of each listed cell: the class whose memory holds its
// nearest labelled feature.
std::vector<uint8_t> NearestClasses(const PatchGrid& grid, const std::vector<size_t>& cells,
                                    const SegmentationModel& model) {
  const int dim = grid.dim;
  std::vector<float> queries;
  queries.reserve(cells.size() * dim);
  for (size_t c : cells) queries.insert(queries.end(), grid.cell(c), grid.cell(c) + dim);
  std::vector<float> best(cells.size(), std::numeric_limits<float>::infinity());
  std::vector<uint8_t> out(cells.size(), 1);
  for (size_t k = 0; k < model.classes.size(); ++k) {
    std::vector<float> rows;
    for (size_t r = 0; r < model.class_bank_labels.size(); ++r) {
      if (model.class_bank_labels[r] == k) rows.insert(rows.end(), &model.class_bank[r * dim], &model.class_bank[(r + 1) * dim]);
    }
    if (rows.empty()) continue;
    const NearestNeighborIndex index(rows.data(), rows.size() / dim, dim);
    const std::vector<float> d = index.MinDistances(queries.data(), cells.size());
    for (size_t i = 0; i < cells.size(); ++i) {
      if (d[i] < best[i]) best[i] = d[i], out[i] = static_cast<uint8_t>(k + 1);
    }
  }
  return out;
}

}  // namespace

std::vector<uint8_t> CellClasses(const PatchGrid& grid, const std::vector<size_t>& cells,
                                 const SegmentationModel& model) {
  if (!model.class_head.enabled() || model.class_head.classes[0].dim() != grid.dim)
    return NearestClasses(grid, cells, model);
  std::vector<float> rows;
  rows.reserve(cells.size() * grid.dim);
  for (size_t c : cells) rows.insert(rows.end(), grid.cell(c), grid.cell(c) + grid.dim);
  std::vector<uint8_t> out = ClassHeadNames(model.class_head, rows);
  for (uint8_t& k : out) ++k;
  return out;
}

Segmentation BackgroundOnly(int width, int height, size_t classes) {
  Segmentation s;
  s.width = width;
  s.height = height;
  s.labels.assign(static_cast<size_t>(width) * height, 0);
  s.class_pixels.assign(classes, 0);
  return s;
}

Segmentation SegmentAnomalies(const std::vector<float>& original_map, const PatchGrid& grid,
                              const WorkingGeometry& geometry, const SegmentationModel& model,
                              const ParallelFor& parallel) {
  const int width = geometry.original.width, height = geometry.original.height;
  const size_t pixels = static_cast<size_t>(width) * height;
  if (model.classes.empty() || original_map.size() != pixels || pixels == 0) {
    return BackgroundOnly(width, height, model.classes.size());
  }
  // The labels are filled below (no zero fill of a plane about to be overwritten).
  Segmentation s;
  s.width = width;
  s.height = height;
  s.class_pixels.assign(model.classes.size(), 0);

  // The peak: each row's in lanes the compiler vectorizes, then the rows'.
  // (The largest value is the same whichever order finds it; the map holds
  // no NaN.)
  std::vector<float> row_peak(height);
  parallel(height, [&](size_t y0, size_t y1) {
    constexpr int kLanes = 8;
    for (size_t y = y0; y < y1; ++y) {
      const float* row = &original_map[y * width];
      float lane[kLanes];
      for (int j = 0; j < kLanes; ++j) lane[j] = row[0];
      int x = 0;
      for (; x + kLanes <= width; x += kLanes)
        for (int j = 0; j < kLanes; ++j) lane[j] = std::max(lane[j], row[x + j]);
      for (; x < width; ++x) lane[0] = std::max(lane[0], row[x]);
      row_peak[y] = *std::max_element(lane, lane + kLanes);
    }
  });
  const float peak = *std::max_element(row_peak.begin(), row_peak.end());
  const float threshold = static_cast<float>(DefectCutoff(model.pixel_rule, peak));
  std::vector<uint8_t> defect(pixels);
  // Blocks of rows, fixed whatever the threads: each block counts its
  // defect pixels (integers, so any order gives the same sum).
  constexpr size_t kBlockRows = 32;
  const size_t blocks = (static_cast<size_t>(height) + kBlockRows - 1) / kBlockRows;
  std::vector<size_t> block_defects(blocks, 0);
  parallel(blocks, [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) {
      const size_t begin = b * kBlockRows * width;
      const size_t end = std::min(static_cast<size_t>(height), (b + 1) * kBlockRows) * width;
      // Two plain loops the compiler vectorizes (one that stored and
      // counted at once ran a pixel a step).
      const float* map = original_map.data();
      uint8_t* marks = defect.data();
      for (size_t i = begin; i < end; ++i) marks[i] = map[i] >= threshold;
      size_t defects = 0;
      for (size_t i = begin; i < end; ++i) defects += marks[i];
      block_defects[b] = defects;
    }
  });
  if (model.classes.size() == 1) {
    // One class: every region is that class, so the labels are the defect
    // pixels themselves (no regions to find).
    s.labels = std::move(defect);
    for (size_t d : block_defects) s.class_pixels[0] += d;
    return s;
  }

  // Each defect pixel votes with its cell's class for its region's class.
  const ComponentLabels regions = LabelConnectedComponents(defect.data(), width, height, parallel);
  const size_t classes = model.classes.size();
  std::vector<uint8_t> region_class(regions.count + 1, 1);
  std::vector<int> column(width), row(height);
  for (int x = 0; x < width; ++x)
    column[x] = std::min(static_cast<int>((x + 0.5) * geometry.scale), geometry.content.width - 1) / kCellSize;
  for (int y = 0; y < height; ++y)
    row[y] = std::min(static_cast<int>((y + 0.5) * geometry.scale), geometry.content.height - 1) / kCellSize;
  std::vector<int32_t> cell_slot(grid.cells(), -1);
  std::vector<size_t> cells;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      if (!defect[static_cast<size_t>(y) * width + x]) continue;
      const size_t c = static_cast<size_t>(row[y]) * grid.width + column[x];
      if (cell_slot[c] < 0) cell_slot[c] = static_cast<int32_t>(cells.size()), cells.push_back(c);
    }
  const std::vector<uint8_t> cell_class = CellClasses(grid, cells, model);
  std::vector<size_t> votes((regions.count + 1) * classes, 0);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const int32_t r = regions.labels[static_cast<size_t>(y) * width + x];
      if (r == 0) continue;
      const size_t c = static_cast<size_t>(row[y]) * grid.width + column[x];
      ++votes[r * classes + cell_class[cell_slot[c]] - 1];
    }
  for (int r = 1; r <= regions.count; ++r) {
    const size_t* v = &votes[r * classes];
    region_class[r] = static_cast<uint8_t>(std::max_element(v, v + classes) - v + 1);
  }
  s.labels.assign(pixels, 0);
  std::vector<size_t> block_pixels(blocks * classes, 0);
  parallel(blocks, [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) {
      const size_t end = std::min(static_cast<size_t>(height), (b + 1) * kBlockRows) * width;
      size_t* pixels = &block_pixels[b * classes];
      for (size_t i = b * kBlockRows * width; i < end; ++i) {
        const int32_t r = regions.labels[i];
        if (r == 0) continue;
        s.labels[i] = region_class[r];
        ++pixels[region_class[r] - 1];
      }
    }
  });
  for (size_t b = 0; b < blocks; ++b)
    for (size_t k = 0; k < classes; ++k) s.class_pixels[k] += block_pixels[b * classes + k];
  return s;
}

}  // namespace anomalens
