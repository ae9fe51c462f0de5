#include "core/segmentation/segmentation.h"

#include <algorithm>
#include <limits>

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
  Segmentation s = BackgroundOnly(width, height, model.classes.size());
  if (model.classes.empty() || original_map.size() != s.labels.size() || s.labels.empty()) return s;

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
  std::vector<uint8_t> defect(s.labels.size());
  parallel(height, [&](size_t y0, size_t y1) {
    for (size_t i = y0 * width; i < y1 * width; ++i) defect[i] = original_map[i] >= threshold;
  });

  // Each defect pixel votes with its cell's class for its region's class.
  const ComponentLabels regions = LabelConnectedComponents(defect.data(), width, height);
  std::vector<uint8_t> region_class(regions.count + 1, 1);
  if (model.classes.size() > 1) {
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
    const size_t classes = model.classes.size();
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
  }
  for (size_t i = 0; i < s.labels.size(); ++i) {
    const int32_t r = regions.labels[i];
    if (r == 0) continue;
    s.labels[i] = region_class[r];
    ++s.class_pixels[region_class[r] - 1];
  }
  return s;
}

}  // namespace anomalens
