// What a label mask says about the patch grid: which class each feature cell
// shows, and which working-grid pixels are defects. Segmentation training
// learns from these; the mask itself is at the original resolution.
#ifndef ANOMALENS_CORE_SEGMENTATION_CELL_LABELS_H_
#define ANOMALENS_CORE_SEGMENTATION_CELL_LABELS_H_

#include <cstdint>
#include <vector>

#include "core/features/working_geometry.h"
#include "core/lookout/class_mask.h"

namespace anomalens {

// Working pixels a patch-grid cell spans (the stride of block_5).
constexpr int kCellSize = 8;

// A cell whose defect pixels cover less than this fraction of it, or which
// no one class dominates, is too mixed to teach what a class looks like.
constexpr double kMinCellCoverage = 0.25;
constexpr uint8_t kMixedCell = 255;

// For each cell of a grid_width x grid_height patch grid on `geometry`'s
// padded working grid: 0 when its original pixels hold no defect, the class
// (1..) covering the largest part of it when that part is at least
// kMinCellCoverage, kMixedCell otherwise. Cells over the padding are 0.
std::vector<uint8_t> CellClassLabels(const ClassMask& mask, const WorkingGeometry& geometry, int grid_width,
                                     int grid_height);

// The defect mask sampled onto the padded working grid (nearest original
// pixel to each working pixel's centre; the padding is 0): 1 defect, 0 not.
std::vector<uint8_t> WorkingDefectMask(const ClassMask& mask, const WorkingGeometry& geometry);

// The original pixel nearest the centre of working pixel `w` (one axis).
int OriginalPixel(int w, double scale, int original_size);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SEGMENTATION_CELL_LABELS_H_
