// DefectHead: a logistic regression learned from a segmentation model's
// masks, saying how likely a cell is to be labelled a defect from its patch
// features and its distances to the model's banks (issue 19). The anomaly
// map says "unlike normal"; the head says "like what the labeller marked",
// which is what the mask is judged against.
//
// Fitting is deterministic: standardized inputs, classes weighed equally,
// L2-regularized, a fixed number of Nesterov-accelerated gradient steps in
// double with a fixed summation order, so every target fits the same head.
#ifndef ANOMALENS_CORE_SEGMENTATION_DEFECT_HEAD_H_
#define ANOMALENS_CORE_SEGMENTATION_DEFECT_HEAD_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/base/parallel.h"
#include "core/features/patch_features.h"
#include "core/scoring/anomaly_map.h"

namespace anomalens {

// The head's inputs a cell: its patch features, then its distances to the
// normal bank, to the anomaly bank, and to the nearer of the normal and
// clean banks. A head on the stride-4 grid reads each stride-4 cell's own
// features (ExtractStride4Features) first, then its stride-8 cell's inputs.
constexpr int kDefectHeadInputs = kPatchFeatureDim + 3;
constexpr int kFineDefectHeadInputs = kStride4Features + kDefectHeadInputs;

struct DefectHead {
  std::vector<double> mean, scale;  // per input: standardized as (x - mean) * scale
  std::vector<double> weights;      // per input
  double bias = 0;
  bool enabled() const { return !weights.empty(); }
  int dim() const { return static_cast<int>(weights.size()); }
};

// rows: count x dim floats; labels: 1 defect, 0 not. Returns a disabled head
// when either class is missing.
DefectHead FitDefectHead(const std::vector<float>& rows, const std::vector<uint8_t>& labels, int dim);

// The defect probability of each row (count = rows.size() / head.dim()).
std::vector<float> DefectProbabilities(const DefectHead& head, const std::vector<float>& rows);

// The inputs of every cell of `grid` (kDefectHeadInputs floats a cell), from
// its distances (ScoredImage): an empty `anomaly` counts as 0 (no anomaly
// bank), an empty `clean` as `normal` (no clean bank).
// With `fine` (the stride-4 grid of the same image), a row per stride-4
// cell of kFineDefectHeadInputs floats.
std::vector<float> DefectHeadInputs(const PatchGrid& grid, const PatchGrid* fine, const std::vector<float>& normal,
                                    const std::vector<float>& anomaly, const std::vector<float>& clean);

// DefectProbabilities(head, DefectHeadInputs(grid, fine, normal, anomaly,
// clean)), the same floats, without the rows: each input's term of the
// head's sum, weight * (x - mean) * scale, is computed once (a stride-8
// cell's terms serve its four stride-4 cells) and the terms are added in
// input order, as DefectProbabilities adds them. Empty when the head's size
// is not the inputs' (kFineDefectHeadInputs with `fine`, else
// kDefectHeadInputs) or DefectHeadInputs would give no rows. `parallel`:
// cells on the platform's threads; the same floats.
std::vector<float> CellDefectProbabilities(const DefectHead& head, const PatchGrid& grid, const PatchGrid* fine,
                                           const std::vector<float>& normal, const std::vector<float>& anomaly,
                                           const std::vector<float>& clean, const ParallelFor& parallel = {});

// Gates the segmentation map: each pixel times the head's defect
// probability there, the cells' probabilities upsampled and smoothed as the
// map's scores were (sigma in working pixels). The map keeps its units, so
// the pixel rule's absolute part still means "this anomalous", and a defect
// the head was never shown is dimmed, not erased.
void GateByDefectHead(const DefectHead& head, const std::vector<float>& inputs, int grid_width, int grid_height,
                      float smoothing_sigma, AnomalyMap* map);

// The same gate from the cells' probabilities (grid_width x grid_height of
// them; otherwise the map is left as it is). `parallel`: the gate map's
// upsampling and smoothing rows; the same floats.
void GateByDefectProbabilities(const std::vector<float>& probabilities, int grid_width, int grid_height,
                               float smoothing_sigma, AnomalyMap* map, const ParallelFor& parallel = {});

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SEGMENTATION_DEFECT_HEAD_H_
